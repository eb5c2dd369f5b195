import { describeViolation, EMR_DEFAULT_EXECUTOR_INSTANCES, EMR_DEFAULT_INITIAL_EXECUTORS, EMR_SERVERLESS_RULES } from './emr-serverless-rules';
import { EMR_STANDARD_DISK_GB, emrWorkerRule, validateEmrWorkerDisk, validateEmrWorkerMemory } from './emr-serverless-workers';
import { invalidValue } from './errors';
import { checkHeapFits, fitHeap, MemoryFit } from './memory';
import { DEFAULT_EMR_RELEASE, DEFAULT_KUBERNETES_SPARK_VERSION, EmrRelease, resolveEmrRelease, resolveSparkVersion, SparkRelease } from './releases';
import { parseSizeMiB, requireInteger } from './sizes';
import { DeploymentTarget, DiskType, StorageKind, StorageOptions, SparkTuningProps, WorkerShape } from './types';
import { isUnresolved } from './unresolved';

/** Memory overhead factors (Spark docs configuration.md: spark.executor.memoryOverheadFactor and its Kubernetes non-JVM default). */
export const JVM_OVERHEAD_FACTOR = 0.1;
/** Spark's default overhead factor for non-JVM (PySpark) jobs on Kubernetes. */
export const NON_JVM_OVERHEAD_FACTOR = 0.4;
/** AQE advisory size and the share of input one shuffle partition should carry (AWS EMR BP: ~128 MB). */
export const ADVISORY_PARTITION_MIB = 128;
/** The driver default cap: it plans and collects; executors do the work. */
const DEFAULT_DRIVER_CAP = { cpu: 4, memoryGb: 16 };

/** Everything the rules derive from the props, before rendering properties. */
export interface ResolvedTuning {
  readonly target: DeploymentTarget;
  readonly release: SparkRelease;
  readonly emr?: EmrRelease;
  readonly executorShape: WorkerShape;
  readonly driverShape: WorkerShape;
  readonly executorCores: number;
  readonly driverCores: number;
  readonly executorFit: MemoryFit;
  readonly driverFit: MemoryFit;
  readonly overheadFactor: number;
  readonly offHeapMiB: number;
  readonly storage: StorageOptions;
  readonly executorInstances?: number;
  readonly maxExecutors: number;
  /** Why maxExecutors has its value (the reason rendered with it). */
  readonly maxExecutorsReason: string;
  /**
   * EMR Serverless with dynamic allocation: the start count, set explicitly (at most maxExecutors).
   * @default - not set
   */
  readonly initialExecutors?: number;
  /**
   * EMR Serverless with dynamic allocation: `spark.executor.instances` lowered to the start count, when the
   * cap is below the service's default executor count (which counts in the start).
   * @default - not set
   */
  readonly startExecutorInstances?: number;
  readonly shufflePartitions: number;
  readonly inputSizeGb?: number;
  readonly deltaLake: boolean;
  readonly includeConnectorPackages: boolean;
}

