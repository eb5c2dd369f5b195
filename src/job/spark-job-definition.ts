import { checkMaxAttempts, checkMaxFailedAttemptsPerHour, checkTimeoutMinutes } from './emr-job-run';
import { CodeUriScheme, JobCode } from '../artifacts/job-code';
import { invalidValue } from '../config/errors';
import { SparkConfiguration } from '../config/spark-configuration';
import { tableFormatCheckTarget, TableFormatOptions } from '../config/table-formats';
import { DeploymentTarget, StorageOptions, WorkerShape } from '../config/types';
import { isUnresolved } from '../config/unresolved';

/** What the workload needs, whatever it runs on; each target adds its own shapes and release. */
export interface SparkWorkload {
  /**
   * Expected input size in GB.
   * @default - unknown
   */
  readonly inputSizeGb?: number;
  /**
   * The job spends much of its memory in Python.
   * @default false
   */
  readonly pythonHeavy?: boolean;
  /**
   * Configure Delta Lake.
   * @default false
   */
  readonly deltaLake?: boolean;
  /**
   * The table format the job's tables are in: adds its SQL extension, catalog and jars for the target and
   * release (EMR's bundled jars; on the Spark Operator the pinned jars shipped with the artifact).
   * @default - none
   */
  readonly tableFormat?: TableFormatOptions;
  /**
   * Where the data lives.
   * @default - Amazon S3
   */
  readonly storage?: StorageOptions;
}

/** Retry policy of a job. */
export interface SparkJobRetry {
  /** Attempts in all, the first included (1 = no retry). */
  readonly maxAttempts: number;
  /**
   * Failed attempts allowed per hour (EMR Serverless streaming jobs).
   * @default - not set
   */
  readonly maxFailedAttemptsPerHour?: number;
}

/** Properties for `SparkJobDefinition`. */
export interface SparkJobDefinitionProps {
  /**
   * The job's name: lowercase letters, digits and hyphens, starting with a letter, at most 43 characters
   * (so that it fits every target, the Spark Operator's ScheduledSparkApplication included).
   */
  readonly name: string;
  /** Where the job's code lives (a versioned artifact, code already in S3, or code in the image). */
  readonly code: JobCode;
  /** The entry point's name in the code, e.g. `features`. */
  readonly entryPoint: string;
  /**
   * Arguments to the entry point.
   * @default - none
   */
  readonly arguments?: string[];
  /**
   * The workload, for tuning.
   * @default - nothing known: tuned from the worker shape alone
   */
  readonly workload?: SparkWorkload;
  /**
   * Spark or Hadoop properties that win over the tuned ones for this job.
   * @default - none
   */
  readonly sparkConf?: { [key: string]: string };
  /**
   * Run time limit, minutes (EMR Serverless: 1 to 10080, i.e. 7 days; the default is 12 hours).
   * @default 720
   */
  readonly timeoutMinutes?: number;
  /**
   * Retries.
   * @default - one attempt, no retry
   */
  readonly retry?: SparkJobRetry;
}

/** How a target runs a job: its release and shapes. */
export interface SparkTargetShape {
  /** The target. */
  readonly target: DeploymentTarget;
  /**
   * Release label (EMR) or Spark version (Kubernetes).
   * @default - the model's default for the target
   */
  readonly release?: string;
  /** Executor worker or pod shape. */
  readonly executor: WorkerShape;
  /**
   * Driver worker or pod shape.
   * @default - the executor shape capped at 4 vCPU / 16 GB
   */
  readonly driver?: WorkerShape;
  /**
   * A fixed executor count (dynamic allocation off).
   * @default - dynamic allocation
   */
  readonly executorInstances?: number;
  /**
   * The dynamic allocation cap.
   * @default - from the input size
   */
  readonly maxExecutors?: number;
}

/**
 * The longest job name any target accepts: the Spark Operator names each ScheduledSparkApplication run
 * `<name>-<timestamp>` (19 digits by default) and run names become 63-character label values, so 43.
 */
export const MAX_JOB_NAME_LENGTH = 43;
const JOB_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DEFAULT_TIMEOUT_MINUTES = 720;

