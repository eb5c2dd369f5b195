import { choiceFlag, CliIo, ExitCode, flag, parseArgs, UsageError } from './args';
import {
  applicationIdFromFlags, CONNECTION_FLAGS, CONNECTION_USAGE, deployedJobFromFlags, jobRunIdFromArgs, reportError,
  retryFromEnvironment, runnerFromFlags,
} from './job-run-command';
import { DriverLogNotFoundError, DriverLogStream, driverLogLocation, readDriverLog } from '../client/driver-logs';

export const LOGS_USAGE = `Usage: spark-deploy logs JOB_RUN_ID (--application-id ID | --job NAME) [--stream stdout|stderr]
         [--log-uri s3://...] [--s3-endpoint-url URL]

Prints the Spark driver's stdout (or stderr) of a job run from its S3 log location:
<logUri>/applications/<appId>/jobs/<jobRunId>/SPARK_DRIVER/<stream>.gz. The log location is --log-uri, else
the job's logUri in the outputs file, else the run's own monitoring configuration.
--s3-endpoint-url defaults to --endpoint-url (local stand-ins serve both APIs on one endpoint).
${CONNECTION_USAGE}
`;

/** `spark-deploy logs`. */
export async function logsCommand(argv: string[], io: CliIo): Promise<number> {
  try {
    const args = parseArgs(argv, { values: [...CONNECTION_FLAGS, 'job-run-id', 'stream', 'log-uri', 's3-endpoint-url'], booleans: ['help'] });
    if (flag(args, 'help')) throw new UsageError(LOGS_USAGE);
    const job = deployedJobFromFlags(args);
    const applicationId = applicationIdFromFlags(args, job);
    const jobRunId = jobRunIdFromArgs(args, 'logs');
    const stream = choiceFlag(args, 'stream', Object.values(DriverLogStream)) ?? DriverLogStream.STDOUT;
    let logUri = flag(args, 'log-uri') ?? job?.logUri;
    if (logUri === undefined) {
      logUri = (await runnerFromFlags(args, io, false).describe(applicationId, jobRunId)).logUri;
    }
    if (logUri === undefined) {
      throw new UsageError(`--log-uri: required; job run ${jobRunId} sets no S3 log location of its own (the application's default is not readable here)`);
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
    if (err instanceof DriverLogNotFoundError) {
      io.stderr(`spark-deploy logs: ${err.message}\n`);
      return ExitCode.COULD_NOT_SUBMIT;
    }
    return reportError(io, 'logs', err, LOGS_USAGE);
  }
}
