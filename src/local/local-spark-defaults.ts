import { invalidValue } from '../config/errors';
import { parseSizeMiB, formatJvmSize } from '../config/sizes';
import { SparkConfiguration } from '../config/spark-configuration';
import { isTableFormatJar } from '../config/table-formats';
import { DeploymentTarget, PropertyKind, StorageKind, StorageOptions } from '../config/types';

/** Options for rendering a configuration for a local run. */
export interface LocalSparkDefaultsOptions {
  /**
   * The Spark master.
   * @default 'local[*]'
   */
  readonly master?: string;
  /**
   * The most driver heap a local run may take, in MiB: in local mode the driver JVM holds the executors
   * too, and a cluster-sized driver heap (14g) would not fit a laptop.
   * @default 2048
   */
  readonly maxDriverMemoryMiB?: number;
  /**
   * Local jar files for `spark.jars` (the S3A connector from `scripts/fetch-s3a-jars.sh`). When set,
   * `spark.jars.packages` is dropped: a local run downloads nothing.
   * @default - none
   */
  readonly jars?: string[];
  /**
   * The table format's jars as local files (`tableFormatJars()`, fetched by `scripts/fetch-table-jars.sh`):
   * they replace the table-format jars the target rendered in `spark.jars` (EMR's bundled paths, the
   * image's or the artifact's URIs), which do not exist on this machine. The rest of the format's
   * properties (SQL extension, catalogs) stay as rendered.
   * @default - none: `spark.jars` keeps what was rendered
   */
  readonly tableJars?: string[];
  /**
   * Storage the local run reaches instead of the rendered one, e.g. a local S3 server
   * (`{ kind: StorageKind.S3_COMPATIBLE, endpoint: 'http://127.0.0.1:5000' }`). Its S3A properties,
   * committer included, are rendered by the configuration model for open-source Spark of `sparkVersion`.
   * `{ kind: StorageKind.LOCAL }` (local files) removes the cloud committer bindings instead.
   * @default - the rendered storage properties are kept
   */
  readonly storage?: StorageOptions;
  /**
   * The local Spark version (the venv's pyspark), e.g. `3.5.6`: picks the AWS SDK classes of the
   * S3A credential providers in the storage properties.
   * @default - the configuration's Spark version
   */
  readonly sparkVersion?: string;
  /**
   * More properties for this local run (event logs, for example); they win over the rendered ones.
   * @default - none
   */
  readonly additionalProperties?: { [key: string]: string };
}

/** Spark SQL keys that belong to the storage (the S3A committer bindings), not to the workload. */
const STORAGE_SPARK_KEYS = [
  'spark.sql.sources.commitProtocolClass',
  'spark.sql.parquet.output.committer.class',
  'spark.sql.parquet.mergeSchema',
];
const CLOUD_COMMITTER_KEYS = ['spark.sql.sources.commitProtocolClass', 'spark.sql.parquet.output.committer.class'];
const DEFAULT_MAX_DRIVER_MIB = 2048;
const MASTER = /^local(\[(\*|\d+)(,\d+)?\])?$/;

/**
 * A configuration rendered for a local run: the target's properties unchanged, except the few a
 * single machine needs changed (master, driver heap, local connector jars, a local S3 endpoint).
 * Every change is listed with its reason in `localChanges` and in the rendered file.
 *
 * @example
 * const local = LocalSparkDefaults.fromConfiguration(job.tune(shape), {
 *   storage: { kind: StorageKind.S3_COMPATIBLE, endpoint: 'http://127.0.0.1:5000' },
 *   jars: ['.tools/jars/3.5/hadoop-aws-3.3.4.jar', ...],
 * });
 * fs.writeFileSync(path.join(confDir, 'spark-defaults.conf'), local.toSparkDefaultsConf());
 */
export class LocalSparkDefaults {
  /** From a tuned configuration (what the constructs render). */
  public static fromConfiguration(config: SparkConfiguration, options: LocalSparkDefaultsOptions = {}): LocalSparkDefaults {
    return new LocalSparkDefaults(config.properties(), config.reasons(), config.release.sparkVersion, options, config.driver.heapMiB);
  }

  /**
   * From rendered properties, e.g. read back from a synthesized template or manifest
   * (`spark.hadoop.`-prefixed Hadoop keys), for the Spark version `renderedForSparkVersion`.
   */
  public static fromProperties(properties: { [key: string]: string }, renderedForSparkVersion: string,
    options: LocalSparkDefaultsOptions = {}): LocalSparkDefaults {
    return new LocalSparkDefaults({ ...properties }, {}, renderedForSparkVersion, options);
  }

  /** Every property of the local run. */
  public readonly properties: { [key: string]: string };
  /** The properties changed or added for the local run, each with its reason. */
  public readonly localChanges: { [key: string]: string };
  /** The rendered properties the local run removed, each with its reason. */
  public readonly removed: { [key: string]: string };

  private readonly reasons: { [key: string]: string };

