import { randomUUID } from 'crypto';
import type { StartJobRunCommandInput } from '@aws-sdk/client-emr-serverless';
import { CodeUriScheme } from '../artifacts/code-uri-scheme';
import { checkEmrServerlessProperties, sparkSubmitConf, throwFirstViolation } from '../config/emr-serverless-rules';
import { invalidValue } from '../config/errors';
import { validateOverride } from '../config/overrides';
import { quoteShellWord } from '../config/quoting';
import { DEFAULT_EMR_RELEASE } from '../config/releases';
import { parseS3Uri } from '../config/s3-paths';
import { SparkConfiguration } from '../config/spark-configuration';
import { DeploymentTarget } from '../config/types';
import { emrSparkSubmitParameters, renderStartJobRun, StartJobRunFields } from '../job/emr-job-run';
import { SparkJobDefinition, SparkTargetShape } from '../job/spark-job-definition';

/** An EMR configuration classification (per-run `applicationConfiguration`). */
export interface EmrConfigurationOverride {
  readonly classification: string;
  readonly properties?: { [key: string]: string };
  readonly configurations?: EmrConfigurationOverride[];
}

/** Where a run's logs go (per-run `monitoringConfiguration`). */
export interface JobRunMonitoring {
  /** S3 prefix for logs, e.g. `s3://my-logs/emr/`. @default - the application's default, if any */
  readonly logUri?: string;
  /** CloudWatch Logs group. @default - no CloudWatch logging for this run */
  readonly cloudWatchLogGroup?: string;
  /** Stream name prefix in the CloudWatch Logs group. @default - the service's default */
  readonly cloudWatchLogStreamPrefix?: string;
  /** Keep the Spark UI and logs in service-managed storage. @default - the application's default */
  readonly managedPersistence?: boolean;
  /** KMS key of the S3 logs (with `logUri`). @default - S3-managed encryption */
  readonly logEncryptionKeyArn?: string;
}

/** Retry policy of a run. */
export interface JobRunRetryPolicy {
  /** Attempts in all (1 = no retry). */
  readonly maxAttempts?: number;
  /** Failed attempts allowed per hour (streaming runs). @default - not set */
  readonly maxFailedAttemptsPerHour?: number;
}

/** Everything StartJobRun needs, in spark-deploy's terms. */
export interface JobRunInput {
  /** The EMR Serverless application id. */
  readonly applicationId: string;
  /** The job runtime role. */
  readonly executionRoleArn: string;
  /** The entry point script, e.g. `s3://artifacts/spark_jobs/0.1.0/3f2a9c1e/entrypoints/features.py`. */
  readonly entryPoint: string;
  /** Arguments to the entry point. @default - none */
  readonly entryPointArguments?: string[];
  /**
   * Spark submit parameters: a tuned `SparkConfiguration` (rendered here) or a ready string
   * (for example the one `cdk deploy` wrote to the outputs file). @default - none
   */
  readonly sparkSubmitParameters?: string | SparkConfiguration;
  /**
   * Per-run Spark properties that win over `sparkSubmitParameters` (validated like job overrides).
   * @default - none
   */
  readonly sparkConf?: { [key: string]: string };
  /** Per-run `applicationConfiguration` overrides. @default - none */
  readonly applicationConfiguration?: EmrConfigurationOverride[];
  /** Per-run monitoring. @default - the application's defaults */
  readonly monitoring?: JobRunMonitoring;
  /** The run's name. @default - none */
  readonly name?: string;
  /** Run time limit, minutes (1 to 10080). @default - the service default (720) */
  readonly executionTimeoutMinutes?: number;
  /** Retries by the service. @default - no retry */
  readonly retryPolicy?: JobRunRetryPolicy;
  /** Tags of the run. @default - none */
  readonly tags?: { [key: string]: string };
  /**
   * Idempotency token: the same token never starts a second run. Pass your own (e.g. a CI build id)
   * to make re-submitting a whole script safe.
   * @default - a random UUID, fixed for all retries of this submit
   */
  readonly clientToken?: string;
  /** BATCH or STREAMING. @default 'BATCH' */
  readonly mode?: 'BATCH' | 'STREAMING';
  /**
   * The application's release label, for the release gates (retries need emr-7.1.0).
   * @default - unknown: not checked (the service refuses what the release cannot do)
   */
  readonly releaseLabel?: string;
}

