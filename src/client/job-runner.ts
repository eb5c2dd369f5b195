import {
  CancelJobRunCommand,
  EMRServerlessClient,
  GetApplicationCommand,
  GetDashboardForJobRunCommand,
  GetJobRunCommand,
  JobRun,
  JobRunState,
  ListJobRunsCommand,
  ListJobRunsCommandInput,
  StartJobRunCommand,
} from '@aws-sdk/client-emr-serverless';
import { AwsCallError, callWithRetries, FailureKind, httpStatusOf, RetryEvent, RetryOptions } from './aws-errors';
import { AbortedError, Backoff, BackoffOptions, RandomSource, sleep } from './backoff';
import { buildStartJobRunRequest, JobRunInput, validateApplicationId, validateJobRunId } from './job-run-request';
import { invalidValue } from '../config/errors';

/** How to reach EMR Serverless and how hard to try. */
export interface JobRunnerOptions {
  /** A ready client (its own retries should be off: `maxAttempts: 1`). @default - one built from region and endpoint */
  readonly client?: EMRServerlessClient;
  /** AWS region. @default - the SDK's chain (AWS_REGION, profile) */
  readonly region?: string;
  /** Endpoint URL, e.g. a local server. @default - the regional AWS endpoint */
  readonly endpoint?: string;
  /** Retries of throttled and transient calls. @default - 5 retries, 500 ms doubling to 20 s, jittered */
  readonly retry?: RetryOptions;
  /** Delays between GetJobRun polls. @default - 2 s growing by 1.5 to 30 s, jittered; back to 2 s on each state change */
  readonly poll?: BackoffOptions;
  /** Random source for jitter. @default Math.random */
  readonly random?: RandomSource;
  /** Told before each retry of a call. @default - nothing */
  readonly onRetry?: (event: RetryEvent) => void;
}

/** A run that was started. */
export interface StartedJobRun {
  readonly applicationId: string;
  readonly jobRunId: string;
  readonly arn?: string;
  /** The idempotency token the run was started with (the same on every retry of the submit). */
  readonly clientToken: string;
}

/** Resource use of a run. */
export interface ResourceUse {
  readonly vCPUHour?: number;
  readonly memoryGBHour?: number;
  readonly storageGBHour?: number;
}

/** What GetJobRun says about a run, flattened. */
export interface JobRunStatus {
  readonly applicationId: string;
  readonly jobRunId: string;
  readonly name?: string;
  readonly arn?: string;
  readonly state: string;
  readonly stateDetails?: string;
  /** The current attempt (retry-enabled runs). */
  readonly attempt?: number;
  /** Attempts allowed by the run's retry policy. */
  readonly maxAttempts?: number;
  readonly releaseLabel?: string;
  readonly createdAt?: string;
  readonly updatedAt?: string;
  readonly executionTimeoutMinutes?: number;
  readonly totalExecutionDurationSeconds?: number;
  /** What the run is billed for. */
  readonly billedResourceUtilization?: ResourceUse;
  /** What the run used. */
  readonly totalResourceUtilization?: ResourceUse;
  /** The run's S3 log prefix, when the run itself set one. */
  readonly logUri?: string;
}

/** How a wait ended. */
export enum RunOutcome {
  SUCCEEDED = 'succeeded',
  FAILED = 'failed',
  CANCELLED = 'cancelled',
  /** The wait's deadline passed; the run was cancelled (unless told not to). */
  TIMED_OUT = 'timed-out',
  /** The wait was interrupted (Ctrl-C); the run was cancelled (unless told not to). */
  INTERRUPTED = 'interrupted',
}

/** The link to the run's Spark UI, or why there is none. */
export interface DashboardLink {
  readonly url?: string;
  readonly unavailableReason?: string;
}

/** The end of a wait. */
export interface JobRunResult extends JobRunStatus {
  readonly outcome: RunOutcome;
  readonly dashboard: DashboardLink;
  /** Whether this wait asked the service to cancel the run. */
  readonly cancelRequested: boolean;
  /** States seen, in order. */
  readonly states: string[];
  /** The idempotency token, when this runner started the run. */
  readonly clientToken?: string;
}

