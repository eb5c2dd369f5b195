import { CliIo, ExitCode, flag, numberFlag, parseArgs, UsageError } from './args';
import {
  applicationIdFromFlags, CONNECTION_FLAGS, CONNECTION_USAGE, deployedJobFromFlags, exitCodeFor, interruptOnSigint,
  isTerminal, printResult, reportError, runnerFromFlags, statusJson, StatusReporter, timeoutFromFlags,
} from './job-run-command';
import { JobRunInput } from '../client/job-run-request';

export const SUBMIT_USAGE = `Usage: spark-deploy submit (--job NAME | --application-id ID --execution-role-arn ARN --entry-point URI)
         [--spark-submit-parameters '--conf k=v ...'] [--conf key=value ...] [--name NAME]
         [--execution-timeout-minutes N] [--max-attempts N] [--log-uri s3://...] [--tag key=value ...]
         [--client-token TOKEN] [--wait [--timeout-minutes N] [--keep-running] [--poll-seconds N]] [--json]
         [-- ENTRY_POINT_ARGUMENTS...]

Starts a job run. With --job, everything \`cdk deploy\` recorded for the job (application, role, entry point,
arguments, tuned spark-submit parameters, log location) comes from the outputs file; flags override it, --conf
adds per-run properties, and arguments after -- replace the deployed ones. Every submit carries a clientToken
(--client-token, or a fresh one), so retries never start a second run.
With --wait: waits for the end; on --timeout-minutes or Ctrl-C the run is cancelled (unless --keep-running).
Exit codes: 0 started (or succeeded with --wait), 1 the run failed or was cancelled, 2 bad flags,
3 could not submit (unknown application, role refused, service errors), 130 timed out or interrupted.
${CONNECTION_USAGE}
`;

const VALUE_FLAGS = [...CONNECTION_FLAGS, 'execution-role-arn', 'entry-point', 'spark-submit-parameters', 'conf', 'name',
  'execution-timeout-minutes', 'max-attempts', 'log-uri', 'tag', 'client-token', 'timeout-minutes', 'poll-seconds'];

/** Builds the run input from the flags and, with --job, the outputs file. */
export function jobRunInputFromFlags(argv: string[]): { input: JobRunInput; args: ReturnType<typeof parseArgs> } {
  const args = parseArgs(argv, { values: VALUE_FLAGS, booleans: ['wait', 'json', 'keep-running', 'help'] });
  if (flag(args, 'help')) throw new UsageError(SUBMIT_USAGE);
  const job = deployedJobFromFlags(args);
  const applicationId = applicationIdFromFlags(args, job);
  const executionRoleArn = flag(args, 'execution-role-arn') ?? job?.executionRoleArn;
  if (!executionRoleArn) throw new UsageError('--execution-role-arn: required (or --job NAME with an outputs file)');
  const entryPoint = flag(args, 'entry-point') ?? job?.entryPoint;
  if (!entryPoint) throw new UsageError('--entry-point: required (or --job NAME with an outputs file)');
  if (flag(args, 'wait') !== 'true' && (flag(args, 'timeout-minutes') !== undefined || flag(args, 'keep-running'))) {
    throw new UsageError('--timeout-minutes and --keep-running: only used with --wait');
  }
  const maxAttempts = numberFlag(args, 'max-attempts') ?? job?.maxAttempts;
  const logUri = flag(args, 'log-uri') ?? job?.logUri;
  return {
    args,
    input: {
      applicationId,
      executionRoleArn,
      entryPoint,
      entryPointArguments: args.positionals.length > 0 ? args.positionals : job?.entryPointArguments,
      sparkSubmitParameters: flag(args, 'spark-submit-parameters') ?? job?.sparkSubmitParameters,
      sparkConf: pairs(args.flags.get('conf'), 'conf'),
      name: flag(args, 'name') ?? job?.name,
      executionTimeoutMinutes: numberFlag(args, 'execution-timeout-minutes') ?? job?.executionTimeoutMinutes,
      retryPolicy: maxAttempts !== undefined ? { maxAttempts } : undefined,
      monitoring: logUri ? { logUri, logEncryptionKeyArn: flag(args, 'log-uri') === undefined ? job?.logEncryptionKeyArn : undefined } : undefined,
      releaseLabel: job?.releaseLabel,
      tags: args.flags.has('tag') ? pairs(args.flags.get('tag'), 'tag') : undefined,
      clientToken: flag(args, 'client-token'),
    },
  };
}

function pairs(values: string[] | undefined, name: string): { [key: string]: string } {
  const result: { [key: string]: string } = {};
  for (const pair of values ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${name}: '${pair}' is not key=value`);
    result[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return result;
}

/** `spark-deploy submit`. */
export async function submitCommand(argv: string[], io: CliIo): Promise<number> {
  let interrupt: { dispose: () => void } | undefined;
  let reporter: StatusReporter | undefined;
  try {
    const { input, args } = jobRunInputFromFlags(argv);
    const json = flag(args, 'json') === 'true';
    const wait = flag(args, 'wait') === 'true';
    const timeout = timeoutFromFlags(args);
    const keepRunning = flag(args, 'keep-running') === 'true';
    const runner = runnerFromFlags(args, io, json);
    let jobRunId: string | undefined;
    const sigint = interruptOnSigint(io, json || keepRunning, () => (jobRunId ? `job run ${jobRunId}` : 'the submit'));
    interrupt = sigint;
    const started = await runner.start(input, sigint.signal);
    jobRunId = started.jobRunId;
    reporter = new StatusReporter(io, json, isTerminal(io));
    reporter.note(`Started job run ${started.jobRunId} on application ${started.applicationId} (clientToken ${started.clientToken})`);
    if (!wait) {
      if (json) io.stdout(JSON.stringify(started, null, 2) + '\n');
      else io.stdout(`Follow it with: spark-deploy wait ${started.jobRunId} --application-id ${started.applicationId}\n`);
      return ExitCode.OK;
    }
    const result = await runner.wait(started.applicationId, started.jobRunId,
      reporter.waitOptions(sigint.signal, { timeoutMs: timeout.ms, cancelOnStop: !keepRunning }));
    reporter.done();
    const full = { ...result, clientToken: started.clientToken };
    if (json) io.stdout(JSON.stringify(statusJson(full), null, 2) + '\n');
    else printResult(io, full, timeout.minutes);
    return exitCodeFor(full);
  } catch (err) {
    reporter?.done();
    return reportError(io, 'submit', err, SUBMIT_USAGE);
  } finally {
    reporter?.stop();
    interrupt?.dispose();
  }
}