/**
 * A Spark job described once, independent of where it runs. The EMR Serverless and Spark Operator
 * constructs render it; each tunes it with its own worker or pod shape via `tune()`.
 */
export class SparkJobDefinition {
  /** The job's name. */
  public readonly name: string;
  /** Where its code lives. */
  public readonly code: JobCode;
  /** The entry point's name. */
  public readonly entryPoint: string;
  /** Arguments to the entry point. */
  public readonly arguments: string[];
  /** The workload. */
  public readonly workload: SparkWorkload;
  /** Job-level Spark/Hadoop overrides. */
  public readonly sparkConf: { [key: string]: string };
  /** Run time limit, minutes. */
  public readonly timeoutMinutes: number;
  /** Attempts in all (1 = no retry). */
  public readonly maxAttempts: number;
  /**
   * Failed attempts allowed per hour, when set.
   * @default - no per-hour budget
   */
  public readonly maxFailedAttemptsPerHour?: number;

  public constructor(props: SparkJobDefinitionProps) {
    if (!isUnresolved(props.name) && (!JOB_NAME.test(props.name) || props.name.length > MAX_JOB_NAME_LENGTH)) {
      throw invalidValue('name', props.name,
        `expected lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen, at most ${MAX_JOB_NAME_LENGTH} characters`);
    }
    if (!(props.code instanceof JobCode)) {
      throw invalidValue('code', props.code, 'expected a JobCode (JobCode.fromBucket, JobCode.fromImage, or a VersionedJobArtifact\'s code)');
    }
    // Throws, naming the known entry points, when the name is unknown.
    props.code.entryPointUri(props.entryPoint, props.code.isInBucket ? CodeUriScheme.S3 : CodeUriScheme.LOCAL);
    const args = props.arguments ?? [];
    args.forEach((arg, i) => {
      if (typeof arg !== 'string') throw invalidValue(`arguments[${i}]`, arg, 'arguments are strings');
    });
    const timeout = props.timeoutMinutes ?? DEFAULT_TIMEOUT_MINUTES;
    if (!isUnresolved(timeout)) checkTimeoutMinutes(timeout, 'timeoutMinutes');
    const attempts = checkMaxAttempts(props.retry?.maxAttempts ?? 1, 'retry.maxAttempts');
    const perHour = props.retry?.maxFailedAttemptsPerHour;
    if (perHour !== undefined) checkMaxFailedAttemptsPerHour(perHour, 'retry.maxFailedAttemptsPerHour');
    this.name = props.name;
    this.code = props.code;
    this.entryPoint = props.entryPoint;
    this.arguments = [...args];
    this.workload = { ...(props.workload ?? {}) };
    this.sparkConf = { ...(props.sparkConf ?? {}) };
    this.timeoutMinutes = timeout;
    this.maxAttempts = attempts;
    this.maxFailedAttemptsPerHour = perHour;
    // Validate the overrides once, target-neutrally, so a bad key fails where it was written (on EMR
    // Serverless for a Glue-catalog table format, which runs there only).
    this.tune({ target: tableFormatCheckTarget(this.workload.tableFormat), executor: { cpu: 1, memoryGb: 4 } });
  }

  /** Tunes this job for a target: the workload and job overrides on the target's shapes and release. */
  public tune(shape: SparkTargetShape): SparkConfiguration {
    return SparkConfiguration.tune({
      target: shape.target,
      release: shape.release,
      executor: shape.executor,
      driver: shape.driver,
      executorInstances: shape.executorInstances,
      maxExecutors: shape.maxExecutors,
      inputSizeGb: this.workload.inputSizeGb,
      pythonHeavy: this.workload.pythonHeavy,
      deltaLake: this.workload.deltaLake,
      tableFormat: this.workload.tableFormat,
      storage: this.workload.storage,
      overrides: this.sparkConf,
    });
  }

  /** The entry point's URI in a target's scheme. */
  public entryPointUri(scheme: CodeUriScheme): string {
    return this.code.entryPointUri(this.entryPoint, scheme);
  }

  /** The `--py-files` URIs in a target's scheme. */
  public pyFileUris(scheme: CodeUriScheme): string[] {
    return this.code.pyFileUris(scheme);
  }
}