/** Options of a wait. */
export interface WaitOptions {
  /** Told on the first status and on every change of state or attempt. @default - nothing */
  readonly onStateChange?: (status: JobRunStatus, previousState: string | undefined) => void;
  /** Told after every poll. @default - nothing */
  readonly onPoll?: (status: JobRunStatus) => void;
  /**
   * Hard deadline of the wait, milliseconds.
   * @default - the run's executionTimeoutMinutes × its maxAttempts + 60 minutes for queueing and start-up
   */
  readonly timeoutMs?: number;
  /** Aborting it interrupts the wait (Ctrl-C). @default - never interrupted */
  readonly signal?: AbortSignal;
  /** Cancel the run when the deadline passes or the wait is interrupted. @default true */
  readonly cancelOnStop?: boolean;
  /** Grace period passed to CancelJobRun (EMR 7.9+). @default - the service default */
  readonly cancelGracePeriodSeconds?: number;
  /**
   * How long a FAILED attempt of a retry-enabled run, with attempts left, may stay FAILED before the
   * failure is taken as final (the next attempt normally shows up within seconds).
   * @default 120000
   */
  readonly nextAttemptGraceMs?: number;
}

/** Filters of `list`. */
export interface ListJobRunsOptions {
  readonly states?: string[];
  /** @default 50 */
  readonly maxResults?: number;
  readonly createdAfter?: Date;
}

const FINAL_STATES = new Set<string>([JobRunState.SUCCESS, JobRunState.FAILED, JobRunState.CANCELLED]);
const ALL_STATES = Object.values(JobRunState) as string[];
/** Queueing and start-up on top of the run's own limit, in the default deadline. */
const DEADLINE_SLACK_MS = 60 * 60_000;
const DEFAULT_EXECUTION_TIMEOUT_MINUTES = 720;

/**
 * Starts, watches, cancels and lists EMR Serverless job runs. The SDK has no waiters, so this is the
 * wait loop: GetJobRun with jittered, capped backoff until a final state or a hard deadline; on the
 * deadline or an interrupt it cancels the run. Every call goes through one retry policy (throttling,
 * 5xx and broken connections, bounded); the SDK's own retries are off so the two do not multiply.
 *
 * @example
 * import { EmrServerlessJobRunner, jobRunInputFromDefinition } from 'spark-deploy/lib/client';
 * const runner = new EmrServerlessJobRunner({ region: 'eu-west-1' });
 * const controller = new AbortController();
 * process.once('SIGINT', () => controller.abort());
 * const result = await runner.run(
 *   jobRunInputFromDefinition(job, { applicationId, executionRoleArn, shape: { executor: { cpu: 4, memoryGb: 16 } } }),
 *   { signal: controller.signal, onStateChange: s => console.log(s.state) },
 * );
 * // result.outcome: succeeded | failed | cancelled | timed-out | interrupted
 */
export class EmrServerlessJobRunner {
  public readonly client: EMRServerlessClient;
  private readonly options: JobRunnerOptions;

  public constructor(options: JobRunnerOptions = {}) {
    this.options = options;
    this.client = options.client ?? new EMRServerlessClient({
      region: options.region,
      endpoint: options.endpoint,
      maxAttempts: 1,
    });
  }

  /** Starts a run; a throttled or failed-in-transit submit is retried with the same clientToken. */
  public async start(input: JobRunInput, signal?: AbortSignal): Promise<StartedJobRun> {
    const request = buildStartJobRunRequest(input);
    const response = await this.call('StartJobRun', () => this.client.send(new StartJobRunCommand(request)), signal);
    return {
      applicationId: response.applicationId ?? input.applicationId,
      jobRunId: response.jobRunId!,
      arn: response.arn,
      clientToken: request.clientToken!,
    };
  }

  /** Starts a run and waits for its end. */
  public async run(input: JobRunInput, options: WaitOptions = {}): Promise<JobRunResult> {
    const started = await this.start(input, options.signal);
    const result = await this.wait(started.applicationId, started.jobRunId, options);
    return { ...result, clientToken: started.clientToken };
  }

  /** The run's current status. */
  public async describe(applicationId: string, jobRunId: string, signal?: AbortSignal): Promise<JobRunStatus> {
    validateApplicationId(applicationId);
    validateJobRunId(jobRunId);
    const response = await this.call('GetJobRun', () => this.client.send(new GetJobRunCommand({ applicationId, jobRunId })), signal);
    return toStatus(response.jobRun!, applicationId, jobRunId);
  }

  /** Asks the service to cancel the run. */
  public async cancel(applicationId: string, jobRunId: string, gracePeriodSeconds?: number): Promise<void> {
    validateApplicationId(applicationId);
    validateJobRunId(jobRunId);
    if (gracePeriodSeconds !== undefined && (!Number.isInteger(gracePeriodSeconds) || gracePeriodSeconds < 0)) {
      throw invalidValue('gracePeriodSeconds', gracePeriodSeconds, 'expected whole seconds >= 0');
    }
    await this.call('CancelJobRun', () => this.client.send(new CancelJobRunCommand({
      applicationId, jobRunId, shutdownGracePeriodInSeconds: gracePeriodSeconds,
    })));
  }

