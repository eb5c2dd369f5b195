import { EMR_SHUFFLE_OPTIMIZED_DISK_GB, EMR_STANDARD_DISK_GB, emrWorkerRules } from './emr-serverless-workers';
import { invalidValue } from './errors';
import { MIN_MEMORY_OVERHEAD_MIB } from './memory';
import { splitShellWords } from './quoting';
import { EmrRelease } from './releases';
import { jvmSizeMiB } from './sizes';
import { isUnresolved } from './unresolved';

/**
 * One rule EMR Serverless applies to a job run: a configuration that breaks it is refused at StartJobRun,
 * never gets its workers, or is silently run differently. Each rule names where it is documented.
 */
export interface EmrServerlessRule {
  /** Short id, quoted in every error (`dynamic-allocation-bounds`). */
  readonly id: string;
  /** What the service requires. */
  readonly summary: string;
  /** Where it is documented (AWS user guide or API reference first). */
  readonly sources: string[];
  /**
   * False when no primary source states the rule as we enforce it (a secondary source, or sources that disagree):
   * we still enforce it, and say so in the message.
   */
  readonly confirmed: boolean;
  /**
   * What is not confirmed, or how sources disagree.
   * @default - nothing to add
   */
  readonly note?: string;
}

const GUIDE = 'https://docs.aws.amazon.com/emr/latest/EMR-Serverless-UserGuide';
const API = 'https://docs.aws.amazon.com/emr-serverless/latest/APIReference';

/** The service's defaults for the executor counts (jobs-spark.html, "Spark job properties"). */
export const EMR_DEFAULT_INITIAL_EXECUTORS = 3;
/** `spark.executor.instances` defaults to 3 on EMR Serverless. */
export const EMR_DEFAULT_EXECUTOR_INSTANCES = 3;
/** `spark.dynamicAllocation.minExecutors` defaults to 0. */
export const EMR_DEFAULT_MIN_EXECUTORS = 0;
/** StartJobRun `sparkSubmitParameters`: at most this many characters. */
export const MAX_SPARK_SUBMIT_PARAMETERS = 102400;
/** StartJobRun `entryPoint`: at most this many characters. */
export const MAX_ENTRY_POINT_LENGTH = 4096;
/** StartJobRun `entryPointArguments`: at most this many items. */
export const MAX_ENTRY_POINT_ARGUMENTS = 1024;
/** One entry point argument: at most this many characters (earlier API reference versions). */
export const MAX_ENTRY_POINT_ARGUMENT_LENGTH = 10280;