  /**
   * `driverHeapMiB` is the configuration's driver heap as a number (its `spark.driver.memory`); for properties
   * read back from a template or manifest it is undefined and the rendered value is parsed.
   */
  private constructor(rendered: { [key: string]: string }, reasons: { [key: string]: string }, sparkVersion: string,
    options: LocalSparkDefaultsOptions, driverHeapMiB?: number) {
    const master = options.master ?? 'local[*]';
    if (!MASTER.test(master)) {
      throw invalidValue('master', master, 'expected local, local[N], local[*] or local[N,maxFailures]');
    }
    const maxDriver = options.maxDriverMemoryMiB ?? DEFAULT_MAX_DRIVER_MIB;
    if (!Number.isInteger(maxDriver) || maxDriver < 512) {
      throw invalidValue('maxDriverMemoryMiB', maxDriver, 'expected a whole number of MiB, at least 512');
    }
    for (const jar of [...(options.jars ?? []), ...(options.tableJars ?? [])]) {
      if (!jar.endsWith('.jar')) throw invalidValue('jars', jar, 'expected paths to .jar files');
    }
    const props = { ...rendered };
    const changes: { [key: string]: string } = {};
    const removed: { [key: string]: string } = {};
    const set = (key: string, value: string, reason: string) => {
      if (props[key] === value) return;
      props[key] = value;
      changes[key] = reason;
    };

    if (options.storage) {
      for (const [key, value] of Object.entries(storageProperties(options.storage, options.sparkVersion ?? sparkVersion))) {
        set(key, value, `local storage ${options.storage.endpoint ?? options.storage.kind} (rendered by the configuration model for open-source Spark)`);
      }
    }
    if (options.storage?.kind === StorageKind.LOCAL) {
      // Local files need no cloud committer, and without spark-hadoop-cloud its classes would not load.
      for (const key of CLOUD_COMMITTER_KEYS) {
        if (props[key] !== undefined) {
          removed[key] = 'local files: Spark\'s own file committer (no spark-hadoop-cloud jar needed)';
          delete props[key];
        }
      }
    }
    set('spark.master', master, 'a local run: driver and executors in one JVM');
    const driverHeap = props['spark.driver.memory'];
    const driverMiB = driverHeapMiB ?? (driverHeap === undefined ? undefined : parseSizeMiB('spark.driver.memory', driverHeap));
    if (driverMiB === undefined || driverMiB > maxDriver) {
      set('spark.driver.memory', formatJvmSize(maxDriver),
        `local-mode-safe driver heap (rendered: ${driverHeap ?? 'unset'}); the local JVM holds driver and executors`);
    }
    const tableJars = options.tableJars ?? [];
    const connectorJars = options.jars ?? [];
    if (connectorJars.length > 0 || tableJars.length > 0) {
      if (props['spark.jars.packages'] !== undefined) {
        removed['spark.jars.packages'] = 'the jars are local files (spark.jars): nothing is downloaded';
        delete props['spark.jars.packages'];
      }
      const renderedJars = props['spark.jars'] ? props['spark.jars'].split(',') : [];
      // The rendered table-format jars live on the target's workers or image; the same version's local files replace them.
      const kept = tableJars.length > 0 ? renderedJars.filter(uri => !isTableFormatJar(uri)) : renderedJars;
      const why = [
        ...(tableJars.length > 0 ? [`the table format's pinned jars, fetched once by scripts/fetch-table-jars.sh (rendered: ${renderedJars.filter(isTableFormatJar).join(',') || 'none'})`] : []),
        ...(connectorJars.length > 0 ? ['the S3A connector, its AWS SDK and the cloud committers, fetched once by scripts/fetch-s3a-jars.sh'] : []),
      ];
      set('spark.jars', [...kept, ...tableJars, ...connectorJars].join(','), why.join('; '));
    }
    for (const [key, value] of Object.entries(options.additionalProperties ?? {})) {
      set(key, value, 'requested for this local run');
    }
    this.properties = props;
    this.localChanges = changes;
    this.removed = removed;
    this.reasons = reasons;
  }

  /** The `spark-defaults.conf` for `SPARK_CONF_DIR`: each property under its reason, local changes marked. */
  public toSparkDefaultsConf(): string {
    const lines = ['# spark-defaults.conf for a local run, rendered by spark-deploy'];
    for (const [key, reason] of Object.entries(this.removed)) {
      lines.push(`# local run: removed ${key}: ${reason}`);
    }
    for (const [key, value] of Object.entries(this.properties)) {
      const local = this.localChanges[key];
      const reason = local !== undefined ? `local run: ${local}` : this.reasons[key];
      if (reason) lines.push(`# ${reason.replace(/\n/g, ' ')}`);
      lines.push(`${key} ${value}`);
    }
    return lines.join('\n') + '\n';
  }
}

/**
 * The storage properties the model renders for open-source Spark of `sparkVersion` (S3A endpoint,
 * credential providers, magic committer bindings): what a local run needs whatever target rendered the job.
 */
function storageProperties(storage: StorageOptions, sparkVersion: string): { [key: string]: string } {
  const config = SparkConfiguration.tune({
    target: DeploymentTarget.KUBERNETES,
    release: sparkVersion,
    executor: { cpu: 1, memoryGb: 4 },
    storage,
  });
  const out: { [key: string]: string } = {};
  for (const entry of config.entries()) {
    if (entry.kind === PropertyKind.HADOOP || STORAGE_SPARK_KEYS.includes(entry.key)) {
      out[entry.key] = entry.value;
    }
  }
  return out;
}