  /** The newest runs of an application, newest first as the service returns them. */
  public async list(applicationId: string, options: ListJobRunsOptions = {}): Promise<JobRunStatus[]> {
    validateApplicationId(applicationId);
    const maxResults = options.maxResults ?? 50;
    if (!Number.isInteger(maxResults) || maxResults < 1) {
      throw invalidValue('maxResults', maxResults, 'expected a whole number >= 1');
    }
    for (const state of options.states ?? []) {
      if (!ALL_STATES.includes(state)) throw invalidValue('states', state, `expected one of ${ALL_STATES.join(', ')}`);
    }
    const runs: JobRunStatus[] = [];
    let nextToken: string | undefined;
    do {
      const request: ListJobRunsCommandInput = {
        applicationId,
        nextToken,
        maxResults: Math.min(50, maxResults - runs.length),
        states: options.states?.length ? options.states as JobRunState[] : undefined,
        createdAtAfter: options.createdAfter,
      };
      const page = await this.call('ListJobRuns', () => this.client.send(new ListJobRunsCommand(request)));
      for (const summary of page.jobRuns ?? []) {
        runs.push({
          applicationId: summary.applicationId ?? applicationId,
          jobRunId: summary.id!,
          name: summary.name,
          arn: summary.arn,
          state: summary.state ?? 'UNKNOWN',
          stateDetails: summary.stateDetails || undefined,
          attempt: summary.attempt,
          releaseLabel: summary.releaseLabel,
          createdAt: summary.createdAt?.toISOString(),
          updatedAt: summary.updatedAt?.toISOString(),
        });
      }
      nextToken = page.nextToken;
    } while (nextToken && runs.length < maxResults);
    return runs.slice(0, maxResults);
  }

  /** The application's default S3 log prefix (its monitoring configuration), when it has one. */
  public async applicationLogUri(applicationId: string): Promise<string | undefined> {
    validateApplicationId(applicationId);
    const response = await this.call('GetApplication', () => this.client.send(new GetApplicationCommand({ applicationId })));
    return response.application?.monitoringConfiguration?.s3MonitoringConfiguration?.logUri;
  }

  /** The Spark UI link of a run; an endpoint without GetDashboardForJobRun gives a reason instead of failing. */
  public async dashboard(applicationId: string, jobRunId: string, attempt?: number): Promise<DashboardLink> {
    try {
      const response = await this.call('GetDashboardForJobRun',
        () => this.client.send(new GetDashboardForJobRunCommand({ applicationId, jobRunId, attempt })));
      return response.url ? { url: response.url } : { unavailableReason: 'GetDashboardForJobRun returned no URL' };
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause ?? err;
      const status = httpStatusOf(cause);
      if (status === 404 || status === 501) {
        return { unavailableReason: `GetDashboardForJobRun is not implemented by this endpoint (HTTP ${status})` };
      }
      return { unavailableReason: (err as Error).message };
    }
  }

  /**
   * Waits until the run reaches a final state, the deadline passes or `signal` aborts. Retry-enabled runs
   * are followed across attempts (a FAILED attempt with attempts left is not final yet), but never past
   * the hard deadline.
   */
  public async wait(applicationId: string, jobRunId: string, options: WaitOptions = {}): Promise<JobRunResult> {
    if (options.timeoutMs !== undefined && (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0)) {
      throw invalidValue('timeoutMs', options.timeoutMs, 'expected milliseconds > 0');
    }
    const graceMs = options.nextAttemptGraceMs ?? 120_000;
    const backoff = new Backoff(this.options.poll, this.options.random);
    const states: string[] = [];
    const started = Date.now();
    let status: JobRunStatus;
    try {
      status = await this.describe(applicationId, jobRunId, options.signal);
    } catch (err) {
      if (err instanceof AbortedError) return this.stop(applicationId, jobRunId, RunOutcome.INTERRUPTED, undefined, states, options);
      throw err;
    }
    const deadline = started + (options.timeoutMs ?? defaultWaitMs(status));
    let previous: JobRunStatus | undefined;
    let failedSince: number | undefined;
    for (;;) {
      if (!previous || previous.state !== status.state || previous.attempt !== status.attempt) {
        states.push(status.state);
        options.onStateChange?.(status, previous?.state);
        backoff.reset();
      }
      options.onPoll?.(status);
      previous = status;
      if (status.state === JobRunState.SUCCESS) return this.finish(status, RunOutcome.SUCCEEDED, false, states);
      if (status.state === JobRunState.CANCELLED) return this.finish(status, RunOutcome.CANCELLED, false, states);
      if (status.state === JobRunState.FAILED) {
        failedSince ??= Date.now();
        if (!attemptsLeft(status) || Date.now() - failedSince >= graceMs) {
          return this.finish(status, RunOutcome.FAILED, false, states);
        }
      } else {
        failedSince = undefined;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) return this.stop(applicationId, jobRunId, RunOutcome.TIMED_OUT, status, states, options);
      try {
        await sleep(Math.min(backoff.next(), remaining), options.signal);
        status = await this.describe(applicationId, jobRunId, options.signal);
      } catch (err) {
        if (err instanceof AbortedError) return this.stop(applicationId, jobRunId, RunOutcome.INTERRUPTED, status, states, options);
        throw err;
      }
    }
  }