/** The rules, by id. */
export const EMR_SERVERLESS_RULES = {
  dynamicAllocationBounds: {
    id: 'dynamic-allocation-bounds',
    summary: 'with dynamic allocation on (the default), the starting executor count max(initialExecutors, minExecutors, executor.instances), '
      + `${EMR_DEFAULT_INITIAL_EXECUTORS}, ${EMR_DEFAULT_MIN_EXECUTORS} and ${EMR_DEFAULT_EXECUTOR_INSTANCES} unless set, must lie within [minExecutors, maxExecutors]; the run is refused at submission otherwise`,
    sources: [`${GUIDE}/jobs-spark.html#spark-defaults`, 'https://github.com/aws-samples/aws-emr-utilities/pull/175'],
    confirmed: true,
    note: 'aws-emr-utilities#160 says maxExecutors below 4 is refused; the later #175 shows the service\'s own message with the bound at 3 (the default start count). The floor of 4 is not confirmed and not enforced.',
  },
  workerCores: {
    id: 'worker-cores',
    summary: 'spark.driver.cores and spark.executor.cores are the vCPU of an EMR Serverless worker: 1, 2, 4, 8 or 16',
    sources: [`${GUIDE}/app-behavior.html#worker-configs`],
    confirmed: true,
  },
  workerMemory: {
    id: 'worker-memory',
    summary: 'memory + overhead (spark.*.memoryOverhead, else max(384 MiB, memoryOverheadFactor × memory)) must fit the largest worker of the cores\' vCPU size (8, 16, 30, 60 or 120 GB)',
    sources: [`${GUIDE}/app-behavior.html#worker-configs`, 'https://github.com/aws-samples/aws-emr-utilities/pull/96'],
    confirmed: true,
  },
  workerDisk: {
    id: 'worker-disk',
    summary: `spark.emr-serverless.driver.disk and .executor.disk are whole GB (e.g. 20G): ${EMR_STANDARD_DISK_GB.min}-${EMR_STANDARD_DISK_GB.max}G on standard disks, ${EMR_SHUFFLE_OPTIMIZED_DISK_GB.min}-${EMR_SHUFFLE_OPTIMIZED_DISK_GB.max}G on shuffle-optimized disks`,
    sources: [`${GUIDE}/jobs-spark.html#spark-defaults`, `${GUIDE}/jobs-shuffle-optimized-disks.html`],
    confirmed: true,
  },
  diskType: {
    id: 'disk-type',
    summary: 'spark.emr-serverless.driver.disk.type and .executor.disk.type are standard or shuffle_optimized; shuffle_optimized needs EMR 7.1.0 or later',
    sources: [`${GUIDE}/jobs-shuffle-optimized-disks.html`],
    confirmed: true,
  },
  memoryOverheadFactor: {
    id: 'memory-overhead-factor',
    summary: 'spark.emr-serverless.memoryOverheadFactor is a decimal share of the heap added to each container, greater than 0 and at most 1 (default 0.1)',
    sources: [`${GUIDE}/jobs-spark.html#spark-defaults`],
    confirmed: false,
    note: 'the user guide gives the default (0.1) and meaning only; the range (0, 1] is ours.',
  },
  noShuffleService: {
    id: 'no-shuffle-service',
    summary: 'EMR Serverless has no external shuffle service: spark.shuffle.service.enabled must not be true',
    sources: ['https://github.com/aws-samples/emr-serverless-samples/blob/main/Best_Practices.md'],
    confirmed: false,
    note: 'stated in AWS\'s samples repository ("as of Nov 2024"), not in the user guide.',
  },
  maximumCapacity: {
    id: 'maximum-capacity',
    summary: 'the application never holds more than its maximumCapacity: the driver plus maxExecutors (or executor.instances) workers at their sizes must fit its vCPU, memory and disk, or the executors beyond it never start',
    sources: [`${GUIDE}/app-behavior.html#max-capacity`],
    confirmed: true,
  },
  preInitializedCapacity: {
    id: 'pre-initialized-capacity',
    summary: 'a job uses pre-initialized workers only when its driver and executor worker configurations match them; otherwise they sit idle and are billed',
    sources: [`${GUIDE}/pre-init-capacity.html`],
    confirmed: true,
  },
  submitParametersLength: {
    id: 'submit-parameters-length',
    summary: `StartJobRun sparkSubmitParameters is 1 to ${MAX_SPARK_SUBMIT_PARAMETERS} characters`,
    sources: [`${API}/API_SparkSubmit.html`],
    confirmed: true,
  },
  entryPointLength: {
    id: 'entry-point-length',
    summary: `StartJobRun entryPoint is 1 to ${MAX_ENTRY_POINT_LENGTH} characters, not only spaces`,
    sources: [`${API}/API_SparkSubmit.html`],
    confirmed: false,
    note: 'the current API reference says 4096; earlier versions (and some translations) say 256.',
  },
  entryPointArguments: {
    id: 'entry-point-arguments',
    summary: `StartJobRun entryPointArguments has at most ${MAX_ENTRY_POINT_ARGUMENTS} items of 1 to ${MAX_ENTRY_POINT_ARGUMENT_LENGTH} characters`,
    sources: [`${API}/API_SparkSubmit.html`],
    confirmed: false,
    note: 'the item count is in the current API reference; the 1-10280 characters per argument only in earlier versions (the current one states no maximum).',
  },
} as const satisfies Record<string, EmrServerlessRule>;

/** Every rule, for documentation and tests. */
export function emrServerlessRules(): EmrServerlessRule[] {
  return Object.values(EMR_SERVERLESS_RULES).map(r => ({ ...r, sources: [...r.sources] }));
}

/** One broken rule: the property, its value, and what the rule allows. */
export interface EmrServerlessRuleViolation {
  readonly rule: EmrServerlessRule;
  /** The property or StartJobRun field. */
  readonly key: string;
  readonly value: string;
  /** What is wrong with the value, in the rule's terms. */
  readonly detail: string;
}

