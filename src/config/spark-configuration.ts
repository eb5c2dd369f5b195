import { checkEmrServerlessProperties, EMR_DEFAULT_EXECUTOR_INSTANCES, EMR_DEFAULT_INITIAL_EXECUTORS, throwFirstViolation } from './emr-serverless-rules';
import { invalidValue } from './errors';
import { MemoryFit, overheadFor } from './memory';
import { validateOverride } from './overrides';
import { quoteShellWord } from './quoting';
import { SparkRelease } from './releases';
import { propsWithRecommendation, withRecommendationReasons } from './run-informed/apply-recommendation';
import { formatJvmSize, isJvmSize, jvmSizeMiB, parseSizeMiB } from './sizes';
import { s3aProperties } from './storage-properties';
import { tableFormatSupport } from './table-formats';
import { checkMemoryOverride, DEFAULT_EMR_DISK_GB, resolveTuning, ResolvedTuning } from './tuning-rules';
import {
  ConfigEntry, DeploymentTarget, DiskType, EmrConfigurationClassification, PropertyKind, ResourceSizing,
  SparkOperatorConf, SparkTuningProps,
} from './types';
import { isUnresolved } from './unresolved';

const HADOOP_PREFIX = 'spark.hadoop.';

/**
 * Keys the Spark Operator carries in typed `spec` fields (cores, memory, instances, dynamic allocation);
 * they are left out of `sparkConf` so that the spec is the one place they are set.
 */
export const OPERATOR_SPEC_KEYS: readonly string[] = [
  'spark.driver.cores', 'spark.executor.cores',
  'spark.driver.memory', 'spark.executor.memory',
  'spark.driver.memoryOverhead', 'spark.executor.memoryOverhead',
  'spark.executor.instances',
  'spark.kubernetes.driver.request.cores', 'spark.kubernetes.executor.request.cores',
  'spark.kubernetes.driver.limit.cores', 'spark.kubernetes.executor.limit.cores',
  'spark.dynamicAllocation.enabled', 'spark.dynamicAllocation.initialExecutors',
  'spark.dynamicAllocation.minExecutors', 'spark.dynamicAllocation.maxExecutors',
  'spark.dynamicAllocation.shuffleTracking.enabled', 'spark.dynamicAllocation.shuffleTracking.timeout',
];

/** Collects properties in order, each with its reason. */
class PropertyList {
  private readonly entries = new Map<string, ConfigEntry>();

  public spark(key: string, value: string | number | boolean, reason: string): void {
    this.entries.set(key, { key, value: String(value), reason, kind: PropertyKind.SPARK });
  }

  public hadoop(key: string, value: string | number | boolean, reason: string): void {
    const full = HADOOP_PREFIX + key;
    this.entries.set(full, { key: full, value: String(value), reason, kind: PropertyKind.HADOOP });
  }

  public set(entry: ConfigEntry): void {
    this.entries.set(entry.key, entry);
  }

  public get(key: string): ConfigEntry | undefined {
    return this.entries.get(key);
  }

