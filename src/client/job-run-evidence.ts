import { AwsCallError } from './aws-errors';
import { EvidenceError } from './event-log-evidence';
import { EmrServerlessJobRunner, JobRunStatus } from './job-runner';
import { EvidenceReaderOptions, readRunEvidence } from './run-evidence-reader';
import { RunEvidence } from '../config/run-informed/evidence';
import { ResourceHours } from '../config/run-informed/prices';

/** A finished EMR Serverless job run: its status, billed resources and evidence. */
export interface JobRunEvidence {
  readonly status: JobRunStatus;
  /** What GetJobRun says the run is billed for. */
  readonly billed?: ResourceHours;
  readonly evidence: RunEvidence;
  /** Where the event log was read. */
  readonly eventLog: string;
}

const TERMINAL = new Set(['SUCCESS', 'FAILED', 'CANCELLED']);

/**
 * Where EMR Serverless puts a run's Spark event log under its S3 log prefix:
 * `<logUri>/applications/<appId>/jobs/<jobRunId>/sparklogs/`. The layout is the one EMR Serverless's S3 logs use
 * for the driver (`.../SPARK_DRIVER/`); the `sparklogs` folder name is not confirmed by a primary source, so
 * `--from-run` may name the log location instead.
 */
export function eventLogPrefix(logUri: string, applicationId: string, jobRunId: string): string {
  return `${logUri.replace(/\/+$/, '')}/applications/${applicationId}/jobs/${jobRunId}/sparklogs/`;
}

/**
 * Reads a job run through GetJobRun: refuses one that has not ended (its numbers are not final) or does not
 * exist, takes its billed resource utilization, and reads its event log (from `eventLog`, else the run's or the
 * application's S3 log prefix).
 */
export async function readJobRunEvidence(runner: EmrServerlessJobRunner, applicationId: string, jobRunId: string,
  options: EvidenceReaderOptions & { eventLog?: string } = {}): Promise<JobRunEvidence> {
  let status: JobRunStatus;
  try {
    status = await runner.describe(applicationId, jobRunId);
  } catch (err) {
    if (err instanceof AwsCallError && err.errorName === 'ResourceNotFoundException') {
      throw new EvidenceError(`job run '${jobRunId}' of application '${applicationId}': not found (${err.message.split('\n')[0]})`);
    }
    throw err;
  }
  if (!TERMINAL.has(status.state)) {
    throw new EvidenceError(`job run '${jobRunId}' is ${status.state}: tune from a run that has ended (SUCCESS, FAILED or CANCELLED)`);
  }
  const logUri = status.logUri ?? await runner.applicationLogUri(applicationId);
  const eventLog = options.eventLog ?? (logUri ? eventLogPrefix(logUri, applicationId, jobRunId) : undefined);
  if (eventLog === undefined) {
    throw new EvidenceError(`job run '${jobRunId}' has no S3 log prefix (neither the run nor the application logs to S3): give its event log with --from-run`);
  }
  const evidence = await readRunEvidence(eventLog, options);
  const b = status.billedResourceUtilization;
  const billed = b ? { vcpuHours: b.vCPUHour ?? 0, memoryGbHours: b.memoryGBHour ?? 0, storageGbHours: b.storageGBHour ?? 0 } : undefined;
  return { status, billed, evidence, eventLog };
}
