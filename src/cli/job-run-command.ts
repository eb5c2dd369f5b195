import { CliIo, ExitCode, flag, numberFlag, ParsedArgs, processIo, UsageError } from './args';
import { AwsCallError, RetryEvent, RetryOptions } from '../client/aws-errors';
import { AbortedError } from '../client/backoff';
import { DeployedJob, findDeployedJob } from '../client/deployed-jobs';
import { validateApplicationId, validateJobRunId } from '../client/job-run-request';
import { EmrServerlessJobRunner, JobRunResult, JobRunStatus, ResourceUse, RunOutcome, WaitOptions } from '../client/job-runner';

/** A CliIo that may say whether stdout is a terminal (tests pass `isTty: true` to see the live line). */
export interface TerminalIo extends CliIo {
  readonly isTty?: boolean;
}

/** Flags every EMR Serverless command takes. */
export const CONNECTION_FLAGS = ['application-id', 'endpoint-url', 'region', 'job', 'outputs-file'];
export const DEFAULT_OUTPUTS_FILE = 'outputs.json';

export const CONNECTION_USAGE = `Where:   --application-id ID | --job NAME [--outputs-file FILE (default ${DEFAULT_OUTPUTS_FILE}, from \`cdk deploy --outputs-file\`)]
AWS:     [--region REGION] [--endpoint-url URL]; credentials come from the standard AWS chain
         (environment, shared config/SSO profile, container or instance role).`;

/** Whether people are watching: live, rewritten status line only on a terminal. */
export function isTerminal(io: CliIo): boolean {
  const t = (io as TerminalIo).isTty;
  if (t !== undefined) return t;
  return io === processIo && process.stdout.isTTY === true;
}

/** The deployed job named by --job, when given. */
export function deployedJobFromFlags(args: ParsedArgs): DeployedJob | undefined {
  const name = flag(args, 'job');
  if (name === undefined) {
    if (flag(args, 'outputs-file') !== undefined) throw new UsageError('--outputs-file: only used with --job NAME');
    return undefined;
  }
  return findDeployedJob(flag(args, 'outputs-file') ?? DEFAULT_OUTPUTS_FILE, name);
}

/** The application id from --application-id or from the deployed job; both given must agree. */
export function applicationIdFromFlags(args: ParsedArgs, job: DeployedJob | undefined): string {
  const given = flag(args, 'application-id');
  if (given !== undefined && job && given !== job.applicationId) {
    throw new UsageError(`--application-id: '${given}' differs from job '${job.name}' in the outputs file (${job.applicationId}); give one of them`);
  }
  const id = given ?? job?.applicationId;
  if (id === undefined) throw new UsageError('--application-id: required (or --job NAME with an outputs file)');
  validateApplicationId(id);
  return id;
}

/** The job run id: the one positional argument or --job-run-id. */
export function jobRunIdFromArgs(args: ParsedArgs, command: string): string {
  const fromFlag = flag(args, 'job-run-id');
  if (args.positionals.length > 1 || (fromFlag !== undefined && args.positionals.length > 0)) {
    throw new UsageError(`${command}: expected one job run id, got ${[...args.positionals, ...(fromFlag ? [fromFlag] : [])].join(' ')}`);
  }
  const id = fromFlag ?? args.positionals[0];
  if (id === undefined) throw new UsageError(`${command}: a job run id is required (as an argument or --job-run-id)`);
  validateJobRunId(id);
  return id;
}

/** The runner for --region/--endpoint-url; retries are reported on stderr for people. */
export function runnerFromFlags(args: ParsedArgs, io: CliIo, json: boolean): EmrServerlessJobRunner {
  const pollSeconds = numberFlag(args, 'poll-seconds');
  if (pollSeconds !== undefined && pollSeconds <= 0) throw new UsageError(`--poll-seconds: '${pollSeconds}' must be > 0`);
  const endpoint = flag(args, 'endpoint-url');
  if (endpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(endpoint)) {
    throw new UsageError(`--endpoint-url: '${endpoint}' is not an http(s) URL`);
  }
  return new EmrServerlessJobRunner({
    region: flag(args, 'region'),
    endpoint,
    retry: retryFromEnvironment(),
    poll: pollSeconds !== undefined
      ? { initialDelayMs: pollSeconds * 1000, maxDelayMs: Math.max(pollSeconds * 1000, 30_000) }
      : undefined,
    onRetry: json ? undefined : (e: RetryEvent) => io.stderr(
      `${e.operation}: ${e.kind} (${e.error}); retry ${e.attempt} in ${(e.delayMs / 1000).toFixed(1)} s\n`),
  });
}

/**
 * Bounded retries as the AWS CLI configures them: AWS_MAX_ATTEMPTS counts every attempt, the first
 * included (default 6: the first and 5 retries).
 */