function validateShape(target: DeploymentTarget, field: string, shape: WorkerShape, emr?: EmrRelease): void {
  if (shape === undefined || shape === null || typeof shape !== 'object') {
    throw invalidValue(field, shape, 'expected a worker shape { cpu, memoryGb }');
  }
  if (isUnresolved(shape.cpu) || isUnresolved(shape.memoryGb)) return;
  if (target === DeploymentTarget.EMR_SERVERLESS) {
    emrWorkerRule(`${field}.cpu`, shape.cpu);
    validateEmrWorkerMemory(`${field}.memoryGb`, shape.cpu, shape.memoryGb);
    const shuffleOptimized = shape.diskType === DiskType.SHUFFLE_OPTIMIZED;
    if (shuffleOptimized && emr && !emr.shuffleOptimizedDisks) {
      throw invalidValue(`${field}.diskType`, shape.diskType, `shuffle-optimized disks need EMR 7.1.0 or later (release is ${emr.label})`);
    }
    if (shape.diskGb !== undefined && !isUnresolved(shape.diskGb)) {
      validateEmrWorkerDisk(`${field}.diskGb`, shape.diskGb, shuffleOptimized);
    }
  } else {
    if (typeof shape.cpu !== 'number' || !Number.isFinite(shape.cpu) || shape.cpu < 1) {
      throw invalidValue(`${field}.cpu`, shape.cpu, 'a pod needs at least 1 vCPU (fractions such as 3.5 are allowed)');
    }
    if (typeof shape.memoryGb !== 'number' || !Number.isFinite(shape.memoryGb) || shape.memoryGb <= 0) {
      throw invalidValue(`${field}.memoryGb`, shape.memoryGb, 'expected the pod memory in GB, a positive number');
    }
    if (shape.diskGb !== undefined || shape.diskType !== undefined) {
      throw invalidValue(`${field}.diskGb`, shape.diskGb ?? shape.diskType, 'disk size and type apply to EMR Serverless workers only; mount volumes on Kubernetes');
    }
  }
}

function resolveStorage(storage: StorageOptions | undefined): StorageOptions {
  const resolved = storage ?? { kind: StorageKind.S3 };
  if (!Object.values(StorageKind).includes(resolved.kind)) {
    throw invalidValue('storage.kind', resolved.kind, `expected one of ${Object.values(StorageKind).join(', ')}`);
  }
  if (resolved.kind === StorageKind.S3_COMPATIBLE) {
    const endpoint = resolved.endpoint;
    if (endpoint === undefined) {
      throw invalidValue('storage.endpoint', endpoint, 'an S3-compatible store needs its endpoint URL, e.g. http://127.0.0.1:9000');
    }
    if (!isUnresolved(endpoint) && !/^https?:\/\/[^\s/]+(\/.*)?$/.test(endpoint)) {
      throw invalidValue('storage.endpoint', endpoint, 'expected an http:// or https:// URL such as http://127.0.0.1:9000');
    }
  } else if (resolved.endpoint !== undefined && resolved.kind === StorageKind.LOCAL) {
    throw invalidValue('storage.endpoint', resolved.endpoint, 'an endpoint applies to S3 or S3-compatible storage only');
  }
  if (resolved.region !== undefined && !isUnresolved(resolved.region) && !/^[a-z]{2}(-[a-z]+)+-\d+$/.test(resolved.region)) {
    throw invalidValue('storage.region', resolved.region, 'expected an AWS region name such as us-east-1');
  }
  return resolved;
}

function optionalCount(field: string, value: number | undefined, min: number): number | undefined {
  if (value === undefined || isUnresolved(value)) return undefined;
  return requireInteger(field, value, min);
}