  /** Deadline or interrupt: cancel (unless told not to) and report the state the service gives then. */
  private async stop(applicationId: string, jobRunId: string, outcome: RunOutcome, last: JobRunStatus | undefined,
    states: string[], options: WaitOptions): Promise<JobRunResult> {
    let status = last;
    let cancelRequested = false;
    if ((options.cancelOnStop ?? true) && (!status || !FINAL_STATES.has(status.state))) {
      try {
        await this.cancel(applicationId, jobRunId, options.cancelGracePeriodSeconds);
        cancelRequested = true;
      } catch (err) {
        // The run may have ended between the last poll and the cancel: the service then refuses it.
        if (!(err instanceof AwsCallError) || err.kind !== FailureKind.PERMANENT) throw err;
        const now = await this.describe(applicationId, jobRunId);
        if (!FINAL_STATES.has(now.state)) throw err;
      }
      status = await this.describe(applicationId, jobRunId);
      if (states[states.length - 1] !== status.state) states.push(status.state);
      // A run that reached its end by itself reports that end, whatever stopped the wait.
      if (!cancelRequested) outcome = outcomeOf(status.state) ?? outcome;
    }
    status ??= await this.describe(applicationId, jobRunId);
    return this.finish(status, outcome, cancelRequested, states);
  }

  private async finish(status: JobRunStatus, outcome: RunOutcome, cancelRequested: boolean, states: string[]): Promise<JobRunResult> {
    const dashboard = await this.dashboard(status.applicationId, status.jobRunId, status.attempt);
    return { ...status, outcome, dashboard, cancelRequested, states };
  }

  private call<T>(operation: string, call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    return callWithRetries(operation, call, {
      options: this.options.retry,
      random: this.options.random,
      onRetry: this.options.onRetry,
      signal,
    });
  }
}

function outcomeOf(state: string): RunOutcome | undefined {
  switch (state) {
    case JobRunState.SUCCESS: return RunOutcome.SUCCEEDED;
    case JobRunState.FAILED: return RunOutcome.FAILED;
    case JobRunState.CANCELLED: return RunOutcome.CANCELLED;
    default: return undefined;
  }
}

function attemptsLeft(status: JobRunStatus): boolean {
  return status.maxAttempts !== undefined && (status.attempt ?? 1) < status.maxAttempts;
}

/**
 * The default hard deadline of a wait: the run's own limit for every attempt it may make, plus an hour
 * for queueing and start-up. A retry-enabled run therefore cannot keep a wait forever.
 */
export function defaultWaitMs(status: Pick<JobRunStatus, 'executionTimeoutMinutes' | 'maxAttempts'>): number {
  const minutes = status.executionTimeoutMinutes || DEFAULT_EXECUTION_TIMEOUT_MINUTES;
  return minutes * 60_000 * (status.maxAttempts ?? 1) + DEADLINE_SLACK_MS;
}

function toStatus(run: JobRun, applicationId: string, jobRunId: string): JobRunStatus {
  return {
    applicationId: run.applicationId ?? applicationId,
    jobRunId: run.jobRunId ?? jobRunId,
    name: run.name,
    arn: run.arn,
    state: run.state ?? 'UNKNOWN',
    stateDetails: run.stateDetails || undefined,
    attempt: run.attempt,
    maxAttempts: run.retryPolicy?.maxAttempts,
    releaseLabel: run.releaseLabel,
    createdAt: run.createdAt?.toISOString(),
    updatedAt: run.updatedAt?.toISOString(),
    executionTimeoutMinutes: run.executionTimeoutMinutes,
    totalExecutionDurationSeconds: run.totalExecutionDurationSeconds,
    billedResourceUtilization: run.billedResourceUtilization ? { ...run.billedResourceUtilization } : undefined,
    totalResourceUtilization: run.totalResourceUtilization ? { ...run.totalResourceUtilization } : undefined,
    logUri: run.configurationOverrides?.monitoringConfiguration?.s3MonitoringConfiguration?.logUri,
  };
}