export function retryFromEnvironment(): RetryOptions | undefined {
  const text = process.env.AWS_MAX_ATTEMPTS;
  if (text === undefined || text === '') return undefined;
  const attempts = Number(text);
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw new UsageError(`AWS_MAX_ATTEMPTS: '${text}' is not valid; expected a whole number >= 1 (attempts, the first included)`);
  }
  return { maxRetries: attempts - 1 };
}

/**
 * Turns errors into a message and an exit code: bad flags and values are usage errors (2), refused or
 * failed AWS calls are "could not" errors (3).
 */
export function reportError(io: CliIo, command: string, err: unknown, usage: string): number {
  if (err instanceof UsageError && err.message === usage) {
    io.stdout(usage);
    return ExitCode.OK;
  }
  if (err instanceof AbortedError) {
    io.stderr(`spark-deploy ${command}: interrupted\n`);
    return ExitCode.INTERRUPTED;
  }
  const message = (err as Error)?.message ?? String(err);
  io.stderr(`spark-deploy ${command}: ${message.split('\n')[0]}\n`);
  if (err instanceof AwsCallError) {
    const hint = hintFor(err);
    if (hint) io.stderr(`  ${hint}\n`);
    return ExitCode.COULD_NOT_SUBMIT;
  }
  return err instanceof UsageError || isValidationError(err) ? ExitCode.USAGE : ExitCode.COULD_NOT_SUBMIT;
}

/** Errors built by invalidValue: "field: value is not valid; ...". */
function isValidationError(err: unknown): boolean {
  return err instanceof Error && / is not valid; /.test(err.message) && !(err instanceof AwsCallError);
}

function hintFor(err: AwsCallError): string | undefined {
  if (/Region is missing/.test(err.message)) return 'pass --region or set AWS_REGION';
  switch (err.errorName) {
    case 'CredentialsProviderError': return 'no AWS credentials found: set AWS_PROFILE (and `aws sso login`), or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY';
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'ExpiredTokenException': return 'the credentials were refused: refresh them (e.g. `aws sso login`)';
    case 'ResourceNotFoundException': return 'check --application-id / --region (or the outputs file): the service does not know it';
    case 'AccessDeniedException': return 'check --execution-role-arn and that your identity may iam:PassRole it to emr-serverless';
    case 'ValidationException': return 'the service refused the request as given';
    default: return undefined;
  }
}

/** Shows state changes: a rewritten line on a terminal, one line per change otherwise, nothing with --json. */
export class StatusReporter {
  private readonly started = Date.now();
  private live = false;
  private last: JobRunStatus | undefined;
  private ticker: NodeJS.Timeout | undefined;

  public constructor(private readonly io: CliIo, private readonly json: boolean, private readonly tty: boolean) {}

  /** Wait options that report into this reporter. */
  public waitOptions(signal: AbortSignal, extra: Partial<WaitOptions> = {}): WaitOptions {
    return {
      ...extra,
      signal,
      onStateChange: (s, previous) => this.change(s, previous),
      onPoll: s => this.poll(s),
    };
  }

  /** Ends the live line, so that what follows starts on its own line. */
  public done(): void {
    this.stop();
    if (this.live) this.io.stdout('\n');
    this.live = false;
  }

  /** Stops the clock of the live line (also on errors, so no timer outlives the command). */
  public stop(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  /** A message for people; never on stdout with --json. */
  public note(text: string): void {
    if (this.json) return;
    this.done();
    this.io.stdout(text + '\n');
  }

  private change(s: JobRunStatus, previous: string | undefined): void {
    if (this.json || this.tty) return;
    const from = previous ? ` (was ${previous})` : '';
    this.io.stdout(`${new Date().toISOString()} ${s.jobRunId} ${s.state}${attemptText(s)}${from}\n`);
  }

  private poll(s: JobRunStatus): void {
    if (this.json || !this.tty) return;
    this.last = s;
    this.render();
    // Polls grow up to 30 s apart: a one-second tick keeps the clock of the live line moving.
    this.ticker ??= setInterval(() => this.render(), 1000).unref();
  }

  private render(): void {
    if (!this.last) return;
    const elapsed = Math.round((Date.now() - this.started) / 1000);
    const clock = `${String(Math.floor(elapsed / 60)).padStart(2, '0')}:${String(elapsed % 60).padStart(2, '0')}`;
    this.io.stdout(`\r\x1b[2K${clock} ${this.last.jobRunId} ${this.last.state}${attemptText(this.last)}`);
    this.live = true;
  }
}

function attemptText(s: JobRunStatus): string {
  return s.attempt !== undefined && (s.attempt > 1 || (s.maxAttempts ?? 1) > 1) ? ` attempt ${s.attempt}${s.maxAttempts ? `/${s.maxAttempts}` : ''}` : '';
}

/**
 * An AbortSignal that fires on Ctrl-C (SIGINT) while a wait runs. Only the first Ctrl-C is caught:
 * a second one ends the process the usual way if cancelling hangs.
 */
export function interruptOnSigint(io: CliIo, json: boolean, what: () => string): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (!json) io.stderr(`\nInterrupted: cancelling ${what()} (Ctrl-C again to quit without waiting)\n`);
    controller.abort();
  };
  process.once('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.removeListener('SIGINT', onSigint) };
}