/** Applies the rules: validates the props and derives sizes, partitions and executor counts. */
export function resolveTuning(props: SparkTuningProps): ResolvedTuning {
  if (!props || !Object.values(DeploymentTarget).includes(props.target)) {
    throw invalidValue('target', props?.target, `expected one of ${Object.values(DeploymentTarget).join(', ')}`);
  }
  const target = props.target;
  const isEmr = target === DeploymentTarget.EMR_SERVERLESS;
  const emr = isEmr ? resolveEmrRelease(props.release ?? DEFAULT_EMR_RELEASE, 'release') : undefined;
  const release = emr ?? resolveSparkVersion(props.release ?? DEFAULT_KUBERNETES_SPARK_VERSION, 'release');

  validateShape(target, 'executor', props.executor, emr);
  const driverShape = props.driver ?? defaultDriverShape(props.executor, target);
  validateShape(target, 'driver', driverShape, emr);

  if (props.inputSizeGb !== undefined && (!Number.isFinite(props.inputSizeGb) || props.inputSizeGb < 0)) {
    throw invalidValue('inputSizeGb', props.inputSizeGb, 'expected a size in GB, zero or more');
  }
  const executorInstances = optionalCount('executorInstances', props.executorInstances, 1);
  const explicitMax = optionalCount('maxExecutors', props.maxExecutors, 1);
  if (executorInstances !== undefined && explicitMax !== undefined) {
    throw invalidValue('maxExecutors', explicitMax, 'set either executorInstances (fixed, no dynamic allocation) or maxExecutors, not both');
  }
  const offHeapMiB = props.executorOffHeapMemory === undefined ? 0 : parseSizeMiB('executorOffHeapMemory', props.executorOffHeapMemory);
  const storage = resolveStorage(props.storage);

  const overheadFactor = props.pythonHeavy ? NON_JVM_OVERHEAD_FACTOR : JVM_OVERHEAD_FACTOR;
  const executorFit = fitHeap('executor.memoryGb', props.executor.memoryGb * 1024, overheadFactor, offHeapMiB);
  const driverFit = fitHeap('driver.memoryGb', driverShape.memoryGb * 1024, overheadFactor, 0);
  const executorCores = taskThreadsFor(props.executor.cpu);
  const driverCores = taskThreadsFor(driverShape.cpu);

  const capacity = optionalCount('executorCapacity', props.executorCapacity, 0);
  const capacityWhy = props.executorCapacityReason ?? 'the capacity limit';
  for (const [field, value] of [['executorInstances', executorInstances], ['maxExecutors', explicitMax]] as const) {
    if (capacity !== undefined && value !== undefined && value > capacity) {
      throw describeViolation({
        rule: EMR_SERVERLESS_RULES.maximumCapacity,
        key: field,
        value: String(value),
        detail: `at most ${capacity} executor(s) fit: ${capacityWhy}`,
      });
    }
  }
  if (capacity === 0) {
    throw describeViolation({
      rule: EMR_SERVERLESS_RULES.maximumCapacity, key: 'executorCapacity', value: '0', detail: `no executor fits: ${capacityWhy}`,
    });
  }
  const floor = isEmr ? EMR_DEFAULT_INITIAL_EXECUTORS : 2;
  const byInput = defaultMaxExecutors(props.inputSizeGb, executorCores, floor);
  let maxExecutors: number;
  let maxExecutorsReason: string;
  if (explicitMax !== undefined) {
    maxExecutors = explicitMax;
    maxExecutorsReason = 'the requested cap';
  } else {
    maxExecutorsReason = props.inputSizeGb === undefined
      ? 'a cap against runaway cost (EMR\'s own default is unbounded since 6.10); input size unknown'
      : `about 4 waves of ${executorCores}-core executors over ${props.inputSizeGb} GB in 128 MB tasks (${floor} to 50`
        + (isEmr ? `; at least ${floor}, the executors EMR Serverless starts a run with)` : ')');
    maxExecutors = byInput;
    if (capacity !== undefined && capacity < byInput) {
      maxExecutors = capacity;
      maxExecutorsReason = `${byInput} ${props.inputSizeGb === undefined ? 'by default' : 'by the input'}, lowered to the ${capacity} that fit: ${capacityWhy}`;
    }
  }
  const shufflePartitions = shufflePartitionsFor(executorCores * (executorInstances ?? maxExecutors), props.inputSizeGb);
  // EMR Serverless starts max(initialExecutors, minExecutors, executor.instances), 3 by default, and refuses the
  // run when that exceeds maxExecutors (rule dynamic-allocation-bounds): the start count is set explicitly.
  const initialExecutors = isEmr && executorInstances === undefined ? Math.min(EMR_DEFAULT_INITIAL_EXECUTORS, maxExecutors) : undefined;
  const startExecutorInstances = initialExecutors !== undefined && initialExecutors < EMR_DEFAULT_EXECUTOR_INSTANCES ? initialExecutors : undefined;

  return {
    target,
    release,
    emr,
    executorShape: props.executor,
    driverShape,
    executorCores,
    driverCores,
    executorFit,
    driverFit,
    overheadFactor,
    offHeapMiB,
    storage,
    executorInstances,
    maxExecutors,
    maxExecutorsReason,
    initialExecutors,
    startExecutorInstances,
    shufflePartitions,
    inputSizeGb: props.inputSizeGb,
    deltaLake: props.deltaLake ?? false,
    includeConnectorPackages: props.includeConnectorPackages ?? false,
  };
}

