import { AbortedError, Backoff, BackoffOptions, RandomSource, sleep } from './backoff';

/** Why an AWS call failed, as far as retrying is concerned. */
export enum FailureKind {
  /** The service asked us to slow down (HTTP 429, ThrottlingException): retry later. */
  THROTTLING = 'throttling',
  /** A server error or a broken connection (HTTP 5xx, ECONNRESET): retry. */
  TRANSIENT = 'transient',
  /** The request itself is wrong or refused (unknown application, bad role): retrying cannot help. */
  PERMANENT = 'permanent',
}

/** The fields of an AWS SDK v3 error that matter here. */
interface SdkErrorShape {
  readonly name?: string;
  readonly message?: string;
  readonly code?: string;
  readonly $fault?: 'client' | 'server';
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $response?: { readonly statusCode?: number };
}

const THROTTLING_NAMES = new Set([
  'ThrottlingException', 'Throttling', 'ThrottledException', 'TooManyRequestsException',
  'RequestLimitExceeded', 'RequestThrottled', 'RequestThrottledException', 'SlowDown',
]);
const TRANSIENT_NAMES = new Set(['InternalServerException', 'InternalServerError', 'ServiceUnavailable',
  'ServiceUnavailableException', 'TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED']);

/**
 * The Node network error code (ECONNRESET, ...) of a failed call. The SDK sometimes wraps the socket
 * error ("AWS SDK error wrapper for Error: connect ECONNREFUSED ..."), keeping only its message.
 */
function networkCode(err: unknown): string | undefined {
  const e = err as SdkErrorShape & { cause?: { code?: string } };
  for (const code of [e?.code, e?.cause?.code]) if (code !== undefined && NETWORK_CODES.has(code)) return code;
  const inMessage = /\b(E[A-Z]+)\b/.exec(e?.message ?? '')?.[1];
  return inMessage !== undefined && NETWORK_CODES.has(inMessage) ? inMessage : undefined;
}

/** The HTTP status of a failed SDK call, when there was a response. */
export function httpStatusOf(err: unknown): number | undefined {
  const e = err as SdkErrorShape;
  return e?.$metadata?.httpStatusCode ?? e?.$response?.statusCode;
}

/** Classifies an error thrown by an AWS SDK v3 call. */
export function classifyAwsError(err: unknown): FailureKind {
  const e = err as SdkErrorShape;
  const status = httpStatusOf(err);
  if (status === 429 || (e?.name !== undefined && THROTTLING_NAMES.has(e.name))) return FailureKind.THROTTLING;
  if ((status !== undefined && status >= 500) || e?.$fault === 'server' ||
    (e?.name !== undefined && TRANSIENT_NAMES.has(e.name)) || networkCode(err) !== undefined) {
    return FailureKind.TRANSIENT;
  }
  return FailureKind.PERMANENT;
}

/** One line describing an SDK error: `Name: message (HTTP n)`; bodies that were not JSON are not echoed. */
export function describeAwsError(err: unknown): string {
  const e = err as SdkErrorShape;
  const status = httpStatusOf(err);
  const suffix = status !== undefined ? ` (HTTP ${status})` : '';
  if (e?.name === 'SyntaxError' || (e?.message ?? '').includes('Deserialization error')) {
    return `the endpoint answered with something that is not an AWS API response${suffix}`;
  }
  const name = e?.name && e.name !== 'Error' ? `${e.name}: ` : '';
  // Socket errors from another realm (e.g. a test VM) come wrapped; the wrapper text says nothing useful.
  const message = (e?.message ?? String(err)).split('\n')[0].replace(/^AWS SDK error wrapper for (Error: )?/, '');
  const code = e?.code && !message.includes(e.code) ? ` [${e.code}]` : '';
  return `${name}${message}${code}${suffix}`;
}

/** A call that failed for good: after its retries, or at once when retrying could not help. */
export class AwsCallError extends Error {
  public constructor(
    public readonly operation: string,
    public readonly kind: FailureKind,
    public readonly attempts: number,
    public readonly cause: unknown,
  ) {
    super(`${operation} failed${attempts > 1 ? ` after ${attempts} attempts` : ''}: ${describeAwsError(cause)}`);
    this.name = 'AwsCallError';
  }

  /** The SDK's error name (e.g. ResourceNotFoundException), when there is one. */
  public get errorName(): string | undefined {
    return (this.cause as SdkErrorShape)?.name;
  }
}

/** Bounded retries of throttled and transient failures. */
export interface RetryOptions {
  /**
   * Retries after the first attempt (0 = no retry).
   * @default 5
   */
  readonly maxRetries?: number;
  /**
   * Delays between attempts.
   * @default - 500 ms doubling up to 20 s, equal jitter
   */
  readonly backoff?: BackoffOptions;
}

/** Reported before each retry. */
export interface RetryEvent {
  readonly operation: string;
  readonly attempt: number;
  readonly kind: FailureKind;
  readonly delayMs: number;
  readonly error: string;
}

/** What `callWithRetries` needs besides the call. */
export interface RetryContext {
  readonly options?: RetryOptions;
  readonly random?: RandomSource;
  readonly signal?: AbortSignal;
  readonly onRetry?: (event: RetryEvent) => void;
}

export const DEFAULT_MAX_RETRIES = 5;
const DEFAULT_RETRY_BACKOFF: BackoffOptions = { initialDelayMs: 500, maxDelayMs: 20_000, multiplier: 2 };

/**
 * Runs `call` and retries it on throttling and transient failures, at most `maxRetries` times with
 * jittered, capped backoff. The caller builds the request once, so a retried StartJobRun resends the
 * very same clientToken and the service starts at most one run. Permanent failures are not retried.
 */
export async function callWithRetries<T>(operation: string, call: () => Promise<T>, context: RetryContext = {}): Promise<T> {
  const maxRetries = context.options?.maxRetries ?? DEFAULT_MAX_RETRIES;
  const backoff = new Backoff(context.options?.backoff ?? DEFAULT_RETRY_BACKOFF, context.random);
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      if (err instanceof AbortedError) throw err;
      const kind = classifyAwsError(err);
      if (kind === FailureKind.PERMANENT || attempt > maxRetries) {
        throw new AwsCallError(operation, kind, attempt, err);
      }
      const delayMs = backoff.next();
      context.onRetry?.({ operation, attempt, kind, delayMs, error: describeAwsError(err) });
      await sleep(delayMs, context.signal);
    }
  }
}
