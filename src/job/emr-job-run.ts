import type { SparkJobDefinition } from './spark-job-definition';
import { CodeUriScheme } from '../artifacts/code-uri-scheme';
import { pythonTargetForEmr } from '../artifacts/python-target';
import { DEPENDENCY_ARCHIVE_LINK, DEPENDENCY_PYTHONPATH, resolveRuntimeDependencies } from '../artifacts/runtime-dependencies';
import { checkSparkSubmitFields, throwFirstViolation } from '../config/emr-serverless-rules';
import { invalidValue } from '../config/errors';
import { quoteShellWord } from '../config/quoting';
import { emrReleaseAtLeast, resolveEmrRelease } from '../config/releases';
import { SparkConfiguration } from '../config/spark-configuration';

// One EMR Serverless run contract for both sides: the construct renders its state machine task and its stack
// output from it, the client its StartJobRun request. Nothing here imports aws-cdk-lib: the construct layer
// says which values are unresolved tokens.

/**
 * The name of the one stack output that lists every EMR Serverless job of the stack, as JSON:
 * `{ "<job name>": JobRunContract }`. The CLI reads it from `cdk deploy --outputs-file`; CDK adds a hash to
 * output ids created below the stack's root, so output keys that start with this name count too.
 */
export const JOBS_OUTPUT_KEY = 'SparkDeployJobs';

/** EMR Serverless `executionTimeoutMinutes`: at most 7 days; 0 (no limit) is no longer allowed from emr-7.11. */
export const MAX_EXECUTION_TIMEOUT_MINUTES = 10080;
/** EMR Serverless `retryPolicy.maxAttempts`: 1 to 10 attempts in all. */
export const MAX_JOB_RUN_ATTEMPTS = 10;

/** What the CLI needs to start one run of a deployed job: the StartJobRun request, minus name and client token. */
export interface JobRunContract {
  /** The application's ID. */
  readonly applicationId: string;
  /** The job runtime role's ARN. */
  readonly executionRoleArn: string;
  /** `s3://` URI of the entry-point script. */
  readonly entryPoint: string;
  /** Arguments to the entry point. */
  readonly entryPointArguments: string[];
  /**
   * `--py-files …` and the tuned `--conf` pairs.
   * @default - none: the application's spark-defaults alone
   */
  readonly sparkSubmitParameters?: string;
  /**
   * The application's S3 log location, sent with every run.
   * @default - no S3 logs (managed persistence only)
   */
  readonly logUri?: string;
  /**
   * The KMS key ARN the application encrypts its S3 logs with (sent with `logUri`, so a run keeps it).
   * @default - S3-managed encryption
   */
  readonly logEncryptionKeyArn?: string;
  /**
   * Run time limit, minutes.
   * @default - the service default (720 minutes)
   */
  readonly executionTimeoutMinutes?: number;
  /**
   * Attempts in all (1 = no retry).
   * @default 1
   */
  readonly maxAttempts?: number;
  /**
   * The application's release label, for the release gates (retries need emr-7.1.0).
   * @default - unknown: release gates are not checked
   */
  readonly releaseLabel?: string;
  /**
   * The job's state machine, when it has one.
   * @default - none
   */
  readonly stateMachineArn?: string;
}

/** A job run to render: a contract plus what each run may choose. */
export interface JobRunSpec extends JobRunContract {
  /**
   * The run's name.
   * @default - none
   */
  readonly name?: string;
  /**
   * Failed attempts allowed per hour (streaming runs only).
   * @default - not set
   */
  readonly maxFailedAttemptsPerHour?: number;
  /**
   * `BATCH` or `STREAMING`.
   * @default 'BATCH'
   */
  readonly mode?: string;
}

/** The S3 part of a StartJobRun `monitoringConfiguration`. */
export interface JobRunS3Monitoring {
  /** The log location. */
  readonly logUri: string;
  /**
   * The KMS key of the logs.
   * @default - none
   */
  readonly encryptionKeyArn?: string;
}

/** StartJobRun `monitoringConfiguration` as the contract renders it. */
export interface JobRunMonitoringFields {
  /** The S3 log location. */
  readonly s3MonitoringConfiguration: JobRunS3Monitoring;
}

/** StartJobRun `configurationOverrides` as the contract renders them. */
export interface JobRunConfigurationOverrides {
  /** Where the run's logs go. */
  readonly monitoringConfiguration: JobRunMonitoringFields;
}

/** StartJobRun `jobDriver.sparkSubmit`. */
export interface JobRunSparkSubmit {
  /** The entry point's URI. */
  readonly entryPoint: string;
  /**
   * Arguments to the entry point.
   * @default - none
   */
  readonly entryPointArguments?: string[];
  /**
   * spark-submit parameters.
   * @default - none
   */
  readonly sparkSubmitParameters?: string;
}

/** StartJobRun `jobDriver`. */
export interface JobRunDriver {
  /** The Spark job driver. */
  readonly sparkSubmit: JobRunSparkSubmit;
}