  public list(): ConfigEntry[] {
    return [...this.entries.values()];
  }
}

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

  private readonly properties_: PropertyList;

  private constructor(given: SparkTuningProps) {
    // A run's recommendation is folded into the props; `props` keeps what was given (withOverrides re-applies it).
    const props = propsWithRecommendation(given);
    const tuning = resolveTuning(props);
    this.props = given;
    this.target = tuning.target;
    this.release = tuning.release;
    this.shufflePartitions = tuning.shufflePartitions;
    this.executorInstances = tuning.executorInstances;
    this.maxExecutors = tuning.maxExecutors;
    this.properties_ = tunedProperties(tuning);
    if (props.tableFormat) {
      // The format's extension, catalog and jars for this target and release (overrides still win).
      for (const entry of tableFormatSupport(props.tableFormat, tuning.target, tuning.release).entries) this.properties_.set(entry);
    }
    const { keys: overridden, sizes } = applyOverrides(this.properties_, props.overrides ?? {}, tuning);
    if (tuning.emr) {
      // Every rendered EMR Serverless configuration passes the service's rules; an override that breaks one fails here.
      throwFirstViolation(checkEmrServerlessProperties(this.properties(), tuning.emr),
        key => (overridden.has(key) ? `overrides['${overridden.get(key)}']` : `${key} (tuned)`));
    }
    for (const entry of withRecommendationReasons(this.properties_.list(), given)) this.properties_.set(entry);
    this.executor = resourceSizing(sizes.executor, tuning.executorShape.cpu, tuning.executorFit, tuning.executorFit.extraMiB, tuning.overheadFactor);
    this.driver = resourceSizing(sizes.driver, tuning.driverShape.cpu, tuning.driverFit, 0, tuning.overheadFactor);
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
    return this.properties_.list().map(e => ({ ...e }));
  }

  /** Every property as Spark reads it (Hadoop keys with the `spark.hadoop.` prefix). */
  public properties(): { [key: string]: string } {
    return Object.fromEntries(this.properties_.list().map(e => [e.key, e.value]));
  }

  /** The reason for every property's value. */
  public reasons(): { [key: string]: string } {
    return Object.fromEntries(this.properties_.list().map(e => [e.key, e.reason]));
  }

  /** The value of one property, or undefined. Hadoop keys may be given with or without `spark.hadoop.`. */
  public get(key: string): string | undefined {
    return (this.properties_.get(key) ?? this.properties_.get(HADOOP_PREFIX + key))?.value;
  }

  /**
   * `sparkSubmitParameters` for EMR Serverless StartJobRun: `--conf key=value` pairs, each value quoted
   * for a POSIX shell when it holds spaces or shell characters.
   */
  public toSparkSubmitParameters(): string {
    return this.properties_.list().map(e => `--conf ${quoteShellWord(`${e.key}=${e.value}`)}`).join(' ');
  }

  /** The EMR Serverless `spark-defaults` classification (application or job `applicationConfiguration`). */
  public toEmrSparkDefaults(): EmrConfigurationClassification {
    return { classification: 'spark-defaults', properties: this.properties() };
  }

  /**
   * The Spark Operator's `sparkConf` and `hadoopConf`: Hadoop keys without their prefix in `hadoopConf`,
   * and the keys of `OPERATOR_SPEC_KEYS` left to the typed spec fields.
   */
  public toSparkOperatorConf(): SparkOperatorConf {
    const sparkConf: { [key: string]: string } = {};
    const hadoopConf: { [key: string]: string } = {};
    for (const e of this.properties_.list()) {
      if (e.kind === PropertyKind.HADOOP) {
        hadoopConf[e.key.slice(HADOOP_PREFIX.length)] = e.value;
      } else if (!OPERATOR_SPEC_KEYS.includes(e.key)) {
        sparkConf[e.key] = e.value;
      }
    }
    return { sparkConf, hadoopConf };
  }

  /** A `spark-defaults.conf` file for local runs (`SPARK_CONF_DIR`), each property under its reason. */
  public toSparkDefaultsConf(): string {
    const lines = [
      `# spark-defaults.conf rendered by spark-deploy for ${this.target} (${this.release.label}, Spark ${this.release.sparkVersion})`,
    ];
    for (const e of this.properties_.list()) {
      lines.push(`# ${e.reason.replace(/\n/g, ' ')}`);
      lines.push(`${e.key} ${e.value}`);
    }
    return lines.join('\n') + '\n';
  }

  /** A plain object for JSON output: target, release, properties and reasons. */
  public toJson(): any {
    return {
      target: this.target,
      release: this.release.label,
      sparkVersion: this.release.sparkVersion,
      executor: this.executor,
      driver: this.driver,
      properties: this.properties(),
      reasons: this.reasons(),
    };
  }
}

/** A role's heap, overhead and cores after the overrides, as numbers: the properties are their rendering. */
interface RoleSize {
  readonly heapMiB: number;
  /**
   * The overhead set as a property.
   * @default - none set: the platform's max(384 MiB, factor × heap)
   */
  readonly overheadMiB?: number;
  readonly cores: number;
}

function resourceSizing(size: RoleSize, cpu: number, fit: MemoryFit, extraMiB: number, overheadFactor: number): ResourceSizing {
  const overheadMiB = size.overheadMiB ?? overheadFor(size.heapMiB, overheadFactor);
  return {
    cores: size.cores,
    cpu,
    heapMiB: size.heapMiB,
    overheadMiB,
    extraMiB,
    containerMiB: fit.containerMiB,
    unusedMiB: fit.containerMiB - size.heapMiB - overheadMiB - extraMiB,
    memory: formatJvmSize(size.heapMiB),
    memoryOverhead: formatJvmSize(overheadMiB),
  };
}

