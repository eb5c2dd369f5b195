import { invalidValue } from './errors';
import { overheadFor } from './memory';
import { NormalizedOverride, validateOverride } from './overrides';
import { propsWithRecommendation } from './run-informed/apply-recommendation';
import { formatJvmSize, parseSizeMiB } from './sizes';
import { tableFormatSupport, TableFormatSupport } from './table-formats';
import { checkMemoryOverride, resolveTuning, ResolvedTuning } from './tuning-rules';
import { DeploymentTarget, ResourceSizing, SparkTuningProps } from './types';
import { isUnresolved } from './unresolved';

/** One validated override: its key as Spark reads it, and the key the user wrote. */
export interface ResolvedOverride extends NormalizedOverride {
  /** The key as given in `overrides` (`fs.s3a.x` for `spark.hadoop.fs.s3a.x`). */
  readonly givenKey: string;
}

/** A role's final sizes after the overrides, as numbers, and whether the model re-fitted its overhead. */
export interface ResolvedRole {
  /** Cores, heap, overhead and container of the role, MiB (what the properties render). */
  readonly sizing: ResourceSizing;
  /**
   * The pod's CPU request (`spark.kubernetes.<role>.request.cores`, a Kubernetes quantity) after the overrides.
   * @default - none: not a Kubernetes configuration and no override
   */
  readonly cpuRequest?: string;
  /**
   * The pod's CPU limit (`spark.kubernetes.<role>.limit.cores`) after the overrides.
   * @default - none: not a Kubernetes configuration and no override
   */
  readonly cpuLimit?: string;
  /**
   * Kubernetes only: the overhead the model re-fitted to a user's heap override (the pod stays exact), MiB.
   * @default - not re-fitted: the tuned overhead or the user's own
   */
  readonly refittedOverheadMiB?: number;
}

/** How many executors run, after the overrides (what `spark.executor.instances` and `spark.dynamicAllocation.*` say). */
export interface ResolvedAllocation {
  /** Whether dynamic allocation is on (`spark.dynamicAllocation.enabled` is `true`). */
  readonly dynamic: boolean;
  /**
   * `spark.executor.instances`.
   * @default - not set
   */
  readonly instances?: number;
  /**
   * `spark.dynamicAllocation.initialExecutors`.
   * @default - not set
   */
  readonly initialExecutors?: number;
  /**
   * `spark.dynamicAllocation.minExecutors`.
   * @default - not set
   */
  readonly minExecutors?: number;
  /**
   * `spark.dynamicAllocation.maxExecutors`.
   * @default - not set
   */
  readonly maxExecutors?: number;
  /** Whether shuffle tracking is on (`spark.dynamicAllocation.shuffleTracking.enabled` is not `false`). */
  readonly shuffleTracking: boolean;
  /**
   * `spark.dynamicAllocation.shuffleTracking.timeout`, a Spark time string.
   * @default - not set
   */
  readonly shuffleTrackingTimeout?: string;
}

/**
 * Everything a configuration is, as values: the tuning the rules derived from the props, the table format's
 * support, the overrides (validated, keys normalized) and each role's sizes after them. The renderers only
 * format it; nothing downstream reads a size back from a property string.
 */
export interface ResolvedConfiguration {
  /** The props as given (a recommendation not yet folded in). */
  readonly given: SparkTuningProps;
  /** What the rules derived (shapes validated, release and storage resolved), the recommendation folded in. */
  readonly tuning: ResolvedTuning;
  /**
   * The table format's extension, catalog and jars for this target and release.
   * @default - no table format
   */
  readonly tableFormat?: TableFormatSupport;
  /** The overrides in the order given (a recommendation's below the user's own). */
  readonly overrides: readonly ResolvedOverride[];
  /** The executor after the overrides. */
  readonly executor: ResolvedRole;
  /** The driver after the overrides. */
  readonly driver: ResolvedRole;
  /** The executor counts after the overrides. */
  readonly allocation: ResolvedAllocation;
}

type Role = 'executor' | 'driver';

/**
 * The one resolve step: validates the props, resolves release, shapes and storage, parses every override once
 * (sizes with config/sizes' parser) and checks each role's heap, overhead and cores against its container.
 * Throws naming the field, the value and what is allowed. Unresolved CDK tokens keep the tuned value.
 */
export function resolveConfiguration(given: SparkTuningProps): ResolvedConfiguration {
  // A run's recommendation is folded into the props; `given` keeps what was given (withOverrides re-applies it).
  const props = propsWithRecommendation(given);
  const tuning = resolveTuning(props);
  const tableFormat = props.tableFormat ? tableFormatSupport(props.tableFormat, tuning.target, tuning.release) : undefined;
  const overrides = resolveOverrides(props.overrides ?? {}, tuning.target);
  return {
    given,
    tuning,
    tableFormat,
    overrides,
    executor: resolveRole(tuning, 'executor', overrides),
    driver: resolveRole(tuning, 'driver', overrides),
    allocation: resolveAllocation(tuning, overrides),
  };
}

function resolveOverrides(overrides: { [key: string]: string }, target: DeploymentTarget): ResolvedOverride[] {
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
    throw invalidValue('overrides', overrides, 'expected a map of property names to string values');
  }
  // Every override is validated before any size is checked (the first invalid one is the error).
  const normalized = Object.entries(overrides).map(([key, value]) => validateOverride(key, value, target));
  return Object.keys(overrides).map((givenKey, i) => ({ ...normalized[i], givenKey }));
}