/** StartJobRun `retryPolicy`. */
export interface JobRunRetry {
  /** Attempts in all. */
  readonly maxAttempts: number;
  /**
   * Failed attempts per hour (streaming).
   * @default - not set
   */
  readonly maxFailedAttemptsPerHour?: number;
}

/**
 * The StartJobRun request a contract renders to, in the API's field names (the AWS SDK's camelCase; Step
 * Functions takes the same fields capitalized), without the client token, which each side chooses itself.
 * @see https://docs.aws.amazon.com/emr-serverless/latest/APIReference/API_StartJobRun.html
 */
export interface StartJobRunFields {
  /** The application's ID. */
  readonly applicationId: string;
  /** The runtime role. */
  readonly executionRoleArn: string;
  /**
   * The run's name.
   * @default - none
   */
  readonly name?: string;
  /** The job driver. */
  readonly jobDriver: JobRunDriver;
  /**
   * Monitoring of the run.
   * @default - the application's
   */
  readonly configurationOverrides?: JobRunConfigurationOverrides;
  /**
   * Run time limit, minutes.
   * @default - the service default
   */
  readonly executionTimeoutMinutes?: number;
  /**
   * Retries.
   * @default - one attempt
   */
  readonly retryPolicy?: JobRunRetry;
}

/** How a side names the fields a user set, and which values it cannot know yet. */
export interface RenderJobRunOptions {
  /**
   * Maps a request field (`entryPoint`, `entryPointArguments[2]`, `sparkSubmitParameters`,
   * `executionTimeoutMinutes`, `retryPolicy.maxAttempts`, `retryPolicy.maxFailedAttemptsPerHour`) to the
   * name the user wrote, for messages.
   * @default - the request field
   */
  readonly fieldOf?: (field: string) => string;
  /**
   * Whether a value is not known yet (a CDK token); such values are not checked.
   * @default - every value is known
   */
  readonly isUnresolved?: (value: unknown) => boolean;
}

/** Checks a run time limit in whole minutes; throws naming `field`. */
export function checkTimeoutMinutes(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_EXECUTION_TIMEOUT_MINUTES) {
    throw invalidValue(field, value, `expected whole minutes from 1 to ${MAX_EXECUTION_TIMEOUT_MINUTES} (7 days)`);
  }
  return value;
}

/** Checks attempts in all; throws naming `field`. */
export function checkMaxAttempts(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1 || value > MAX_JOB_RUN_ATTEMPTS) {
    throw invalidValue(field, value, `expected a whole number from 1 to ${MAX_JOB_RUN_ATTEMPTS}`);
  }
  return value;
}

/** Checks failed attempts allowed per hour; throws naming `field`. */
export function checkMaxFailedAttemptsPerHour(value: number, field: string): number {
  if (!Number.isInteger(value) || value < 1) throw invalidValue(field, value, 'expected a whole number >= 1');
  return value;
}

/**
 * Renders the StartJobRun request of a run, enforcing what the service would refuse: the job driver's size
 * limits (102,400 characters of spark-submit parameters, the entry point and argument limits), the timeout
 * and attempt ranges, and the release gates (retries need emr-7.1.0; a per-hour failure budget is for
 * streaming runs only). One attempt leaves the retry policy out (older releases know none).
 */
export function renderStartJobRun(spec: JobRunSpec, options: RenderJobRunOptions = {}): StartJobRunFields {
  const fieldOf = options.fieldOf ?? ((f: string) => f);
  const unresolved = options.isUnresolved ?? (() => false);
  const known = (v: number | undefined): v is number => v !== undefined && !unresolved(v);
  (spec.entryPointArguments ?? []).forEach((arg, i) => {
    if (typeof arg !== 'string') throw invalidValue(fieldOf(`entryPointArguments[${i}]`), arg, 'arguments are strings');
  });
  if (known(spec.executionTimeoutMinutes)) checkTimeoutMinutes(spec.executionTimeoutMinutes, fieldOf('executionTimeoutMinutes'));
  const attempts = spec.maxAttempts ?? 1;
  if (known(attempts)) checkMaxAttempts(attempts, fieldOf('retryPolicy.maxAttempts'));
  const perHour = spec.maxFailedAttemptsPerHour;
  if (known(perHour)) checkMaxFailedAttemptsPerHour(perHour, fieldOf('retryPolicy.maxFailedAttemptsPerHour'));
  const release = spec.releaseLabel;
  if (attempts > 1 && release !== undefined && !unresolved(release) && !emrReleaseAtLeast(release, 7, 1)) {
    throw invalidValue(fieldOf('retryPolicy.maxAttempts'), attempts, `job retries need EMR 7.1.0 or later (release is ${release})`);
  }
  if (perHour !== undefined && (spec.mode ?? 'BATCH') !== 'STREAMING') {
    throw invalidValue(fieldOf('retryPolicy.maxFailedAttemptsPerHour'), perHour, 'applies to streaming job runs only; batch runs retry up to retry.maxAttempts');
  }
  throwFirstViolation(checkSparkSubmitFields({
    entryPoint: spec.entryPoint, entryPointArguments: spec.entryPointArguments, sparkSubmitParameters: spec.sparkSubmitParameters,
  }), fieldOf);
  const args = spec.entryPointArguments ?? [];
  return {
    applicationId: spec.applicationId,
    executionRoleArn: spec.executionRoleArn,
    name: spec.name,
    jobDriver: {
      sparkSubmit: {
        entryPoint: spec.entryPoint,
        entryPointArguments: unresolved(args) || args.length > 0 ? args : undefined,
        sparkSubmitParameters: spec.sparkSubmitParameters || undefined,
      },
    },
    configurationOverrides: spec.logUri !== undefined
      ? { monitoringConfiguration: { s3MonitoringConfiguration: { logUri: spec.logUri, encryptionKeyArn: spec.logEncryptionKeyArn } } }
      : undefined,
    executionTimeoutMinutes: spec.executionTimeoutMinutes,
    retryPolicy: attempts > 1 || perHour !== undefined ? { maxAttempts: attempts, maxFailedAttemptsPerHour: perHour } : undefined,
  };
}

