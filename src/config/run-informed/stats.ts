/**
 * Small numeric helpers shared by the evidence readers (client/) and the run-informed rules: one copy, here in
 * config/, the lower layer.
 */

import { jvmSizeMiB } from '../sizes';

const MIB = 1024 * 1024;

/** The median of the values (the mean of the middle two for an even count); 0 for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Most intervals `[start, end)` open at one time. One ending at t frees its place for one starting at t, so a task
 * that ends when the next starts in the same slot counts once.
 */
export function peakOverlap(intervals: ReadonlyArray<readonly [number, number]>): number {
  const points: Array<[number, number]> = [];
  for (const [a, b] of intervals) points.push([a, 1], [b, -1]);
  points.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let open = 0;
  let peak = 0;
  for (const [, d] of points) {
    open += d;
    peak = Math.max(peak, open);
  }
  return peak;
}


/** A Spark size property in bytes (`512m`, `4g`, `64MB`; a bare number is bytes), or undefined when absent or not a size. */
export function sizeBytes(text: string | undefined): number | undefined {
  const mib = jvmSizeMiB(text, 'bytes');
  return mib === undefined ? undefined : mib * MIB;
}

/** A size property (`spark.*.memory`, `...memoryOverhead`) in MiB, or undefined; a bare number is bytes, as above. */
export function jvmMiB(text: string | undefined): number | undefined {
  const bytes = sizeBytes(text);
  return bytes === undefined ? undefined : bytes / MIB;
}
