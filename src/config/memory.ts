import { invalidValue } from './errors';

/** Spark's floor for memory overhead, in MiB (`spark.{driver,executor}.minMemoryOverhead`, 384m). */
export const MIN_MEMORY_OVERHEAD_MIB = 384;
/**
 * Smallest heap a Spark JVM starts with: 1.5 × the 300 MiB reserved memory
 * ("System memory … must be at least 471859200", UnifiedMemoryManager.scala).
 */
export const MIN_HEAP_MIB = 450;
/** Heaps are sized in 64 MiB units: readable sizes, and a margin under the container. */
export const HEAP_GRANULARITY_MIB = 64;

/** Memory overhead Spark (and EMR Serverless) add for a heap: max(384 MiB, factor × heap). */
export function overheadFor(heapMiB: number, factor: number): number {
  return Math.max(MIN_MEMORY_OVERHEAD_MIB, Math.ceil(factor * heapMiB));
}

/** How a heap was fitted into its container. */
export interface MemoryFit {
  /** JVM heap (`spark.*.memory`), MiB. */
  readonly heapMiB: number;
  /** Overhead the platform adds or that we render (`spark.*.memoryOverhead`), MiB. */
  readonly overheadMiB: number;
  /** Off-heap plus PySpark memory also counted in the container, MiB. */
  readonly extraMiB: number;
  /** Container (worker or pod) memory, MiB. */
  readonly containerMiB: number;
  /** Memory of the container left unused, MiB. */
  readonly unusedMiB: number;
}

/**
 * The largest heap (a multiple of 64 MiB) whose container total fits:
 * heap + max(384 MiB, factor × heap) + extra ≤ container
 * (ResourceProfile.totalMemMiB; EMR Serverless app-behavior.html for the 10% rule).
 */
export function fitHeap(field: string, containerMiB: number, factor: number, extraMiB = 0): MemoryFit {
  const available = containerMiB - extraMiB;
  let heap = Math.floor(available / (1 + factor) / HEAP_GRANULARITY_MIB) * HEAP_GRANULARITY_MIB;
  while (heap > 0 && heap + overheadFor(heap, factor) > available) {
    heap -= HEAP_GRANULARITY_MIB;
  }
  if (heap < MIN_HEAP_MIB) {
    throw invalidValue(field, `${Math.floor(containerMiB)}MiB`,
      `a container must hold at least a ${MIN_HEAP_MIB} MiB heap + ${MIN_MEMORY_OVERHEAD_MIB} MiB overhead` +
      (extraMiB > 0 ? ` + ${extraMiB} MiB off-heap/PySpark memory` : ''));
  }
  const overhead = overheadFor(heap, factor);
  return {
    heapMiB: heap,
    overheadMiB: overhead,
    extraMiB,
    containerMiB,
    unusedMiB: containerMiB - heap - overhead - extraMiB,
  };
}

/** Checks a user-chosen heap against its container; throws naming the field when it does not fit. */
export function checkHeapFits(field: string, heapMiB: number, factor: number, extraMiB: number, containerMiB: number, overheadMiB?: number): void {
  const overhead = overheadMiB ?? overheadFor(heapMiB, factor);
  const total = heapMiB + overhead + extraMiB;
  if (total > containerMiB) {
    const best = fitHeap(field, containerMiB, factor, extraMiB).heapMiB;
    throw invalidValue(field, `${heapMiB}m`,
      `heap ${heapMiB} MiB + overhead ${overhead} MiB${extraMiB ? ` + ${extraMiB} MiB off-heap/PySpark` : ''} = ${total} MiB exceeds the ${containerMiB} MiB container; at most ${best}m fits`);
  }
}
