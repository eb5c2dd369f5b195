import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { JobCode } from '../../src/artifacts/job-code';
import { VersionedJobArtifact } from '../../src/artifacts/versioned-job-artifact';
import { jobRunInputFromFlags } from '../../src/cli/submit-command';
import { buildStartJobRunRequest } from '../../src/client/job-run-request';
import { DeploymentTarget } from '../../src/config/types';
import { EmrServerlessApplication } from '../../src/emr-serverless/application';
import { SparkJobExecutionRole } from '../../src/emr-serverless/execution-role';
import { EmrServerlessSparkJob } from '../../src/emr-serverless/spark-job';
import { emrSparkSubmitParameters, JOBS_OUTPUT_KEY, JobRunSpec, renderStartJobRun } from '../../src/job/emr-job-run';
import { SparkJobDefinition } from '../../src/job/spark-job-definition';
import { bucket, newStack } from '../emr-serverless/fixtures';
import { evaluate } from '../emr-serverless/intrinsics';

const PREFIX = 'artifacts/spark_jobs/0.1.0/0123456789abcdef';

/** Stand-in values for deploy-time attributes, as CloudFormation would resolve them. */
function attrs(logicalId: string, attr?: string): string {
  if (attr === 'Arn' && /Runtime/.test(logicalId)) return 'arn:aws:iam::123456789012:role/runtime';
  if (attr === 'Arn' && /LogKey/.test(logicalId)) return 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  if (attr === 'Arn' && /App/.test(logicalId)) return 'arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00app';
  if (attr === 'ApplicationId') return '00app';
  return `${logicalId}${attr ? '.' + attr : ''}`;
}

/** Step Functions' capitalized fields back to the API's (the SDK's camelCase). */
function apiFields(value: any): any {
  if (Array.isArray(value) || value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), apiFields(v)]));
}

const BASE: JobRunSpec = {
  applicationId: '00app',
  executionRoleArn: 'arn:aws:iam::123456789012:role/runtime',
  entryPoint: 's3://code/entrypoints/features.py',
  entryPointArguments: [],
};

describe('one EMR run contract', () => {
  test('the client\'s request for a deployed job equals the one the job\'s state machine sends', () => {
    // GIVEN a job with arguments, py-files, a timeout, retries and KMS-encrypted S3 logs, deployed
    const { stack } = newStack();
    const code = VersionedJobArtifact.fromBucket(stack, 'Code', {
      bucket: bucket(stack, 'code-bucket'), keyPrefix: PREFIX, entryPoints: { features: 'entrypoints/features.py' },
    });
    const application = new EmrServerlessApplication(stack, 'App', {
      releaseLabel: 'emr-7.12.0', s3Logs: { bucket: bucket(stack, 'log-bucket'), encryptionKey: new kms.Key(stack, 'LogKey') },
    });
    const executionRole = new SparkJobExecutionRole(stack, 'Runtime', { application, artifacts: [code] });
    new EmrServerlessSparkJob(stack, 'Features', {
      definition: new SparkJobDefinition({
        name: 'features',
        code: code.code,
        entryPoint: 'features',
        arguments: ['--input', 's3://raw/in', '--output', 's3://out/f'],
        timeoutMinutes: 90,
        retry: { maxAttempts: 3 },
      }),
      application,
      executionRole,
      stateMachine: true,
    });
    const template = Template.fromStack(stack).toJSON();
    const sm = Object.values(template.Resources).find((r: any) => r.Type === 'AWS::StepFunctions::StateMachine') as any;
    const definition = JSON.parse(evaluate(sm.Properties.DefinitionString, attrs));
    const { 'ClientToken.$': clientToken, ...stateParameters } = definition.States[definition.StartAt].Parameters;
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'outputs-')), 'outputs.json');
    fs.writeFileSync(file, JSON.stringify({ Test: { [JOBS_OUTPUT_KEY]: evaluate(template.Outputs[JOBS_OUTPUT_KEY].Value, attrs) } }));

    // WHEN the CLI builds `spark-deploy submit --job features` from the outputs file
    const { input } = jobRunInputFromFlags(['--job', 'features', '--outputs-file', file]);
    const { clientToken: token, ...request } = JSON.parse(JSON.stringify(buildStartJobRunRequest(input)));

    // THEN both send the same request; each chooses its own idempotency token
    expect(request).toEqual(apiFields(stateParameters));
    expect(request.retryPolicy).toEqual({ maxAttempts: 3 });
    expect(request.configurationOverrides.monitoringConfiguration.s3MonitoringConfiguration).toEqual({
      logUri: 's3://log-bucket/emr-serverless-logs/', encryptionKeyArn: attrs('LogKey', 'Arn'),
    });
    expect(request.jobDriver.sparkSubmit.sparkSubmitParameters).toMatch(/^--py-files s3:\/\/code-bucket\//);
    expect(clientToken).toBe('States.UUID()');
    expect(token).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('a retry asked for on a release before 7.1 fails on the client as in the construct', () => {
    const { stack } = newStack();
    const code = JobCode.fromBucket({ bucketName: 'code-bucket', prefix: PREFIX, entryPoints: { features: 'entrypoints/features.py' } });
    const application = new EmrServerlessApplication(stack, 'App', { releaseLabel: 'emr-7.0.0' });
    const executionRole = new SparkJobExecutionRole(stack, 'Runtime', { application });
    const definition = new SparkJobDefinition({ name: 'features', code, entryPoint: 'features', retry: { maxAttempts: 2 } });
    expect(() => new EmrServerlessSparkJob(stack, 'J', { definition, application, executionRole }))
      .toThrow(/definition.retry.maxAttempts: 2 is not valid; job retries need EMR 7.1.0 or later \(release is emr-7.0.0\)/);
    expect(() => buildStartJobRunRequest({ ...BASE, releaseLabel: 'emr-7.0.0', retryPolicy: { maxAttempts: 2 } }))
      .toThrow(/retryPolicy.maxAttempts: 2 is not valid; job retries need EMR 7.1.0 or later \(release is emr-7.0.0\)/);
  });
});

