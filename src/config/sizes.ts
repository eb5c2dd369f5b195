import { invalidValue } from './errors';

/** Units accepted in size strings, in MiB. JVM-style (`14g`, `512m`) and AWS-style (`14 GB`). */
const UNIT_MIB: Record<string, number> = {
  k: 1 / 1024,
  kb: 1 / 1024,
  ki: 1 / 1024,
  kib: 1 / 1024,
  m: 1,
  mb: 1,
  mi: 1,
  mib: 1,
  g: 1024,
  gb: 1024,
  gi: 1024,
  gib: 1024,
  t: 1024 * 1024,
  tb: 1024 * 1024,
  ti: 1024 * 1024,
  tib: 1024 * 1024,
};

const SIZE_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/;

/**
 * Parses a memory size such as `14g`, `7424m`, `16 GB` or `2Gi` into MiB.
 * A bare number is read as `defaultUnit`. Like Spark and EMR, 1 GB is 1024 MiB here.
 */
export function parseSizeMiB(field: string, value: string | number, defaultUnit: 'm' | 'g' = 'm'): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) {
      throw invalidValue(field, value, 'expected a positive size such as 4096m, 16g or 16 GB');
    }
    return defaultUnit === 'g' ? value * 1024 : value;
  }
  const match = SIZE_PATTERN.exec(value);
  const unit = match ? (match[2] || defaultUnit).toLowerCase() : '';
  if (!match || !(unit in UNIT_MIB)) {
    throw invalidValue(field, value, 'expected a positive size such as 4096m, 16g or 16 GB (units k, m, g, t, with optional b/i/ib)');
  }
  const mib = Number(match[1]) * UNIT_MIB[unit];
  if (mib <= 0) {
    throw invalidValue(field, value, 'a size must be greater than zero');
  }
  return mib;
}

// Spark's JVM size syntax (spark.*.memory, spark.memory.offHeap.size, ...; JavaUtils.byteStringAs, which trims):
// a whole number and an optional unit k, m, g, t or p, with an optional trailing b. Readers of recorded
// properties also take a decimal and spaces.
const JVM_SIZE = /^\d+[kmgtp]?b?$/i;
const JVM_SIZE_READ = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)b?\s*$/i;
const JVM_UNIT_MIB: Record<string, number> = { k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024, p: 1024 * 1024 * 1024 };

/** Whether `text` is a JVM size as Spark's memory properties take it (`4096m`, `4g`, `512`), spaces around allowed. */
export function isJvmSize(text: string): boolean {
  return JVM_SIZE.test(text.trim());
}

/**
 * The MiB of a JVM size string (`14g`, `7424m`), or undefined when `text` is not one. A number without a unit
 * is `bareUnit`: MiB, as `spark.executor.memory` reads it, or bytes, as Spark's byte-string properties do.
 */
export function jvmSizeMiB(text: string | undefined, bareUnit: 'mib' | 'bytes' = 'mib'): number | undefined {
  const m = text === undefined ? null : JVM_SIZE_READ.exec(text);
  if (!m) return undefined;
  const unit = m[2].toLowerCase();
  return Number(m[1]) * (unit === '' ? (bareUnit === 'mib' ? 1 : 1 / (1024 * 1024)) : JVM_UNIT_MIB[unit]);
}

/** Formats MiB the way Spark expects a JVM size: whole GiB as `14g`, otherwise `7424m`. */
export function formatJvmSize(mib: number): string {
  const whole = Math.floor(mib);
  return whole % 1024 === 0 ? `${whole / 1024}g` : `${whole}m`;
}

/** Formats MiB as a Kubernetes quantity (`Mi`), as the operator writes pod memory. */
export function formatKubernetesQuantity(mib: number): string {
  return `${Math.floor(mib)}Mi`;
}

/** Throws unless `value` is a whole number in [min, max]. */
export function requireInteger(field: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `a whole number >= ${min}` : `a whole number from ${min} to ${max}`;
    throw invalidValue(field, value, `expected ${range}`);
  }
  return value;
}

/** Memory sizes as static methods (jsii carries classes; the functions above are TypeScript-only). */
export class MemorySizes {
  /** MiB of a size such as `14g`, `7424m`, `16 GB` or `2Gi` (a bare number is MiB); throws naming `field`. */
  public static parseMiB(field: string, value: string): number {
    return parseSizeMiB(field, value);
  }

  /** MiB as a JVM size: whole GiB as `14g`, otherwise `7424m`. */
  public static formatJvm(mib: number): string {
    return formatJvmSize(mib);
  }

  /** MiB as a Kubernetes quantity (`7424Mi`). */
  public static formatKubernetesQuantity(mib: number): string {
    return formatKubernetesQuantity(mib);
  }

  private constructor() {}
}
