import { EMR_DEFAULT_EXECUTOR_INSTANCES, EMR_DEFAULT_INITIAL_EXECUTORS } from './emr-serverless-rules';
import { quoteShellWord } from './quoting';
import { SparkRelease, sparkLineAtLeast } from './releases';
import { podOverheadMiB, ResolvedConfiguration } from './resolved-configuration';
import { withRecommendationReasons } from './run-informed/apply-recommendation';
import { formatJvmSize } from './sizes';
import { s3aProperties } from './storage-properties';
import { DEFAULT_EMR_DISK_GB, ResolvedTuning } from './tuning-rules';
import {
  ConfigEntry, DeploymentTarget, DiskType, EmrConfigurationClassification, PropertyKind, SparkOperatorConf,
} from './types';

// The renderers of a resolved configuration: they format its values and compute nothing the resolve step
// has not decided (config/resolved-configuration.ts).

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

/** Collects properties in order, each with its reason (a key set again keeps its place). */
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

  public list(): ConfigEntry[] {
    return [...this.entries.values()];
  }
}

/**
 * Every property with its reason, in a stable order: the tuned ones, the table format's, the overrides,
 * and the overhead the model re-fitted to a heap override; the reasons of a recommendation's keys last.
 */
export function renderEntries(c: ResolvedConfiguration): ConfigEntry[] {
  const p = tunedProperties(c.tuning);
  // The format's extension, catalog and jars for this target and release (overrides still win).
  for (const entry of c.tableFormat?.entries ?? []) p.set(entry);
  for (const o of c.overrides) p.set({ key: o.key, value: o.value, reason: 'user override', kind: o.kind });
  for (const role of ['executor', 'driver'] as const) {
    const refitted = c[role].refittedOverheadMiB;
    if (refitted !== undefined) p.spark(`spark.${role}.memoryOverhead`, formatJvmSize(refitted), 'the rest of the pod above the overridden heap');
  }
  return withRecommendationReasons(p.list(), c.given);
}

/** The properties as Spark reads them (Hadoop keys with the `spark.hadoop.` prefix). */
export function renderPropertyMap(entries: readonly ConfigEntry[]): { [key: string]: string } {
  return Object.fromEntries(entries.map(e => [e.key, e.value]));
}

/** The reason for every property's value. */
export function renderReasons(entries: readonly ConfigEntry[]): { [key: string]: string } {
  return Object.fromEntries(entries.map(e => [e.key, e.reason]));
}

/** `--conf key=value` pairs, each quoted for a POSIX shell when it holds spaces or shell characters. */
export function renderSparkSubmitParameters(entries: readonly ConfigEntry[]): string {
  return entries.map(e => `--conf ${quoteShellWord(`${e.key}=${e.value}`)}`).join(' ');
}

/** The EMR Serverless `spark-defaults` classification. */
export function renderEmrSparkDefaults(entries: readonly ConfigEntry[]): EmrConfigurationClassification {
  return { classification: 'spark-defaults', properties: renderPropertyMap(entries) };
}

/** `sparkConf` and `hadoopConf`: Hadoop keys without their prefix, the keys of `OPERATOR_SPEC_KEYS` left out. */
export function renderSparkOperatorConf(entries: readonly ConfigEntry[]): SparkOperatorConf {
  const sparkConf: { [key: string]: string } = {};
  const hadoopConf: { [key: string]: string } = {};
  for (const e of entries) {
    if (e.kind === PropertyKind.HADOOP) {
      hadoopConf[e.key.slice(HADOOP_PREFIX.length)] = e.value;
    } else if (!OPERATOR_SPEC_KEYS.includes(e.key)) {
      sparkConf[e.key] = e.value;
    }
  }
  return { sparkConf, hadoopConf };
}

/** A `spark-defaults.conf` file, each property under its reason. */
export function renderSparkDefaultsConf(entries: readonly ConfigEntry[], target: DeploymentTarget, release: SparkRelease): string {
  const lines = [
    `# spark-defaults.conf rendered by spark-deploy for ${target} (${release.label}, Spark ${release.sparkVersion})`,
  ];
  for (const e of entries) {
    lines.push(`# ${e.reason.replace(/\n/g, ' ')}`);
    lines.push(`${e.key} ${e.value}`);
  }
  return lines.join('\n') + '\n';
}

/** A plain object for JSON output: target, release, sizes, properties and reasons. */
export function renderJson(c: ResolvedConfiguration, entries: readonly ConfigEntry[]): any {
  return {
    target: c.tuning.target,
    release: c.tuning.release.label,
    sparkVersion: c.tuning.release.sparkVersion,
    executor: c.executor.sizing,
    driver: c.driver.sizing,
    properties: renderPropertyMap(entries),
    reasons: renderReasons(entries),
  };
}

/** The tuned properties, before the table format and the overrides. */
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
    if (t.initialExecutors !== undefined) {
      // EMR Serverless refuses a start count above maxExecutors (rule dynamic-allocation-bounds): it is explicit.
      const start = t.initialExecutors;
      p.spark('spark.dynamicAllocation.initialExecutors', start, start < EMR_DEFAULT_INITIAL_EXECUTORS
        ? `the cap: EMR Serverless would start ${EMR_DEFAULT_INITIAL_EXECUTORS} executors and refuse a start above maxExecutors ${t.maxExecutors}`
        : `EMR Serverless's own start count (${EMR_DEFAULT_INITIAL_EXECUTORS}), explicit so that the run passes its check min <= initial <= max`);
      if (t.startExecutorInstances !== undefined) {
        p.spark('spark.executor.instances', t.startExecutorInstances,
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
  if (sparkLineAtLeast(t.release, 4, 0)) {
    // SPARK-46995 (Spark 4.0): false keeps a cached plan's last shuffle at spark.sql.shuffle.partitions, so every
    // stage over persisted data runs that many tasks; 3.5 has no setting that coalesces it (its true is the default).
    p.spark('spark.sql.optimizer.canChangeCachedPlanOutputPartitioning', true,
      'AQE also coalesces the last shuffle of a cached plan (Spark 4.0 defaults to false): persisted data is read in advisory-size partitions, not one per shuffle partition');
  }

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