/** The error text of a violation: field, value, detail, the rule and its sources. */
export function describeViolation(v: EmrServerlessRuleViolation, field = v.key): Error {
  const unconfirmed = v.rule.confirmed ? '' : ' (rule not confirmed by the user guide)';
  return invalidValue(field, v.value, `${v.detail}; EMR Serverless rule '${v.rule.id}'${unconfirmed}: ${v.rule.summary} (source: ${v.rule.sources.join(', ')})`);
}

function known(value: string | undefined): string | undefined {
  return value === undefined || isUnresolved(value) ? undefined : value;
}

function count(value: string | undefined): number | undefined {
  const v = known(value);
  return v !== undefined && /^\s*\d+\s*$/.test(v) ? Number(v) : undefined;
}

function mib(value: string | undefined): number | undefined {
  return jvmSizeMiB(known(value));
}

/**
 * Checks Spark properties (as the job run will see them, `spark.hadoop.*` included) against the rules that
 * need no application: dynamic allocation, worker cores and memory, disks, the overhead factor and the shuffle
 * service. The release, when known, decides shuffle-optimized disks. Unresolved tokens are not checked.
 */
export function checkEmrServerlessProperties(props: { [key: string]: string }, release?: EmrRelease): EmrServerlessRuleViolation[] {
  const found: EmrServerlessRuleViolation[] = [];
  const R = EMR_SERVERLESS_RULES;
  const add = (rule: EmrServerlessRule, key: string, detail: string) => found.push({ rule, key, value: props[key] ?? '(unset)', detail });

  // Dynamic allocation: Spark starts max(initial, min, instances) executors; the service checks it lies in [min, max].
  if ((known(props['spark.dynamicAllocation.enabled']) ?? 'true').trim() !== 'false') {
    const min = count(props['spark.dynamicAllocation.minExecutors']) ?? EMR_DEFAULT_MIN_EXECUTORS;
    const max = count(props['spark.dynamicAllocation.maxExecutors']);
    const initial = count(props['spark.dynamicAllocation.initialExecutors']) ?? EMR_DEFAULT_INITIAL_EXECUTORS;
    const instances = count(props['spark.executor.instances']) ?? EMR_DEFAULT_EXECUTOR_INSTANCES;
    const start = Math.max(initial, min, instances);
    if (max !== undefined && min > max) {
      add(R.dynamicAllocationBounds, 'spark.dynamicAllocation.minExecutors', `minExecutors ${min} exceeds maxExecutors ${max}`);
    } else if (max !== undefined && start > max) {
      const key = props['spark.dynamicAllocation.maxExecutors'] !== undefined ? 'spark.dynamicAllocation.maxExecutors' : 'spark.dynamicAllocation.initialExecutors';
      add(R.dynamicAllocationBounds, key,
        `the run would start max(initialExecutors ${initial}, minExecutors ${min}, executor.instances ${instances}) = ${start} executors, above maxExecutors ${max}`);
    }
  }

  // Workers: cores pick the worker size, memory + overhead must fit the largest worker of that size.
  const rules = emrWorkerRules();
  const rawFactor = known(props['spark.emr-serverless.memoryOverheadFactor']);
  const factor = rawFactor === undefined ? 0.1 : Number(rawFactor);
  if (rawFactor !== undefined && (!/^\s*\d*\.?\d+\s*$/.test(rawFactor) || !(factor > 0 && factor <= 1))) {
    add(R.memoryOverheadFactor, 'spark.emr-serverless.memoryOverheadFactor', 'expected a decimal greater than 0 and at most 1, e.g. 0.1 or 0.4');
  }
  for (const role of ['driver', 'executor'] as const) {
    const coresKey = `spark.${role}.cores`;
    const cores = known(props[coresKey]) === undefined ? 4 : count(props[coresKey]);
    const rule = rules.find(r => r.cpu === cores);
    if (!rule) {
      add(R.workerCores, coresKey, `expected ${rules.map(r => r.cpu).join(', ')}`);
    } else {
      const memoryKey = `spark.${role}.memory`;
      const heap = known(props[memoryKey]) === undefined ? 14 * 1024 : mib(props[memoryKey]);
      const explicitOverhead = mib(props[`spark.${role}.memoryOverhead`]);
      const usableFactor = factor > 0 && factor <= 1 ? factor : 0.1;
      if (heap !== undefined) {
        const overhead = explicitOverhead ?? Math.max(MIN_MEMORY_OVERHEAD_MIB, Math.ceil(usableFactor * heap));
        const limit = rule.maxMemoryGb * 1024;
        if (heap + overhead > limit) {
          add(R.workerMemory, memoryKey,
            `${Math.round(heap)} MiB + ${Math.round(overhead)} MiB overhead = ${Math.round(heap + overhead)} MiB exceeds the largest ${cores}-vCPU worker (${rule.maxMemoryGb} GB = ${limit} MiB)`);
        }
      }
    }

    const typeKey = `spark.emr-serverless.${role}.disk.type`;
    const type = known(props[typeKey])?.trim().toLowerCase();
    if (type !== undefined && type !== 'standard' && type !== 'shuffle_optimized') {
      add(R.diskType, typeKey, 'expected standard or shuffle_optimized');
    } else if (type === 'shuffle_optimized' && release && !release.shuffleOptimizedDisks) {
      add(R.diskType, typeKey, `shuffle-optimized disks need EMR 7.1.0 or later (release is ${release.label})`);
    }
    const diskKey = `spark.emr-serverless.${role}.disk`;
    const disk = known(props[diskKey]);
    if (disk !== undefined) {
      const range = type === 'shuffle_optimized' ? EMR_SHUFFLE_OPTIMIZED_DISK_GB : EMR_STANDARD_DISK_GB;
      const m = /^\s*(\d+)\s*g\s*$/i.exec(disk);
      if (!m || Number(m[1]) < range.min || Number(m[1]) > range.max) {
        add(R.workerDisk, diskKey, `expected ${range.min}G to ${range.max}G on a ${type === 'shuffle_optimized' ? 'shuffle-optimized' : 'standard'} disk`);
      }
    }
  }

  if (known(props['spark.shuffle.service.enabled'])?.trim() === 'true') {
    add(R.noShuffleService, 'spark.shuffle.service.enabled', 'leave it false');
  }
  return found;
}