/** Where a job definition runs on EMR Serverless, for its spark-submit parameters. */
export interface EmrRuntime {
  /** The application's release label. */
  readonly releaseLabel: string;
  /**
   * The application's architecture as EMR Serverless spells it (`ARM64` or `X86_64`).
   * @default 'ARM64'
   */
  readonly architecture?: string;
  /**
   * One of the release's Pythons.
   * @default - the release's default Python
   */
  readonly pythonVersion?: string;
  /**
   * Where the job runs, in words, for messages.
   * @default - the release, architecture and Python
   */
  readonly description?: string;
}

/**
 * The spark-submit parameters of a job definition on EMR Serverless: `--py-files` with the code's archives,
 * the `--conf` pairs that ship the code's dependency archive for the runtime's Python and architecture
 * (checked: Spark unpacks it as `./deps` beside the driver and every executor, and the Python path of both
 * points there), the interpreter when the job picks another of the release's Pythons, then the tuned
 * configuration.
 */
export function emrSparkSubmitParameters(definition: SparkJobDefinition, configuration: SparkConfiguration, runtime: EmrRuntime): string {
  const pyFiles = definition.pyFileUris(CodeUriScheme.S3);
  const pyFilesFlag = pyFiles.length > 0 ? `--py-files ${quoteShellWord(pyFiles.join(','))} ` : '';
  const architecture = runtime.architecture ?? 'ARM64';
  const python = pythonTargetForEmr({ releaseLabel: runtime.releaseLabel, architecture, pythonVersion: runtime.pythonVersion });
  // EMR Serverless documents no Python packages besides PySpark: everything else comes from the archive.
  const archive = resolveRuntimeDependencies(definition.code, {
    target: python,
    description: runtime.description ?? `the EMR Serverless application (${runtime.releaseLabel}, ${architecture}, Python ${python.pythonVersion})`,
  }, 'definition.code');
  const conf: Array<[string, string]> = [];
  if (archive) {
    for (const key of ['spark.archives', 'spark.emr-serverless.driverEnv.PYTHONPATH', 'spark.executorEnv.PYTHONPATH']) {
      if (configuration.get(key) !== undefined) {
        throw invalidValue(`definition.sparkConf['${key}']`, configuration.get(key), 'is set from the code\'s dependency archive; leave it out');
      }
    }
    conf.push(
      ['spark.archives', `${definition.code.uriFor(archive.path, CodeUriScheme.S3)}#${DEPENDENCY_ARCHIVE_LINK}`],
      ['spark.emr-serverless.driverEnv.PYTHONPATH', DEPENDENCY_PYTHONPATH],
      ['spark.executorEnv.PYTHONPATH', DEPENDENCY_PYTHONPATH],
    );
  }
  if (python.pythonVersion !== resolveEmrRelease(runtime.releaseLabel).pythonVersions[0]) {
    // Another of the release's Pythons: the image's interpreter at /usr/bin/python3.<minor> (EMR's
    // documented way to pick Python 3.11 on emr-7.x), for the driver and the executors alike.
    const interpreter = `/usr/bin/python${python.pythonVersion}`;
    conf.push(
      ['spark.emr-serverless.driverEnv.PYSPARK_DRIVER_PYTHON', interpreter],
      ['spark.emr-serverless.driverEnv.PYSPARK_PYTHON', interpreter],
      ['spark.executorEnv.PYSPARK_PYTHON', interpreter],
    );
  }
  return pyFilesFlag + conf.map(([k, v]) => `--conf ${quoteShellWord(`${k}=${v}`)} `).join('') + configuration.toSparkSubmitParameters();
}