function defaultDriverShape(executor: WorkerShape, target: DeploymentTarget): WorkerShape {
  if (!executor || isUnresolved(executor.cpu) || isUnresolved(executor.memoryGb)) return executor;
  if (executor.cpu <= DEFAULT_DRIVER_CAP.cpu && executor.memoryGb <= DEFAULT_DRIVER_CAP.memoryGb) {
    return { cpu: executor.cpu, memoryGb: executor.memoryGb };
  }
  // A 4 vCPU / 16 GB worker is valid on EMR Serverless and a reasonable pod.
  const cpu = Math.min(executor.cpu, DEFAULT_DRIVER_CAP.cpu);
  let memoryGb = Math.min(executor.memoryGb, DEFAULT_DRIVER_CAP.memoryGb);
  if (target === DeploymentTarget.EMR_SERVERLESS) {
    const rule = emrWorkerRule('driver.cpu', cpu);
    memoryGb = Math.max(rule.minMemoryGb, Math.min(memoryGb, rule.maxMemoryGb));
  }
  return { cpu, memoryGb };
}

/**
 * Share of one task thread a CPU request must cover. CPU is compressible: a pod sized to a node's allocatable
 * (1.89 vCPU for two per m5.xlarge) runs 2 task threads throttled by at most 10%, where flooring to 1 thread
 * would leave almost half the pod idle.
 */
const MIN_CPU_PER_TASK_THREAD = 0.9;

/**
 * Task threads (`spark.*.cores`) for a worker or pod of `cpu` vCPU: its whole vCPU, or one more when a fractional
 * vCPU is close enough to whole that every thread still gets at least 90% of a vCPU.
 */
export function taskThreadsFor(cpu: number): number {
  const roundedUp = Math.ceil(cpu);
  // The epsilon keeps 1.8 >= 0.9 x 2 despite binary floating point.
  return Math.max(1, cpu + 1e-9 >= MIN_CPU_PER_TASK_THREAD * roundedUp ? roundedUp : Math.floor(cpu));
}

/**
 * About four waves of 128 MB tasks over the input, between `floor` and 50 executors; 20 when unknown.
 * EMR Serverless passes a floor of 3: it starts a run with 3 executors and refuses a cap below that.
 */
export function defaultMaxExecutors(inputSizeGb: number | undefined, executorCores: number, floor = 2): number {
  if (inputSizeGb === undefined) return 20;
  const tasks = Math.ceil((inputSizeGb * 1024) / ADVISORY_PARTITION_MIB);
  return Math.min(50, Math.max(floor, Math.ceil(tasks / (executorCores * 4))));
}

/**
 * Shuffle partitions: at least 2 per core (AWS EMR BP: 1–2× total vCores), and enough for ~128 MB each
 * over the input; rounded up to a multiple of the cores so waves stay full. AQE coalesces what is too small.
 */
export function shufflePartitionsFor(totalCores: number, inputSizeGb: number | undefined): number {
  const byCores = 2 * totalCores;
  const byInput = inputSizeGb === undefined ? 0 : Math.ceil((inputSizeGb * 1024) / ADVISORY_PARTITION_MIB);
  const wanted = Math.max(byCores, byInput);
  return Math.ceil(wanted / totalCores) * totalCores;
}

/** Default EMR Serverless disk, GB. */
export const DEFAULT_EMR_DISK_GB = EMR_STANDARD_DISK_GB.min;

/** Re-checks a user's heap override (and overhead override, when set) against the container it must fit. */
export function checkMemoryOverride(field: string, heapMiB: number, fit: MemoryFit, factor: number, overheadMiB?: number): void {
  checkHeapFits(field, heapMiB, factor, fit.extraMiB, fit.containerMiB, overheadMiB);
}