/** The value of the override of `key` (normalized), or undefined. */
function overrideOf(overrides: readonly ResolvedOverride[], key: string): string | undefined {
  let value: string | undefined;
  for (const o of overrides) if (o.key === key) value = o.value;
  return value;
}

/** The rest of a pod above the heap (and the executor's off-heap), in whole MiB as rendered. */
export function podOverheadMiB(t: ResolvedTuning, role: Role, heapMiB: number): number {
  const fit = role === 'executor' ? t.executorFit : t.driverFit;
  return Math.floor(fit.containerMiB - heapMiB - (role === 'executor' ? t.offHeapMiB : 0));
}

/** A role's heap, overhead and cores after the overrides (an unresolved value keeps the tuned one). */
function resolveRole(t: ResolvedTuning, role: Role, overrides: readonly ResolvedOverride[]): ResolvedRole {
  const isK8s = t.target === DeploymentTarget.KUBERNETES;
  const fit = role === 'executor' ? t.executorFit : t.driverFit;
  const shape = role === 'executor' ? t.executorShape : t.driverShape;
  // The tuned sizes: on Kubernetes the overhead is what the pod holds beyond heap and off-heap.
  let heapMiB = fit.heapMiB;
  let overheadMiB = isK8s ? podOverheadMiB(t, role, heapMiB) : undefined;
  let cores = role === 'executor' ? t.executorCores : t.driverCores;
  let refittedOverheadMiB: number | undefined;

  const memory = overrideOf(overrides, `spark.${role}.memory`);
  const overhead = overrideOf(overrides, `spark.${role}.memoryOverhead`);
  // Each value is parsed once, here; the checks and the sizes take the numbers.
  const overheadValue = overhead === undefined || isUnresolved(overhead)
    ? undefined : parseSizeMiB(`overrides['spark.${role}.memoryOverhead']`, overhead);
  if (memory !== undefined && !isUnresolved(memory)) {
    // A memory override must still fit its container.
    const field = `overrides['spark.${role}.memory']`;
    heapMiB = parseSizeMiB(field, memory);
    checkMemoryOverride(field, heapMiB, fit, t.overheadFactor, isK8s ? overheadValue : undefined);
    if (isK8s && overhead === undefined) {
      // Keep the pod exact: the overhead takes what the new heap leaves.
      overheadMiB = refittedOverheadMiB = podOverheadMiB(t, role, heapMiB);
    }
  }
  if (overhead !== undefined) overheadMiB = overheadValue;
  const coresText = overrideOf(overrides, `spark.${role}.cores`);
  if (coresText !== undefined && !isUnresolved(coresText)) {
    if (Number(coresText) > Math.ceil(shape.cpu)) {
      throw invalidValue(`overrides['spark.${role}.cores']`, coresText, `at most the ${role} ${t.target === DeploymentTarget.EMR_SERVERLESS ? 'worker' : 'pod'}'s ${shape.cpu} vCPU`);
    }
    cores = Number(coresText);
  }

  const finalOverhead = overheadMiB ?? overheadFor(heapMiB, t.overheadFactor);
  const extraMiB = role === 'executor' ? t.executorFit.extraMiB : 0;
  return {
    sizing: {
      cores,
      cpu: shape.cpu,
      heapMiB,
      overheadMiB: finalOverhead,
      extraMiB,
      containerMiB: fit.containerMiB,
      unusedMiB: fit.containerMiB - heapMiB - finalOverhead - extraMiB,
      memory: formatJvmSize(heapMiB),
      memoryOverhead: formatJvmSize(finalOverhead),
    },
    cpuRequest: overrideOf(overrides, `spark.kubernetes.${role}.request.cores`) ?? (isK8s ? String(shape.cpu) : undefined),
    cpuLimit: overrideOf(overrides, `spark.kubernetes.${role}.limit.cores`) ?? (isK8s ? String(shape.cpu) : undefined),
    refittedOverheadMiB,
  };
}

/** The executor counts: the tuned ones, each override read once (overrides of these keys are validated counts and booleans). */
function resolveAllocation(t: ResolvedTuning, overrides: readonly ResolvedOverride[]): ResolvedAllocation {
  const dynamic = t.executorInstances === undefined;
  const text = (key: string) => overrideOf(overrides, key);
  const count = (key: string, tuned: number | undefined) => {
    const value = text(key);
    return value === undefined ? tuned : Number(value);
  };
  const enabled = text('spark.dynamicAllocation.enabled');
  const tracking = text('spark.dynamicAllocation.shuffleTracking.enabled');
  return {
    dynamic: enabled === undefined ? dynamic : enabled === 'true',
    instances: count('spark.executor.instances', dynamic ? t.startExecutorInstances : t.executorInstances),
    initialExecutors: count('spark.dynamicAllocation.initialExecutors', dynamic ? t.initialExecutors : undefined),
    minExecutors: count('spark.dynamicAllocation.minExecutors', dynamic ? 0 : undefined),
    maxExecutors: count('spark.dynamicAllocation.maxExecutors', dynamic ? t.maxExecutors : undefined),
    // True unless set to false (the model renders true on Kubernetes with dynamic allocation).
    shuffleTracking: tracking === undefined ? true : tracking !== 'false',
    shuffleTrackingTimeout: text('spark.dynamicAllocation.shuffleTracking.timeout'),
  };
}