/** The exit code of a finished wait. */
export function exitCodeFor(result: JobRunResult): number {
  switch (result.outcome) {
    case RunOutcome.SUCCEEDED: return ExitCode.OK;
    case RunOutcome.TIMED_OUT:
    case RunOutcome.INTERRUPTED: return ExitCode.INTERRUPTED;
    default: return ExitCode.JOB_FAILED;
  }
}

/** The machine-readable form of a status or result. */
export function statusJson(s: JobRunStatus | JobRunResult): object {
  const r = s as Partial<JobRunResult>;
  return {
    applicationId: s.applicationId,
    jobRunId: s.jobRunId,
    name: s.name,
    state: s.state,
    stateDetails: s.stateDetails,
    attempt: s.attempt,
    maxAttempts: s.maxAttempts,
    outcome: r.outcome,
    cancelRequested: r.cancelRequested,
    states: r.states,
    clientToken: r.clientToken,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
    totalExecutionDurationSeconds: s.totalExecutionDurationSeconds,
    billedResourceUtilization: s.billedResourceUtilization,
    totalResourceUtilization: s.totalResourceUtilization,
    dashboardUrl: r.dashboard?.url,
    dashboardUnavailableReason: r.dashboard?.unavailableReason,
    logUri: s.logUri,
  };
}

/** Prints a finished wait for people (stdout) and says why it did not succeed (stderr). */
export function printResult(io: CliIo, result: JobRunResult, timeoutMinutes: number | undefined): void {
  const usage = resourceText(result.billedResourceUtilization);
  const duration = result.totalExecutionDurationSeconds !== undefined ? ` after ${result.totalExecutionDurationSeconds} s` : '';
  io.stdout(`Job run ${result.jobRunId} ${result.state}${duration}${usage ? `; billed ${usage}` : ''}\n`);
  io.stdout(result.dashboard.url ? `Spark UI: ${result.dashboard.url}\n` : `Spark UI: unavailable (${result.dashboard.unavailableReason})\n`);
  const details = result.stateDetails ? `: ${result.stateDetails}` : '';
  switch (result.outcome) {
    case RunOutcome.FAILED:
      io.stderr(`job run ${result.jobRunId} ended FAILED${details}\n`);
      break;
    case RunOutcome.CANCELLED:
      io.stderr(`job run ${result.jobRunId} was cancelled${details}\n`);
      break;
    case RunOutcome.TIMED_OUT:
      io.stderr(`job run ${result.jobRunId} did not finish within ${timeoutMinutes ?? 'the default'} minutes` +
        (result.cancelRequested ? `; cancelled it (now ${result.state})\n` : '; left it running\n'));
      break;
    case RunOutcome.INTERRUPTED:
      io.stderr('interrupted' + (result.cancelRequested ? `; cancelled job run ${result.jobRunId} (now ${result.state})\n` : `; job run ${result.jobRunId} keeps running\n`));
      break;
    default:
  }
}

/** Prints a status for people. */
export function printStatus(io: CliIo, s: JobRunStatus): void {
  const rows: Array<[string, string | undefined]> = [
    ['Job run', s.jobRunId],
    ['Name', s.name],
    ['Application', s.applicationId],
    ['State', `${s.state}${attemptText(s)}`],
    ['Details', s.stateDetails],
    ['Release', s.releaseLabel],
    ['Created', s.createdAt],
    ['Updated', s.updatedAt],
    ['Duration', s.totalExecutionDurationSeconds !== undefined ? `${s.totalExecutionDurationSeconds} s` : undefined],
    ['Billed', resourceText(s.billedResourceUtilization)],
    ['Logs', s.logUri],
  ];
  for (const [label, value] of rows) if (value) io.stdout(`${(label + ':').padEnd(13)}${value}\n`);
}

function resourceText(use: ResourceUse | undefined): string | undefined {
  if (!use) return undefined;
  return `${use.vCPUHour ?? 0} vCPU-h, ${use.memoryGBHour ?? 0} GB-h memory, ${use.storageGBHour ?? 0} GB-h storage`;
}

/** Parses --timeout-minutes into milliseconds. */
export function timeoutFromFlags(args: ParsedArgs): { minutes?: number; ms?: number } {
  const minutes = numberFlag(args, 'timeout-minutes');
  if (minutes === undefined) return {};
  if (minutes <= 0) throw new UsageError(`--timeout-minutes: '${minutes}' must be > 0`);
  return { minutes, ms: minutes * 60_000 };
}