/** The tuned sizes of a role before overrides: on Kubernetes the overhead is what the pod holds beyond heap and off-heap. */
function tunedRoleSize(t: ResolvedTuning, role: 'executor' | 'driver'): RoleSize {
  const fit = role === 'executor' ? t.executorFit : t.driverFit;
  return {
    heapMiB: fit.heapMiB,
    overheadMiB: t.target === DeploymentTarget.KUBERNETES ? podOverheadMiB(t, role, fit.heapMiB) : undefined,
    cores: role === 'executor' ? t.executorCores : t.driverCores,
  };
}

/** The rest of a pod above the heap (and the executor's off-heap), in whole MiB as rendered. */
function podOverheadMiB(t: ResolvedTuning, role: 'executor' | 'driver', heapMiB: number): number {
  const fit = role === 'executor' ? t.executorFit : t.driverFit;
  return Math.floor(fit.containerMiB - heapMiB - (role === 'executor' ? t.offHeapMiB : 0));
}

function parseJvm(text: string): number {
  const mib = isJvmSize(text) ? jvmSizeMiB(text) : undefined;
  if (mib === undefined) throw invalidValue('memory', text, 'expected a JVM size such as 4096m or 4g');
  return mib;
}

function tunedProperties(t: ResolvedTuning): PropertyList {
  const p = new PropertyList();
  const isEmr = t.target === DeploymentTarget.EMR_SERVERLESS;
  const workerWord = isEmr ? 'worker' : 'pod';
  const factorText = `max(384 MiB, ${t.overheadFactor} × heap)`;
  const factorWhy = t.overheadFactor > 0.1
    ? 'Python-heavy: 40% overhead, Spark\'s own factor for non-JVM jobs on Kubernetes'
    : '10% overhead, the EMR Serverless and Spark JVM default';

  // ---- Resources: one executor per worker/pod, sized to fill it (EMR Serverless worker configurations; Spark docs running-on-kubernetes).
  p.spark('spark.executor.cores', t.executorCores, t.executorCores > t.executorShape.cpu
    ? `one executor per ${t.executorShape.cpu}-vCPU ${workerWord}: ${t.executorCores} task threads, each still gets at least 90% of a vCPU (one fewer would leave the ${workerWord} ${Math.round((1 - (t.executorCores - 1) / t.executorShape.cpu) * 100)}% idle)`
    : `one executor per ${t.executorShape.cpu}-vCPU ${workerWord} uses all of its vCPU`);
  p.spark('spark.executor.memory', formatJvmSize(t.executorFit.heapMiB),
    `largest 64 MiB-aligned heap with heap + ${factorText}${t.offHeapMiB ? ` + ${t.offHeapMiB} MiB off-heap` : ''} <= the ${t.executorShape.memoryGb} GB ${workerWord} (${factorWhy}); ${t.executorFit.unusedMiB} MiB unused`);
  p.spark('spark.driver.cores', t.driverCores, `the driver ${workerWord} has ${t.driverShape.cpu} vCPU`);
  p.spark('spark.driver.memory', formatJvmSize(t.driverFit.heapMiB),
    `largest 64 MiB-aligned heap with heap + ${factorText} <= the ${t.driverShape.memoryGb} GB driver ${workerWord}; ${t.driverFit.unusedMiB} MiB unused`);
  if (isEmr) {
    if (t.overheadFactor !== 0.1) {
      p.spark('spark.emr-serverless.memoryOverheadFactor', t.overheadFactor,
        'EMR Serverless adds this share of the heap to each container (default 0.1); Python-heavy jobs need more');
    }
    for (const [role, shape] of [['driver', t.driverShape], ['executor', t.executorShape]] as const) {
      p.spark(`spark.emr-serverless.${role}.disk`, `${shape.diskGb ?? DEFAULT_EMR_DISK_GB}G`,
        shape.diskGb === undefined ? 'EMR Serverless default disk; standard disk is free up to 20 GB per worker' : `the ${role} worker's disk`);
      if (shape.diskType === DiskType.SHUFFLE_OPTIMIZED) {
        p.spark(`spark.emr-serverless.${role}.disk.type`, 'shuffle_optimized', 'shuffle-optimized disk (GP3-class IOPS), EMR 7.1.0+');
      }
    }
  } else {
    // The pod request equals its limit: overhead is what the pod holds beyond heap and off-heap.
    p.spark('spark.executor.memoryOverhead', formatJvmSize(podOverheadMiB(t, 'executor', t.executorFit.heapMiB)),
      `the rest of the ${t.executorShape.memoryGb} GB pod above heap${t.offHeapMiB ? ' and off-heap' : ''} (>= ${factorText}), so the pod request = limit is exactly the pod size`);
    p.spark('spark.driver.memoryOverhead', formatJvmSize(podOverheadMiB(t, 'driver', t.driverFit.heapMiB)),
      `the rest of the ${t.driverShape.memoryGb} GB driver pod above the heap (>= ${factorText})`);
    p.spark('spark.kubernetes.executor.request.cores', String(t.executorShape.cpu), 'the pod\'s CPU request equals its limit (Guaranteed QoS)');
    p.spark('spark.kubernetes.executor.limit.cores', String(t.executorShape.cpu), 'the pod\'s CPU limit equals its request');
    p.spark('spark.kubernetes.driver.request.cores', String(t.driverShape.cpu), 'the driver pod\'s CPU request equals its limit');
    p.spark('spark.kubernetes.driver.limit.cores', String(t.driverShape.cpu), 'the driver pod\'s CPU limit equals its request');
  }
  if (t.offHeapMiB > 0) {
    p.spark('spark.memory.offHeap.enabled', true, 'off-heap memory was requested');
    p.spark('spark.memory.offHeap.size', formatJvmSize(t.offHeapMiB), 'requested off-heap memory, counted inside the container');
  }

  // ---- Executors: fixed, or dynamic with a cap.
  if (t.executorInstances !== undefined) {
    p.spark('spark.dynamicAllocation.enabled', false, 'a fixed executor count was requested');
    p.spark('spark.executor.instances', t.executorInstances, 'the requested fixed executor count');
  } else {
    p.spark('spark.dynamicAllocation.enabled', true, 'executors follow the work; idle ones are released');
    p.spark('spark.dynamicAllocation.minExecutors', 0, 'release every idle executor between stages');
    p.spark('spark.dynamicAllocation.maxExecutors', t.maxExecutors, t.maxExecutorsReason);
    if (isEmr) {
      // EMR Serverless starts max(initialExecutors, minExecutors, executor.instances), 3 by default, and refuses the
      // run when that exceeds maxExecutors (rule dynamic-allocation-bounds): set the start count explicitly.
      const start = Math.min(EMR_DEFAULT_INITIAL_EXECUTORS, t.maxExecutors);
      p.spark('spark.dynamicAllocation.initialExecutors', start, start < EMR_DEFAULT_INITIAL_EXECUTORS
        ? `the cap: EMR Serverless would start ${EMR_DEFAULT_INITIAL_EXECUTORS} executors and refuse a start above maxExecutors ${t.maxExecutors}`
        : `EMR Serverless's own start count (${EMR_DEFAULT_INITIAL_EXECUTORS}), explicit so that the run passes its check min <= initial <= max`);
      if (start < EMR_DEFAULT_EXECUTOR_INSTANCES) {
        p.spark('spark.executor.instances', start,
          `EMR Serverless's default of ${EMR_DEFAULT_EXECUTOR_INSTANCES} counts in the start count max(initialExecutors, minExecutors, executor.instances); lowered to the cap`);
      }
    }
    p.spark('spark.dynamicAllocation.executorIdleTimeout', '60s', 'release an executor after a minute idle');
    if (!isEmr) {
      p.spark('spark.dynamicAllocation.shuffleTracking.enabled', true,
        'Kubernetes has no external shuffle service: keep executors holding shuffle data alive');
    }
  }

  // ---- SQL shuffle and AQE (Spark docs sql-performance-tuning).
  p.spark('spark.sql.shuffle.partitions', t.shufflePartitions,
    `max(2 × ${t.executorCores * (t.executorInstances ?? t.maxExecutors)} cores${t.inputSizeGb !== undefined ? `, ${t.inputSizeGb} GB / 128 MB` : ''}), a multiple of the cores; AQE coalesces small ones`);
  p.spark('spark.sql.adaptive.enabled', true, 'adaptive query execution re-plans from runtime statistics');
  p.spark('spark.sql.adaptive.coalescePartitions.enabled', true, 'merge small shuffle partitions after each stage');
  p.spark('spark.sql.adaptive.coalescePartitions.parallelismFirst', false,
    'honour the advisory size instead of maximising parallelism (the Spark docs recommend false)');
  p.spark('spark.sql.adaptive.advisoryPartitionSizeInBytes', `${128}m`, '~128 MB per shuffle partition (AWS EMR best practices)');
  p.spark('spark.sql.adaptive.skewJoin.enabled', true, 'split skewed partitions in sort-merge joins');
  p.spark('spark.sql.adaptive.skewJoin.skewedPartitionFactor', 5, 'a partition is skewed above 5× the median (Spark default, made explicit)');
  p.spark('spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes', '256m', 'and above 256 MB, which must exceed the advisory size');

  // ---- Serialization and Python interchange.
  p.spark('spark.serializer', 'org.apache.spark.serializer.KryoSerializer', 'Kryo is faster and smaller than Java serialization for RDD and shuffle data');
  p.spark('spark.kryoserializer.buffer.max', '256m', 'room for large records without KryoException (must stay < 2048m)');
  p.spark('spark.sql.execution.arrow.pyspark.enabled', true, 'Arrow for toPandas/createDataFrame between the JVM and Python');
  p.spark('spark.sql.execution.arrow.pyspark.fallback.enabled', true, 'fall back to the non-Arrow path for types Arrow cannot carry');

  // ---- Storage.
  for (const entry of s3aProperties(t)) p.set(entry);

  // ---- Delta Lake.
  if (t.deltaLake) {
    p.spark('spark.sql.extensions', 'io.delta.sql.DeltaSparkSessionExtension', 'Delta Lake SQL support');
    p.spark('spark.sql.catalog.spark_catalog', 'org.apache.spark.sql.delta.catalog.DeltaCatalog', 'Delta Lake tables in the session catalog');
    if (isEmr) {
      p.spark('spark.jars', '/usr/share/aws/delta/lib/delta-spark.jar,/usr/share/aws/delta/lib/delta-storage.jar',
        'the Delta Lake jars EMR ships on every worker');
    }
  }
  return p;
}