/** The StartJobRun job driver fields the size rules cover. */
export interface SparkSubmitFields {
  /**
   * The entry point (1 to `MAX_ENTRY_POINT_LENGTH` characters).
   * @see https://docs.aws.amazon.com/emr-serverless/latest/APIReference/API_SparkSubmit.html
   * @default - not checked
   */
  readonly entryPoint?: string;
  /**
   * The entry point's arguments (at most `MAX_ENTRY_POINT_ARGUMENTS`, each 1 to `MAX_ENTRY_POINT_ARGUMENT_LENGTH` characters).
   * @see https://docs.aws.amazon.com/emr-serverless/latest/APIReference/API_SparkSubmit.html
   * @default - none
   */
  readonly entryPointArguments?: string[];
  /**
   * The spark-submit parameters (at most `MAX_SPARK_SUBMIT_PARAMETERS` characters).
   * @see https://docs.aws.amazon.com/emr-serverless/latest/APIReference/API_SparkSubmit.html
   * @default - none
   */
  readonly sparkSubmitParameters?: string;
}

/** Checks the StartJobRun size limits of the job driver. Unresolved tokens are not checked. */
export function checkSparkSubmitFields(fields: SparkSubmitFields): EmrServerlessRuleViolation[] {
  const found: EmrServerlessRuleViolation[] = [];
  const R = EMR_SERVERLESS_RULES;
  const params = known(fields.sparkSubmitParameters);
  if (params !== undefined && params.length > MAX_SPARK_SUBMIT_PARAMETERS) {
    found.push({ rule: R.submitParametersLength, key: 'sparkSubmitParameters', value: `${params.length} characters`, detail: `at most ${MAX_SPARK_SUBMIT_PARAMETERS} characters` });
  }
  const entry = known(fields.entryPoint);
  if (entry !== undefined && (entry.trim() === '' || entry.length > MAX_ENTRY_POINT_LENGTH)) {
    found.push({ rule: R.entryPointLength, key: 'entryPoint', value: entry.length > 80 ? `${entry.length} characters` : entry, detail: `1 to ${MAX_ENTRY_POINT_LENGTH} characters` });
  }
  const args = fields.entryPointArguments ?? [];
  if (!isUnresolved(args) && args.length > MAX_ENTRY_POINT_ARGUMENTS) {
    found.push({ rule: R.entryPointArguments, key: 'entryPointArguments', value: `${args.length} items`, detail: `at most ${MAX_ENTRY_POINT_ARGUMENTS} items` });
  }
  args.forEach((arg, i) => {
    const a = known(arg);
    if (a !== undefined && (a.length < 1 || a.length > MAX_ENTRY_POINT_ARGUMENT_LENGTH)) {
      found.push({ rule: R.entryPointArguments, key: `entryPointArguments[${i}]`, value: a.length > 80 ? `${a.length} characters` : a, detail: `1 to ${MAX_ENTRY_POINT_ARGUMENT_LENGTH} characters` });
    }
  });
  return found;
}