const APPLICATION_ID = /^[0-9a-z]{1,64}$/;
const ROLE_ARN = /^arn:aws[a-zA-Z0-9-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const CLIENT_TOKEN = /^(?=.*\S)[\x20-\x7e]{1,64}$/;

/** Checks the ids every command needs; the message names the field and the expected form. */
export function validateApplicationId(applicationId: string): void {
  if (typeof applicationId !== 'string' || !APPLICATION_ID.test(applicationId)) {
    throw invalidValue('applicationId', applicationId, 'expected an EMR Serverless application id: 1-64 lowercase letters and digits, e.g. 00fkqs2qhu1a2b3c');
  }
}

/** Checks a job run id. */
export function validateJobRunId(jobRunId: string): void {
  if (typeof jobRunId !== 'string' || !APPLICATION_ID.test(jobRunId)) {
    throw invalidValue('jobRunId', jobRunId, 'expected an EMR Serverless job run id: 1-64 lowercase letters and digits');
  }
}

/**
 * Builds the StartJobRun request. The clientToken is chosen here, once, so that every retry of the
 * request (ours or the caller's) carries the same token.
 */
export function buildStartJobRunRequest(input: JobRunInput): StartJobRunCommandInput {
  validateApplicationId(input.applicationId);
  if (typeof input.executionRoleArn !== 'string' || !ROLE_ARN.test(input.executionRoleArn)) {
    throw invalidValue('executionRoleArn', input.executionRoleArn, 'expected an IAM role ARN, e.g. arn:aws:iam::123456789012:role/spark-job');
  }
  if (typeof input.entryPoint !== 'string' || input.entryPoint.trim() === '') {
    throw invalidValue('entryPoint', input.entryPoint, 'expected the URI of the entry point script, e.g. s3://bucket/prefix/entrypoints/job.py');
  }
  const clientToken = input.clientToken ?? randomUUID();
  if (!CLIENT_TOKEN.test(clientToken)) {
    throw invalidValue('clientToken', clientToken, 'expected 1-64 printable ASCII characters, not only spaces');
  }
  if (input.monitoring?.logUri !== undefined && !parseS3Uri(input.monitoring.logUri, { strictBucket: true })) {
    throw invalidValue('monitoring.logUri', input.monitoring.logUri, 'expected an S3 URI such as s3://my-logs/emr-serverless/');
  }
  const sparkSubmitParameters = renderSparkSubmitParameters(input.sparkSubmitParameters, input.sparkConf ?? {});
  checkServiceProperties(input, sparkSubmitParameters);
  // The run contract's one render (the construct's state machine sends the same fields): limits, ranges and
  // release gates.
  const fields = renderStartJobRun({
    applicationId: input.applicationId,
    executionRoleArn: input.executionRoleArn,
    name: input.name,
    entryPoint: input.entryPoint,
    entryPointArguments: input.entryPointArguments ?? [],
    sparkSubmitParameters,
    logUri: input.monitoring?.logUri,
    logEncryptionKeyArn: input.monitoring?.logEncryptionKeyArn,
    executionTimeoutMinutes: input.executionTimeoutMinutes,
    maxAttempts: input.retryPolicy?.maxAttempts,
    maxFailedAttemptsPerHour: input.retryPolicy?.maxFailedAttemptsPerHour,
    releaseLabel: input.releaseLabel,
    mode: input.mode,
  });
  const monitoringConfiguration = renderMonitoring(input.monitoring, fields);
  const configurationOverrides = input.applicationConfiguration?.length || monitoringConfiguration
    ? { applicationConfiguration: input.applicationConfiguration?.map(toSdkConfiguration), monitoringConfiguration }
    : undefined;
  return {
    ...fields,
    clientToken,
    configurationOverrides,
    tags: input.tags ? { ...input.tags } : undefined,
    mode: input.mode,
  };
}

/**
 * Checks the properties the run sees against the EMR Serverless rules the service would refuse it for, before any
 * request is sent (its spark-defaults classification under the `--conf` pairs, which win). The application's own
 * spark-defaults are not known here; a rule that needs a value neither sets (the cap of dynamic allocation) is
 * checked only when the run sets it.
 */
function checkServiceProperties(input: JobRunInput, sparkSubmitParameters: string): void {
  let conf: { [key: string]: string };
  try {
    conf = sparkSubmitConf(sparkSubmitParameters);
  } catch (err) {
    const shown = sparkSubmitParameters.length > 80 ? `${sparkSubmitParameters.slice(0, 80)}…` : sparkSubmitParameters;
    throw invalidValue('sparkSubmitParameters', shown, `${(err as Error).message}; quote values for a POSIX shell`);
  }
  const defaults: { [key: string]: string } = {};
  for (const c of input.applicationConfiguration ?? []) {
    if (c.classification === 'spark-defaults') Object.assign(defaults, c.properties ?? {});
  }
  const perRun = new Set(Object.keys(input.sparkConf ?? {}).map(k => validateOverride(k, input.sparkConf![k], DeploymentTarget.EMR_SERVERLESS).key));
  throwFirstViolation(checkEmrServerlessProperties({ ...defaults, ...conf }),
    key => (perRun.has(key) ? `sparkConf['${key}']` : key in conf ? `sparkSubmitParameters --conf ${key}` : `applicationConfiguration spark-defaults ${key}`));
}

/**
 * Renders the submit parameters: a configuration with the per-run overrides merged in (so the model
 * re-validates them), or a ready string with one `--conf` per override appended (spark-submit keeps
 * the last value of a repeated key).
 */
function renderSparkSubmitParameters(base: string | SparkConfiguration | undefined, overrides: { [key: string]: string }): string {
  if (base instanceof SparkConfiguration) {
    return base.withOverrides(overrides).toSparkSubmitParameters();
  }
  const extra = Object.entries(overrides).map(([key, value]) => {
    const normalized = validateOverride(key, value, DeploymentTarget.EMR_SERVERLESS);
    return `--conf ${quoteShellWord(`${normalized.key}=${normalized.value}`)}`;
  });
  return [base ?? '', ...extra].filter(part => part.trim() !== '').join(' ');
}

function renderMonitoring(monitoring: JobRunMonitoring | undefined, fields: StartJobRunFields) {
  if (!monitoring) return undefined;
  const result = {
    s3MonitoringConfiguration: fields.configurationOverrides?.monitoringConfiguration.s3MonitoringConfiguration,
    cloudWatchLoggingConfiguration: monitoring.cloudWatchLogGroup
      ? { enabled: true, logGroupName: monitoring.cloudWatchLogGroup, logStreamNamePrefix: monitoring.cloudWatchLogStreamPrefix }
      : undefined,
    managedPersistenceMonitoringConfiguration: monitoring.managedPersistence !== undefined
      ? { enabled: monitoring.managedPersistence }
      : undefined,
  };
  return Object.values(result).some(v => v !== undefined) ? result : undefined;
}

function toSdkConfiguration(c: EmrConfigurationOverride): { classification: string; properties?: Record<string, string>; configurations?: any[] } {
  return {
    classification: c.classification,
    properties: c.properties ? { ...c.properties } : undefined,
    configurations: c.configurations?.map(toSdkConfiguration),
  };
}

/** Where a job definition runs on EMR Serverless. */
export interface EmrServerlessDeployment {
  readonly applicationId: string;
  readonly executionRoleArn: string;
  /** Release and worker shapes the job is tuned for (the target is always EMR Serverless). */
  readonly shape: Omit<SparkTargetShape, 'target'>;
  /** S3 log prefix. @default - the application's default */
  readonly logUri?: string;
  /** The application's architecture (`ARM64` or `X86_64`), for the dependency archive. @default 'ARM64' */
  readonly architecture?: string;
  /** One of the release's Pythons. @default - the release's default Python */
  readonly pythonVersion?: string;
}

/**
 * The run input for a `SparkJobDefinition` on an application: entry point as an s3:// URI, the job's
 * arguments, timeout and retry, and the spark-submit parameters the construct renders (`--py-files`, the
 * dependency archive, the configuration tuned for the worker shapes).
 */
export function jobRunInputFromDefinition(job: SparkJobDefinition, deployment: EmrServerlessDeployment): JobRunInput {
  const releaseLabel = deployment.shape.release ?? DEFAULT_EMR_RELEASE;
  const config = job.tune({ ...deployment.shape, release: releaseLabel, target: DeploymentTarget.EMR_SERVERLESS });
  return {
    applicationId: deployment.applicationId,
    executionRoleArn: deployment.executionRoleArn,
    name: job.name,
    entryPoint: job.entryPointUri(CodeUriScheme.S3),
    entryPointArguments: job.arguments,
    sparkSubmitParameters: emrSparkSubmitParameters(job, config, {
      releaseLabel, architecture: deployment.architecture, pythonVersion: deployment.pythonVersion,
    }),
    executionTimeoutMinutes: job.timeoutMinutes,
    retryPolicy: job.maxAttempts > 1
      ? { maxAttempts: job.maxAttempts, maxFailedAttemptsPerHour: job.maxFailedAttemptsPerHour }
      : undefined,
    monitoring: deployment.logUri ? { logUri: deployment.logUri } : undefined,
    releaseLabel,
  };
}
