import { gunzipSync } from 'zlib';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { callWithRetries, RetryOptions } from './aws-errors';
import { validateApplicationId, validateJobRunId } from './job-run-request';
import { invalidValue } from '../config/errors';
import { parseS3Uri, s3Uri } from '../config/s3-paths';

/** The driver's two log streams. */
export enum DriverLogStream {
  STDOUT = 'stdout',
  STDERR = 'stderr',
}

/** Where a log object lives. */
export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

/**
 * Where EMR Serverless writes a run's driver log when S3 logging is on:
 * `<logUri>/applications/<appId>/jobs/<jobRunId>/SPARK_DRIVER/<stream>.gz`.
 */
export function driverLogLocation(logUri: string, applicationId: string, jobRunId: string, stream: DriverLogStream): S3Location {
  validateApplicationId(applicationId);
  validateJobRunId(jobRunId);
  const match = parseS3Uri(logUri, { strictBucket: true });
  if (!match) throw invalidValue('logUri', logUri, 'expected an S3 URI such as s3://my-logs/emr-serverless/');
  const prefix = match.key.replace(/\/+$/, '');
  const key = `${prefix ? prefix + '/' : ''}applications/${applicationId}/jobs/${jobRunId}/SPARK_DRIVER/${stream}.gz`;
  return { bucket: match.bucket, key };
}

/** What `readDriverLog` needs. */
export interface DriverLogReaderOptions {
  /** A ready S3 client. @default - one built from region and endpoint */
  readonly client?: S3Client;
  /** @default - the SDK's chain */
  readonly region?: string;
  /** An S3-compatible endpoint (path-style addressing is used with it). @default - AWS S3 */
  readonly endpoint?: string;
  /** @default - 5 retries of throttled and transient calls */
  readonly retry?: RetryOptions;
}

/** Thrown when the log object is not there (yet): logs appear in S3 only after the driver uploads them. */
export class DriverLogNotFoundError extends Error {
  public constructor(public readonly location: S3Location) {
    super(`no driver log at ${s3Uri(location.bucket, location.key)} (the run may not have started, may not log to S3, or its logs are not uploaded yet)`);
    this.name = 'DriverLogNotFoundError';
  }
}

/** Reads and unzips one driver log stream. */
export async function readDriverLog(location: S3Location, options: DriverLogReaderOptions = {}): Promise<string> {
  const client = options.client ?? new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.endpoint !== undefined,
    maxAttempts: 1,
  });
  let body: Uint8Array;
  try {
    body = await callWithRetries('GetObject', async () => {
      const response = await client.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key }));
      return response.Body!.transformToByteArray();
    }, { options: options.retry });
  } catch (err) {
    const name = (err as { errorName?: string }).errorName;
    if (name === 'NoSuchKey' || name === 'NotFound') throw new DriverLogNotFoundError(location);
    throw err;
  }
  // EMR Serverless gzips the logs; accept a plain object too (copied or re-uploaded by hand).
  const isGzip = body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b;
  return (isGzip ? gunzipSync(body) : Buffer.from(body)).toString('utf8');
}