/** Throws the first violation, if any; `fieldOf` names the field the user set for a key. */
export function throwFirstViolation(violations: EmrServerlessRuleViolation[], fieldOf: (key: string) => string = k => k): void {
  const first = violations[0];
  if (first) throw describeViolation(first, fieldOf(first.key));
}

/**
 * The `--conf key=value` pairs of a sparkSubmitParameters string, later ones winning, as spark-submit reads
 * them (POSIX shell words). `--conf=key=value` is read too; other flags are skipped with their value.
 */
export function sparkSubmitConf(parameters: string): { [key: string]: string } {
  const words = splitShellWords(parameters);
  const conf: { [key: string]: string } = {};
  const put = (pair: string | undefined) => {
    const eq = pair?.indexOf('=') ?? -1;
    if (pair !== undefined && eq > 0) conf[pair.slice(0, eq)] = pair.slice(eq + 1);
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '--conf' || w === '-c') put(words[++i]);
    else if (w.startsWith('--conf=')) put(w.slice('--conf='.length));
  }
  return conf;
}

/** Capacity in the units of an application's maximumCapacity. */
export interface CapacityLimits {
  readonly cpu: number;
  readonly memoryGb: number;
  /** @default - not capped */
  readonly diskGb?: number;
}

/** A worker's size for capacity sums. */
export interface WorkerSize {
  readonly cpu: number;
  readonly memoryGb: number;
  /** @default 20 */
  readonly diskGb?: number;
}

/**
 * How many executors fit in `capacity` next to one driver (the maximum-capacity rule); 0 when not even the
 * driver fits, and undefined when a value is an unresolved token.
 */
export function executorsWithinCapacity(capacity: CapacityLimits, driver: WorkerSize, executor: WorkerSize): number | undefined {
  const values = [capacity.cpu, capacity.memoryGb, capacity.diskGb, driver.cpu, driver.memoryGb, driver.diskGb,
    executor.cpu, executor.memoryGb, executor.diskGb];
  if (values.some(v => v !== undefined && isUnresolved(v))) return undefined;
  const disk = (w: WorkerSize) => w.diskGb ?? 20;
  const per = (total: number, d: number, e: number) => Math.max(0, Math.floor((total - d) / e + 1e-9));
  let fit = Math.min(per(capacity.cpu, driver.cpu, executor.cpu), per(capacity.memoryGb, driver.memoryGb, executor.memoryGb));
  if (capacity.diskGb !== undefined) fit = Math.min(fit, per(capacity.diskGb, disk(driver), disk(executor)));
  const driverFits = driver.cpu <= capacity.cpu && driver.memoryGb <= capacity.memoryGb
    && (capacity.diskGb === undefined || disk(driver) <= capacity.diskGb);
  return driverFits ? fit : 0;
}

/** The capacity in words, for reasons and errors. */
export function describeCapacity(capacity: CapacityLimits): string {
  return `${capacity.cpu} vCPU, ${capacity.memoryGb} GB${capacity.diskGb === undefined ? '' : `, ${capacity.diskGb} GB disk`}`;
}
