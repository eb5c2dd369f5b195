/**
 * Builds the one error shape every synth-time check in spark-deploy uses:
 * the field, the value given, and what is allowed.
 */
export function invalidValue(field: string, value: unknown, allowed: string): Error {
  return new Error(`${field}: ${describe(value)} is not valid; ${allowed}`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (value === undefined) return 'undefined';
  return JSON.stringify(value) ?? String(value);
}
