import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';

/** CPU architecture of the application's workers. */
export enum EmrServerlessArchitecture {
  /** AWS Graviton (arm64): about 20% cheaper per vCPU-hour than x86 for the same worker size. */
  ARM64 = 'ARM64',
  /** x86_64. */
  X86_64 = 'X86_64',
}

/** A log stream EMR Serverless can ship to CloudWatch for Spark drivers and executors. */
export enum CloudWatchLogType {
  /** The container's standard output. */
  STDOUT = 'STDOUT',
  /** The container's standard error (Spark's log4j output). */
  STDERR = 'STDERR',
}

/** Total resources an application may hold at once: no new worker starts beyond them. */
export interface MaximumCapacity {
  /** vCPU in total. */
  readonly cpu: number;
  /** Memory in total, GB. */
  readonly memoryGb: number;
  /**
   * Disk in total, GB.
   * @default - not capped
   */
  readonly diskGb?: number;
}

/** Pre-initialized workers, kept warm while the application is started (they bill while idle). */
export interface InitialCapacity {
  /**
   * Pre-initialized driver workers (of the application's driver shape).
   * @default 0
   */
  readonly driverWorkers?: number;
  /**
   * Pre-initialized executor workers (of the application's executor shape).
   * @default 0
   */
  readonly executorWorkers?: number;
}

/** Where EMR Serverless writes job logs in S3. */
export interface S3LogsOptions {
  /** The log bucket. */
  readonly bucket: s3.IBucket;
  /**
   * Key prefix, without leading or trailing slashes.
   * @default 'emr-serverless-logs'
   */
  readonly prefix?: string;
  /**
   * KMS key EMR Serverless encrypts the logs with.
   * @default - the bucket's default encryption
   */
  readonly encryptionKey?: kms.IKey;
}

/** CloudWatch Logs delivery of driver and executor logs. */
export interface CloudWatchLogsOptions {
  /**
   * The log group.
   * @default - EMR Serverless's own `/aws/emr-serverless` group
   */
  readonly logGroup?: logs.ILogGroup;
  /**
   * Prefix of the log stream names.
   * @default - none
   */
  readonly streamPrefix?: string;
  /**
   * KMS key to encrypt the logs with.
   * @default - the log group's encryption
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Driver log types to ship.
   * @default [STDOUT, STDERR]
   */
  readonly driverLogTypes?: CloudWatchLogType[];
  /**
   * Executor log types to ship.
   * @default [STDERR]
   */
  readonly executorLogTypes?: CloudWatchLogType[];
}

/** Interactive use of the application. */
export interface InteractiveOptions {
  /**
   * An Apache Livy endpoint.
   * @default false
   */
  readonly livyEndpoint?: boolean;
  /**
   * EMR Studio notebooks.
   * @default false
   */
  readonly studio?: boolean;
  /**
   * Interactive sessions.
   * @default false
   */
  readonly sessions?: boolean;
}

/** EMR Serverless's default CloudWatch log group. */
export const EMR_SERVERLESS_DEFAULT_LOG_GROUP = '/aws/emr-serverless';
