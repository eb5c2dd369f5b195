/** Where a command writes; tests pass their own. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** Exit codes shared by every command. */
export const ExitCode = {
  OK: 0,
  /** The command ran and the thing it watched failed (e.g. a job run ended FAILED). */
  JOB_FAILED: 1,
  /** Bad flags or values: nothing was done. */
  USAGE: 2,
  /** The request could not be made or was refused (unknown application, bad role, service error). */
  COULD_NOT_SUBMIT: 3,
  /** Interrupted or timed out (the run was cancelled). */
  INTERRUPTED: 130,
} as const;

/** A usage error: printed as one line on stderr, exit code 2. */
export class UsageError extends Error {}

/** Parsed flags: `--name value`, `--name=value`, repeated flags collect, bare `--flag` is "true". */
export interface ParsedArgs {
  readonly flags: Map<string, string[]>;
  readonly positionals: string[];
}

/**
 * Parses argv against the flags a command knows. `booleans` take no value. Everything after `--`
 * is positional (job arguments that start with dashes).
 */
export function parseArgs(argv: string[], known: { values: string[]; booleans?: string[] }): ParsedArgs {
  const flags = new Map<string, string[]>();
  const positionals: string[] = [];
  const booleans = new Set(known.booleans ?? []);
  const values = new Set(known.values);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    let value: string;
    if (booleans.has(name)) {
      value = eq === -1 ? 'true' : arg.slice(eq + 1);
    } else if (values.has(name)) {
      if (eq !== -1) {
        value = arg.slice(eq + 1);
      } else {
        if (i + 1 >= argv.length) throw new UsageError(`--${name}: needs a value`);
        value = argv[++i];
      }
    } else {
      const all = [...values, ...booleans].map(f => `--${f}`).join(', ');
      throw new UsageError(`--${name}: unknown flag; known flags: ${all}`);
    }
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { flags, positionals };
}

/** The last value of a flag, or undefined. */
export function flag(args: ParsedArgs, name: string): string | undefined {
  const values = args.flags.get(name);
  return values?.[values.length - 1];
}

/** A flag that must be a number; names the flag and the value when it is not. */
export function numberFlag(args: ParsedArgs, name: string): number | undefined {
  const text = flag(args, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) {
    throw new UsageError(`--${name}: '${text}' is not a number`);
  }
  return value;
}

/** A flag whose value must be one of `allowed`. */
export function choiceFlag<T extends string>(args: ParsedArgs, name: string, allowed: readonly T[]): T | undefined {
  const text = flag(args, name);
  if (text === undefined) return undefined;
  if (!allowed.includes(text as T)) {
    throw new UsageError(`--${name}: '${text}' is not valid; expected one of ${allowed.join(', ')}`);
  }
  return text as T;
}

/** Default IO: the process's streams. */
export const processIo: CliIo = {
  stdout: text => process.stdout.write(text),
  stderr: text => process.stderr.write(text),
};
