import { invalidValue } from './errors';
import type { WorkerShape } from './types';

/** The memory rule of one EMR Serverless worker size. */
export interface EmrWorkerRule {
  /** vCPU of the worker. */
  readonly cpu: number;
  /** Smallest memory, in GB. */
  readonly minMemoryGb: number;
  /** Largest memory, in GB. */
  readonly maxMemoryGb: number;
  /** Memory must be a multiple of this step above the minimum, in GB. */
  readonly memoryStepGb: number;
}

// EMR Serverless worker configurations: "1, 2, 4, 8, or 16 vCPUs", each with its memory range and
// increment (EMR-Serverless-UserGuide/app-behavior.html#worker-configs).
const WORKER_RULES: EmrWorkerRule[] = [
  { cpu: 1, minMemoryGb: 2, maxMemoryGb: 8, memoryStepGb: 1 },
  { cpu: 2, minMemoryGb: 4, maxMemoryGb: 16, memoryStepGb: 1 },
  { cpu: 4, minMemoryGb: 8, maxMemoryGb: 30, memoryStepGb: 1 },
  { cpu: 8, minMemoryGb: 16, maxMemoryGb: 60, memoryStepGb: 4 },
  { cpu: 16, minMemoryGb: 32, maxMemoryGb: 120, memoryStepGb: 8 },
];

/** Standard disk: 20–200 GB per worker (app-behavior.html). */
export const EMR_STANDARD_DISK_GB = { min: 20, max: 200 } as const;
/** Shuffle-optimized disk: 20 GB–2 TB per worker, EMR 7.1.0+ (jobs-shuffle-optimized-disks.html). */
export const EMR_SHUFFLE_OPTIMIZED_DISK_GB = { min: 20, max: 2000 } as const;

/** Every valid EMR Serverless worker rule, smallest first. */
export function emrWorkerRules(): EmrWorkerRule[] {
  return WORKER_RULES.map(rule => ({ ...rule }));
}

/** Every valid (vCPU, memory GB) pair, for tests and the benchmark. */
export function emrWorkerSizes(): Array<{ cpu: number; memoryGb: number }> {
  const sizes: Array<{ cpu: number; memoryGb: number }> = [];
  for (const rule of WORKER_RULES) {
    for (let gb = rule.minMemoryGb; gb <= rule.maxMemoryGb; gb += rule.memoryStepGb) {
      sizes.push({ cpu: rule.cpu, memoryGb: gb });
    }
  }
  return sizes;
}

/** The rule for a vCPU count; anything other than 1, 2, 4, 8 or 16 is an error. */
export function emrWorkerRule(field: string, cpu: number): EmrWorkerRule {
  const rule = WORKER_RULES.find(r => r.cpu === cpu);
  if (!rule) {
    throw invalidValue(field, cpu, `EMR Serverless workers have ${WORKER_RULES.map(r => r.cpu).join(', ')} vCPU`);
  }
  return rule;
}

/** Validates worker memory (GB) against the rule of its vCPU: range and step. */
export function validateEmrWorkerMemory(field: string, cpu: number, memoryGb: number): void {
  const rule = emrWorkerRule(field.replace(/memory\w*$/i, 'cpu'), cpu);
  const stepsFromMin = (memoryGb - rule.minMemoryGb) / rule.memoryStepGb;
  if (!Number.isFinite(memoryGb) || memoryGb < rule.minMemoryGb || memoryGb > rule.maxMemoryGb || !Number.isInteger(stepsFromMin)) {
    throw invalidValue(field, memoryGb,
      `a ${cpu}-vCPU EMR Serverless worker takes ${rule.minMemoryGb}-${rule.maxMemoryGb} GB in steps of ${rule.memoryStepGb} GB`);
  }
}

/** Validates a worker disk (GB) for its disk type and release. */
export function validateEmrWorkerDisk(field: string, diskGb: number, shuffleOptimized: boolean): void {
  const range = shuffleOptimized ? EMR_SHUFFLE_OPTIMIZED_DISK_GB : EMR_STANDARD_DISK_GB;
  if (!Number.isInteger(diskGb) || diskGb < range.min || diskGb > range.max) {
    throw invalidValue(field, diskGb,
      `${shuffleOptimized ? 'shuffle-optimized' : 'standard'} disks take ${range.min}-${range.max} GB (whole GB)`);
  }
}

/** The EMR Serverless worker rules as static methods (jsii carries classes; the functions above are TypeScript-only). */
export class EmrWorkers {
  /** Every valid worker rule, smallest first. */
  public static rules(): EmrWorkerRule[] {
    return emrWorkerRules();
  }

  /** Every valid (vCPU, memory GB) worker shape. */
  public static shapes(): WorkerShape[] {
    return emrWorkerSizes();
  }

  private constructor() {}
}
