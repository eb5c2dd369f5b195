import { CliIo, ExitCode, flag, numberFlag, parseArgs, UsageError } from './args';
import {
  applicationIdFromFlags, CONNECTION_FLAGS, CONNECTION_USAGE, deployedJobFromFlags, exitCodeFor, interruptOnSigint,
  isTerminal, jobRunIdFromArgs, printResult, printStatus, reportError, runnerFromFlags, statusJson, StatusReporter, timeoutFromFlags,
} from './job-run-command';

export const STATUS_USAGE = `Usage: spark-deploy status JOB_RUN_ID (--application-id ID | --job NAME) [--json]

Prints the state of a job run, its details, billed resources and Spark UI link. Exits 0 whenever the
status could be read (whatever the state); use \`wait\` for an exit code that follows the run.
${CONNECTION_USAGE}
`;

export const WAIT_USAGE = `Usage: spark-deploy wait JOB_RUN_ID (--application-id ID | --job NAME) [--timeout-minutes N] [--keep-running]
         [--poll-seconds N] [--json]

Waits until the job run ends. On --timeout-minutes or Ctrl-C the run is cancelled (unless --keep-running).
Exit codes: 0 success, 1 failed or cancelled, 130 timed out or interrupted, 3 could not ask the service.
${CONNECTION_USAGE}
`;

export const CANCEL_USAGE = `Usage: spark-deploy cancel JOB_RUN_ID (--application-id ID | --job NAME) [--grace-period-seconds N] [--json]

Asks EMR Serverless to cancel the job run and prints the state it reports then.
${CONNECTION_USAGE}
`;

const RUN_FLAGS = [...CONNECTION_FLAGS, 'job-run-id'];

/** `spark-deploy status`. */
export async function statusCommand(argv: string[], io: CliIo): Promise<number> {
  try {
    const args = parseArgs(argv, { values: RUN_FLAGS, booleans: ['json', 'help'] });
    if (flag(args, 'help')) throw new UsageError(STATUS_USAGE);
    const json = flag(args, 'json') === 'true';
    const applicationId = applicationIdFromFlags(args, deployedJobFromFlags(args));
    const jobRunId = jobRunIdFromArgs(args, 'status');
    const runner = runnerFromFlags(args, io, json);
    const status = await runner.describe(applicationId, jobRunId);
    const dashboard = await runner.dashboard(applicationId, jobRunId, status.attempt);
    if (json) {
      io.stdout(JSON.stringify(statusJson({ ...status, dashboard } as any), null, 2) + '\n');
    } else {
      printStatus(io, status);
      io.stdout(`${'Spark UI:'.padEnd(13)}${dashboard.url ?? `unavailable (${dashboard.unavailableReason})`}\n`);
    }
    return ExitCode.OK;
  } catch (err) {
    return reportError(io, 'status', err, STATUS_USAGE);
  }
}

/** `spark-deploy wait`. */
export async function waitCommand(argv: string[], io: CliIo): Promise<number> {
  let interrupt: { dispose: () => void } | undefined;
  let reporter: StatusReporter | undefined;
  try {
    const args = parseArgs(argv, { values: [...RUN_FLAGS, 'timeout-minutes', 'poll-seconds'], booleans: ['json', 'keep-running', 'help'] });
    if (flag(args, 'help')) throw new UsageError(WAIT_USAGE);
    const json = flag(args, 'json') === 'true';
    const applicationId = applicationIdFromFlags(args, deployedJobFromFlags(args));
    const jobRunId = jobRunIdFromArgs(args, 'wait');
    const timeout = timeoutFromFlags(args);
    const keepRunning = flag(args, 'keep-running') === 'true';
    const runner = runnerFromFlags(args, io, json);
    reporter = new StatusReporter(io, json, isTerminal(io));
    const sigint = interruptOnSigint(io, json || keepRunning, () => `job run ${jobRunId}`);
    interrupt = sigint;
    const result = await runner.wait(applicationId, jobRunId,
      reporter.waitOptions(sigint.signal, { timeoutMs: timeout.ms, cancelOnStop: !keepRunning }));
    reporter.done();
    if (json) io.stdout(JSON.stringify(statusJson(result), null, 2) + '\n');
    else printResult(io, result, timeout.minutes);
    return exitCodeFor(result);
  } catch (err) {
    reporter?.done();
    return reportError(io, 'wait', err, WAIT_USAGE);
  } finally {
    reporter?.stop();
    interrupt?.dispose();
  }
}

/** `spark-deploy cancel`. */
export async function cancelCommand(argv: string[], io: CliIo): Promise<number> {
  try {
    const args = parseArgs(argv, { values: [...RUN_FLAGS, 'grace-period-seconds'], booleans: ['json', 'help'] });
    if (flag(args, 'help')) throw new UsageError(CANCEL_USAGE);
    const json = flag(args, 'json') === 'true';
    const applicationId = applicationIdFromFlags(args, deployedJobFromFlags(args));
    const jobRunId = jobRunIdFromArgs(args, 'cancel');
    const grace = numberFlag(args, 'grace-period-seconds');
    if (grace !== undefined && (!Number.isInteger(grace) || grace < 0)) {
      throw new UsageError(`--grace-period-seconds: '${grace}' is not valid; expected whole seconds >= 0`);
    }
    const runner = runnerFromFlags(args, io, json);
    await runner.cancel(applicationId, jobRunId, grace);
    const status = await runner.describe(applicationId, jobRunId);
    if (json) io.stdout(JSON.stringify(statusJson(status), null, 2) + '\n');
    else io.stdout(`Asked to cancel job run ${jobRunId}; it is now ${status.state}\n`);
    return ExitCode.OK;
  } catch (err) {
    return reportError(io, 'cancel', err, CANCEL_USAGE);
  }
}
