import * as emrs from 'aws-cdk-lib/aws-emrserverless';
import { CloudWatchLogsOptions, CloudWatchLogType, S3LogsOptions } from './application-options';
import { invalidValue } from '../config/errors';
import { checkS3KeyPrefix, s3PrefixUri } from '../config/s3-paths';

/** The key prefix of S3 logs when none is given. */
export const DEFAULT_S3_LOG_PREFIX = 'emr-serverless-logs';

/** The `s3://` log location of an application's S3 logs (checked prefix), or undefined without S3 logs. */
export function s3LogUri(s3Logs: S3LogsOptions | undefined): string | undefined {
  if (!s3Logs) return undefined;
  const prefix = checkS3KeyPrefix('s3Logs.prefix', s3Logs.prefix ?? DEFAULT_S3_LOG_PREFIX);
  return s3PrefixUri(s3Logs.bucket.bucketName, prefix);
}

/** Throws naming the field when CloudWatch log types or the stream prefix are not what the service takes. */
export function validateCloudWatchLogs(cw: CloudWatchLogsOptions | undefined): void {
  for (const [field, types] of [['cloudWatchLogs.driverLogTypes', cw?.driverLogTypes], ['cloudWatchLogs.executorLogTypes', cw?.executorLogTypes]] as const) {
    if (types && (types.length === 0 || types.some(t => !Object.values(CloudWatchLogType).includes(t)))) {
      throw invalidValue(field, types, `expected one or more of ${Object.values(CloudWatchLogType).join(', ')}`);
    }
  }
  if (cw?.streamPrefix !== undefined && /[:*]/.test(cw.streamPrefix)) {
    throw invalidValue('cloudWatchLogs.streamPrefix', cw.streamPrefix, 'a log stream prefix may not contain : or *');
  }
}

/** Where the application's logs and metrics go. */
export interface MonitoringInput {
  /**
   * S3 logs.
   * @default - none
   */
  readonly s3Logs?: S3LogsOptions;
  /**
   * The checked `s3://` location of `s3Logs` (`s3LogUri`).
   * @default - none
   */
  readonly logUri?: string;
  /**
   * CloudWatch logs.
   * @default - none
   */
  readonly cloudWatchLogs?: CloudWatchLogsOptions;
  /**
   * Managed persistence.
   * @default true
   */
  readonly managedPersistence?: boolean;
  /**
   * The managed persistence key.
   * @default - AWS-owned key
   */
  readonly managedPersistenceKey?: { readonly keyArn: string };
  /**
   * Prometheus remote-write URL.
   * @default - no Prometheus metrics
   */
  readonly prometheusRemoteWriteUrl?: string;
}

/** The application's `monitoringConfiguration`: S3, managed persistence, CloudWatch Logs and Prometheus. */
export function renderMonitoring(m: MonitoringInput): emrs.CfnApplication.MonitoringConfigurationProperty {
  const cw = m.cloudWatchLogs;
  return {
    s3MonitoringConfiguration: m.s3Logs ? {
      logUri: m.logUri,
      encryptionKeyArn: m.s3Logs.encryptionKey?.keyArn,
    } : undefined,
    managedPersistenceMonitoringConfiguration: {
      enabled: m.managedPersistence ?? true,
      encryptionKeyArn: m.managedPersistenceKey?.keyArn,
    },
    cloudWatchLoggingConfiguration: cw ? {
      enabled: true,
      logGroupName: cw.logGroup?.logGroupName,
      logStreamNamePrefix: cw.streamPrefix,
      encryptionKeyArn: cw.encryptionKey?.keyArn,
      logTypeMap: [
        { key: 'SPARK_DRIVER', value: cw.driverLogTypes ?? [CloudWatchLogType.STDOUT, CloudWatchLogType.STDERR] },
        { key: 'SPARK_EXECUTOR', value: cw.executorLogTypes ?? [CloudWatchLogType.STDERR] },
      ],
    } : undefined,
    prometheusMonitoringConfiguration: m.prometheusRemoteWriteUrl ? { remoteWriteUrl: m.prometheusRemoteWriteUrl } : undefined,
  };
}