/**
 * Applies the overrides; returns the normalized keys set, each with the key the user wrote, and each role's
 * heap, overhead and cores as numbers after them (an unresolved value keeps the tuned one).
 */
function applyOverrides(props: PropertyList, overrides: { [key: string]: string }, t: ResolvedTuning):
{ keys: Map<string, string>; sizes: { executor: RoleSize; driver: RoleSize } } {
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
    throw invalidValue('overrides', overrides, 'expected a map of property names to string values');
  }
  const normalized = Object.entries(overrides).map(([key, value]) => validateOverride(key, value, t.target));
  const keys = new Map<string, string>();
  Object.keys(overrides).forEach((raw, i) => keys.set(normalized[i].key, raw));
  for (const o of normalized) {
    props.set({ key: o.key, value: o.value, reason: 'user override', kind: o.kind });
  }
  const sizes = { executor: tunedRoleSize(t, 'executor'), driver: tunedRoleSize(t, 'driver') };
  for (const role of ['executor', 'driver'] as const) {
    let { heapMiB, overheadMiB, cores } = sizes[role];
    // A memory override must still fit its container.
    const memory = overrides[`spark.${role}.memory`];
    const overhead = overrides[`spark.${role}.memoryOverhead`];
    if (memory !== undefined && !isUnresolved(memory)) {
      const fit = role === 'executor' ? t.executorFit : t.driverFit;
      // Each value is read once, here; the check and the sizes take the numbers.
      const field = `overrides['spark.${role}.memory']`;
      heapMiB = parseSizeMiB(field, memory);
      const podOverhead = t.target === DeploymentTarget.KUBERNETES && overhead !== undefined
        ? parseSizeMiB(`overrides['spark.${role}.memoryOverhead']`, overhead) : undefined;
      checkMemoryOverride(field, heapMiB, fit, t.overheadFactor, podOverhead);
      if (t.target === DeploymentTarget.KUBERNETES && overhead === undefined) {
        // Keep the pod exact: the overhead takes what the new heap leaves.
        overheadMiB = podOverheadMiB(t, role, heapMiB);
        props.spark(`spark.${role}.memoryOverhead`, formatJvmSize(overheadMiB), 'the rest of the pod above the overridden heap');
      }
    }
    if (overhead !== undefined) overheadMiB = isUnresolved(overhead) ? undefined : parseJvm(overhead);
    const coresText = overrides[`spark.${role}.cores`];
    const shape = role === 'executor' ? t.executorShape : t.driverShape;
    if (coresText !== undefined && !isUnresolved(coresText)) {
      if (Number(coresText) > Math.ceil(shape.cpu)) {
        throw invalidValue(`overrides['spark.${role}.cores']`, coresText, `at most the ${role} ${t.target === DeploymentTarget.EMR_SERVERLESS ? 'worker' : 'pod'}'s ${shape.cpu} vCPU`);
      }
      cores = Number(coresText);
    }
    sizes[role] = { heapMiB, overheadMiB, cores };
  }
  return { keys, sizes };
}
