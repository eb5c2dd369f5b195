import { invalidValue } from '../config/errors';

/** How long to wait between attempts: exponential, capped, jittered. */
export interface BackoffOptions {
  /**
   * The first delay, milliseconds.
   * @default 2000
   */
  readonly initialDelayMs?: number;
  /**
   * The longest delay, milliseconds (the cap is applied before jitter).
   * @default 30000
   */
  readonly maxDelayMs?: number;
  /**
   * Growth factor from one delay to the next.
   * @default 1.5
   */
  readonly multiplier?: number;
}

/** A source of numbers in [0, 1); tests pass a fixed one. */
export type RandomSource = () => number;

/**
 * Exponential backoff with "equal jitter": each delay is uniformly drawn from [d/2, d] where d is the
 * capped exponential delay. Half the delay is kept so that polls never bunch up at zero; the other half
 * spreads many clients apart so they do not poll (or retry after throttling) in lockstep.
 */
export class Backoff {
  public readonly initialDelayMs: number;
  public readonly maxDelayMs: number;
  public readonly multiplier: number;
  private readonly random: RandomSource;
  private step = 0;

  public constructor(options: BackoffOptions = {}, random: RandomSource = Math.random) {
    this.initialDelayMs = options.initialDelayMs ?? 2000;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
    this.multiplier = options.multiplier ?? 1.5;
    if (!Number.isFinite(this.initialDelayMs) || this.initialDelayMs < 0) {
      throw invalidValue('initialDelayMs', this.initialDelayMs, 'expected milliseconds >= 0');
    }
    if (!Number.isFinite(this.maxDelayMs) || this.maxDelayMs < this.initialDelayMs) {
      throw invalidValue('maxDelayMs', this.maxDelayMs, `expected milliseconds >= initialDelayMs (${this.initialDelayMs})`);
    }
    if (!Number.isFinite(this.multiplier) || this.multiplier < 1) {
      throw invalidValue('multiplier', this.multiplier, 'expected a number >= 1');
    }
    this.random = random;
  }

  /** The next delay, milliseconds; each call moves one step further (until the cap). */
  public next(): number {
    const ceiling = Math.min(this.maxDelayMs, this.initialDelayMs * Math.pow(this.multiplier, this.step));
    this.step++;
    return Math.round(ceiling / 2 + this.random() * (ceiling / 2));
  }

  /** Starts again from the first delay (e.g. after the watched thing changed). */
  public reset(): void {
    this.step = 0;
  }
}

/** Thrown by `sleep` when its signal aborts. */
export class AbortedError extends Error {
  public constructor() {
    super('interrupted');
    this.name = 'AbortedError';
  }
}

/** Waits `ms` milliseconds; rejects with `AbortedError` as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortedError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