describe('renderStartJobRun', () => {
  test('enforces StartJobRun\'s 102,400 characters of spark-submit parameters, naming the user\'s field', () => {
    const at = '--conf x=' + 'y'.repeat(102400 - '--conf x='.length);
    expect(renderStartJobRun({ ...BASE, sparkSubmitParameters: at }).jobDriver.sparkSubmit.sparkSubmitParameters).toHaveLength(102400);
    expect(() => renderStartJobRun({ ...BASE, sparkSubmitParameters: at + 'y' }, { fieldOf: f => `my.${f}` }))
      .toThrow(/my.sparkSubmitParameters: '102401 characters' is not valid; .*at most 102400 characters/);
  });

  test.each([
    ['1025 arguments', { entryPointArguments: new Array(1025).fill('a') }, /entryPointArguments: '1025 items' is not valid/],
    ['an empty argument', { entryPointArguments: ['ok', ''] }, /entryPointArguments\[1\]: '' is not valid/],
    ['a timeout over 7 days', { executionTimeoutMinutes: 10081 }, /executionTimeoutMinutes: 10081 is not valid; expected whole minutes from 1 to 10080/],
    ['11 attempts', { maxAttempts: 11 }, /retryPolicy.maxAttempts: 11 is not valid; expected a whole number from 1 to 10/],
    ['a per-hour budget on a batch run', { maxFailedAttemptsPerHour: 5 }, /retryPolicy.maxFailedAttemptsPerHour: 5 is not valid; applies to streaming job runs only/],
  ])('refuses %s', (_name, patch, message) => {
    expect(() => renderStartJobRun({ ...BASE, ...patch })).toThrow(message);
  });

  test('one attempt leaves the retry policy out; a streaming run keeps its per-hour budget', () => {
    expect(renderStartJobRun({ ...BASE, maxAttempts: 1, releaseLabel: 'emr-6.15.0' }).retryPolicy).toBeUndefined();
    expect(renderStartJobRun({ ...BASE, mode: 'STREAMING', maxFailedAttemptsPerHour: 5 }).retryPolicy)
      .toEqual({ maxAttempts: 1, maxFailedAttemptsPerHour: 5 });
  });

  test('values the caller marks unresolved are not checked', () => {
    const token = -1.8881545897087626e+289;
    const fields = renderStartJobRun({ ...BASE, executionTimeoutMinutes: token }, { isUnresolved: v => v === token });
    expect(fields.executionTimeoutMinutes).toBe(token);
    expect(() => renderStartJobRun({ ...BASE, executionTimeoutMinutes: token })).toThrow(/executionTimeoutMinutes/);
  });
});

describe('emrSparkSubmitParameters', () => {
  test('--py-files first, then the interpreter of another of the release\'s Pythons, then the tuned configuration', () => {
    const code = JobCode.fromBucket({ bucketName: 'code', prefix: 'p', entryPoints: { f: 'f.py' }, pyFiles: ['a.zip', 'b.zip'] });
    const job = new SparkJobDefinition({ name: 'f', code, entryPoint: 'f' });
    const config = job.tune({ target: DeploymentTarget.EMR_SERVERLESS, release: 'emr-7.12.0', executor: { cpu: 4, memoryGb: 16 } });
    expect(emrSparkSubmitParameters(job, config, { releaseLabel: 'emr-7.12.0' }))
      .toBe(`--py-files s3://code/p/a.zip,s3://code/p/b.zip ${config.toSparkSubmitParameters()}`);
    expect(emrSparkSubmitParameters(job, config, { releaseLabel: 'emr-7.12.0', pythonVersion: '3.11' }))
      .toMatch(/^--py-files \S+ --conf spark\.emr-serverless\.driverEnv\.PYSPARK_DRIVER_PYTHON=\/usr\/bin\/python3\.11 /);
  });
});
