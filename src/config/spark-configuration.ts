import { checkEmrServerlessProperties, throwFirstViolation } from './emr-serverless-rules';
import { SparkRelease } from './releases';
import {
  renderEmrSparkDefaults, renderEntries, renderJson, renderPropertyMap, renderReasons, renderSparkDefaultsConf,
  renderSparkOperatorConf, renderSparkSubmitParameters,
} from './renderers';
import { resolveConfiguration, ResolvedConfiguration } from './resolved-configuration';
import {
  ConfigEntry, DeploymentTarget, EmrConfigurationClassification, ResourceSizing, SparkOperatorConf, SparkTuningProps,
} from './types';

export { OPERATOR_SPEC_KEYS } from './renderers';

const HADOOP_PREFIX = 'spark.hadoop.';

/**
 * The tuned Spark configuration for one workload on one target: every Spark and Hadoop property with
 * the reason for its value, and the renderers for EMR Serverless, the Spark Operator and local runs.
 *
 * @example
 * const config = SparkConfiguration.tune({
 *   target: DeploymentTarget.EMR_SERVERLESS,
 *   release: 'emr-7.12.0',
 *   executor: { cpu: 4, memoryGb: 16 },
 *   inputSizeGb: 200,
 * });
 * config.toSparkSubmitParameters(); // '--conf spark.executor.cores=4 --conf spark.executor.memory=14848m ...'
 */
export class SparkConfiguration {
  /**
   * Tunes a configuration. Throws at once, naming the field, the value and what is allowed, when a
   * prop or an override is invalid. Unresolved CDK tokens are not validated.
   */
  public static tune(props: SparkTuningProps): SparkConfiguration {
    return new SparkConfiguration(props);
  }

  /** Where the configuration runs. */
  public readonly target: DeploymentTarget;
  /** The release and what it runs. */
  public readonly release: SparkRelease;
  /** How each executor is sized. */
  public readonly executor: ResourceSizing;
  /** How the driver is sized. */
  public readonly driver: ResourceSizing;
  /** Shuffle partitions chosen. */
  public readonly shufflePartitions: number;
  /**
   * Fixed executor count, when dynamic allocation is off.
   * @default - dynamic allocation: no fixed count
   */
  public readonly executorInstances?: number;
  /** The dynamic allocation cap (when dynamic allocation is on). */
  public readonly maxExecutors: number;
  /** The props this configuration was tuned from. */
  public readonly props: SparkTuningProps;

  /**
   * What this configuration renders, as values (sizes, executor counts and CPU quantities after the overrides),
   * for the construct layer's spec fields: read these, not the property strings.
   * @internal
   */
  public readonly _resolved: ResolvedConfiguration;
  private readonly entries_: ConfigEntry[];
  private readonly byKey_: Map<string, ConfigEntry>;

  private constructor(given: SparkTuningProps) {
    // One resolve step (validated props, release, storage, overrides and sizes as values), then the renderers.
    const resolved = resolveConfiguration(given);
    this._resolved = resolved;
    const tuning = resolved.tuning;
    this.props = given;
    this.target = tuning.target;
    this.release = tuning.release;
    this.shufflePartitions = tuning.shufflePartitions;
    this.executorInstances = tuning.executorInstances;
    this.maxExecutors = tuning.maxExecutors;
    this.executor = resolved.executor.sizing;
    this.driver = resolved.driver.sizing;
    this.entries_ = renderEntries(resolved);
    this.byKey_ = new Map(this.entries_.map(e => [e.key, e]));
    if (tuning.emr) {
      // Every rendered EMR Serverless configuration passes the service's rules; an override that breaks one fails here.
      const givenKey = new Map(resolved.overrides.map(o => [o.key, o.givenKey]));
      throwFirstViolation(checkEmrServerlessProperties(this.properties(), tuning.emr),
        key => (givenKey.has(key) ? `overrides['${givenKey.get(key)}']` : `${key} (tuned)`));
    }
  }

  /** A new configuration with more overrides on top of this one's (for one job among many). */
  public withOverrides(overrides: { [key: string]: string }): SparkConfiguration {
    return SparkConfiguration.tune({ ...this.props, overrides: { ...(this.props.overrides ?? {}), ...overrides } });
  }

  /**
   * A new configuration for a target that holds at most `count` executors next to the driver (an EMR Serverless
   * application's maximumCapacity): the default cap is lowered to it, and an explicit cap above it is an error.
   */
  public withExecutorCapacity(count: number, reason: string): SparkConfiguration {
    return SparkConfiguration.tune({ ...this.props, executorCapacity: count, executorCapacityReason: reason });
  }

  /** Every property with its value and reason, in a stable order. */
  public entries(): ConfigEntry[] {
    return this.entries_.map(e => ({ ...e }));
  }

  /** Every property as Spark reads it (Hadoop keys with the `spark.hadoop.` prefix). */
  public properties(): { [key: string]: string } {
    return renderPropertyMap(this.entries_);
  }

  /** The reason for every property's value. */
  public reasons(): { [key: string]: string } {
    return renderReasons(this.entries_);
  }

  /** The value of one property, or undefined. Hadoop keys may be given with or without `spark.hadoop.`. */
  public get(key: string): string | undefined {
    return (this.byKey_.get(key) ?? this.byKey_.get(HADOOP_PREFIX + key))?.value;
  }

  /**
   * `sparkSubmitParameters` for EMR Serverless StartJobRun: `--conf key=value` pairs, each value quoted
   * for a POSIX shell when it holds spaces or shell characters.
   */
  public toSparkSubmitParameters(): string {
    return renderSparkSubmitParameters(this.entries_);
  }

  /** The EMR Serverless `spark-defaults` classification (application or job `applicationConfiguration`). */
  public toEmrSparkDefaults(): EmrConfigurationClassification {
    return renderEmrSparkDefaults(this.entries_);
  }

  /**
   * The Spark Operator's `sparkConf` and `hadoopConf`: Hadoop keys without their prefix in `hadoopConf`,
   * and the keys of `OPERATOR_SPEC_KEYS` left to the typed spec fields.
   */
  public toSparkOperatorConf(): SparkOperatorConf {
    return renderSparkOperatorConf(this.entries_);
  }

  /** A `spark-defaults.conf` file for local runs (`SPARK_CONF_DIR`), each property under its reason. */
  public toSparkDefaultsConf(): string {
    return renderSparkDefaultsConf(this.entries_, this.target, this.release);
  }

  /** A plain object for JSON output: target, release, properties and reasons. */
  public toJson(): any {
    return renderJson(this._resolved, this.entries_);
  }
}
