import { choiceFlag, CliIo, ExitCode, flag, parseArgs, UsageError } from './args';
import {
  applicationIdFromFlags, CONNECTION_FLAGS, CONNECTION_USAGE, deployedJobFromFlags, jobRunIdFromArgs, reportError,
  retryFromEnvironment, runnerFromFlags,
} from './job-run-command';
import type * as DriverLogs from '../client/driver-logs';

export const LOGS_USAGE = `Usage: spark-deploy logs JOB_RUN_ID (--application-id ID | --job NAME) [--stream stdout|stderr]
         [--log-uri s3://...] [--s3-endpoint-url URL]

Prints the Spark driver's stdout (or stderr) of a job run from its S3 log location:
<logUri>/applications/<appId>/jobs/<jobRunId>/SPARK_DRIVER/<stream>.gz. The log location is --log-uri, else
the job's logUri in the outputs file, else the run's own monitoring configuration, else the application's.
--s3-endpoint-url defaults to --endpoint-url (local stand-ins serve both APIs on one endpoint).
${CONNECTION_USAGE}
`;

const STREAMS = ['stdout', 'stderr'] as const;

/** `spark-deploy logs`. */
export async function logsCommand(argv: string[], io: CliIo): Promise<number> {
  try {
    // Loaded here, not at the top: the S3 client is only needed by this command, and every other
    // command starts faster without it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { DriverLogStream, driverLogLocation, readDriverLog } = require('../client/driver-logs') as typeof DriverLogs;
    const args = parseArgs(argv, { values: [...CONNECTION_FLAGS, 'job-run-id', 'stream', 'log-uri', 's3-endpoint-url'], booleans: ['help'] });
    if (flag(args, 'help')) throw new UsageError(LOGS_USAGE);
    const job = deployedJobFromFlags(args);
    const applicationId = applicationIdFromFlags(args, job);
    const jobRunId = jobRunIdFromArgs(args, 'logs');
    const stream = choiceFlag(args, 'stream', STREAMS) === 'stderr' ? DriverLogStream.STDERR : DriverLogStream.STDOUT;
    let logUri = flag(args, 'log-uri') ?? job?.logUri;
    if (logUri === undefined) {
      const runner = runnerFromFlags(args, io, false);
      logUri = (await runner.describe(applicationId, jobRunId)).logUri ?? await runner.applicationLogUri(applicationId);
    }
    if (logUri === undefined) {
      throw new UsageError(`--log-uri: required; neither job run ${jobRunId} nor application ${applicationId} sets an S3 log location`);
    }
    const location = driverLogLocation(logUri, applicationId, jobRunId, stream);
    const text = await readDriverLog(location, {
      region: flag(args, 'region'),
      endpoint: flag(args, 's3-endpoint-url') ?? flag(args, 'endpoint-url'),
      retry: retryFromEnvironment(),
    });
    io.stdout(text.endsWith('\n') || text === '' ? text : text + '\n');
    return ExitCode.OK;
  } catch (err) {
    if ((err as Error)?.name === 'DriverLogNotFoundError') {
      io.stderr(`spark-deploy logs: ${(err as Error).message}\n`);
      return ExitCode.COULD_NOT_SUBMIT;
    }
    return reportError(io, 'logs', err, LOGS_USAGE);
  }
}
