import { JobCode } from '../../src/artifacts';
import { buildStartJobRunRequest, JobRunInput, jobRunInputFromDefinition } from '../../src/client/job-run-request';
import { DeploymentTarget, SparkConfiguration } from '../../src/config';
import { SparkJobDefinition } from '../../src/job';

const BASE: JobRunInput = {
  applicationId: '00fkqs2qhu1a2b3c',
  executionRoleArn: 'arn:aws:iam::123456789012:role/spark-job',
  entryPoint: 's3://artifacts/x/entrypoints/features.py',
};

describe('buildStartJobRunRequest', () => {
  test('a minimal input gives a minimal request with a fresh clientToken each time', () => {
    const a = buildStartJobRunRequest(BASE);
    const b = buildStartJobRunRequest(BASE);
    expect(a).toEqual({
      applicationId: BASE.applicationId,
      clientToken: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      executionRoleArn: BASE.executionRoleArn,
      jobDriver: { sparkSubmit: { entryPoint: BASE.entryPoint } },
    });
    expect(a.clientToken).not.toBe(b.clientToken);
  });

  test('renders a SparkConfiguration with the per-run overrides merged (and re-validated) by the model', () => {
    const config = SparkConfiguration.tune({ target: DeploymentTarget.EMR_SERVERLESS, executor: { cpu: 4, memoryGb: 16 } });
    const request = buildStartJobRunRequest({ ...BASE, sparkSubmitParameters: config, sparkConf: { 'spark.sql.shuffle.partitions': '64' } });
    const expected = config.withOverrides({ 'spark.sql.shuffle.partitions': '64' }).toSparkSubmitParameters();
    expect(request.jobDriver?.sparkSubmit?.sparkSubmitParameters).toBe(expected);
    expect(expected).not.toBe(config.toSparkSubmitParameters());
  });

  test('appends per-run overrides to a ready string as quoted --conf words, Hadoop keys normalized', () => {
    const request = buildStartJobRunRequest({
      ...BASE,
      sparkSubmitParameters: '--conf spark.executor.cores=4',
      sparkConf: { 'spark.driver.extraJavaOptions': '-Dx=1 -Dy=2', 'fs.s3a.connection.maximum': '200' },
    });
    expect(request.jobDriver?.sparkSubmit?.sparkSubmitParameters).toBe(
      "--conf spark.executor.cores=4 --conf 'spark.driver.extraJavaOptions=-Dx=1 -Dy=2' --conf spark.hadoop.fs.s3a.connection.maximum=200");
  });

  test('carries arguments, monitoring, timeout, retry policy, tags, mode, name and application configuration', () => {
    const request = buildStartJobRunRequest({
      ...BASE,
      entryPointArguments: ['--date', '2026-11-01'],
      name: 'features',
      executionTimeoutMinutes: 60,
      retryPolicy: { maxAttempts: 3 },
      tags: { team: 'data' },
      mode: 'BATCH',
      clientToken: 'ci-1',
      monitoring: { logUri: 's3://logs/emr/', cloudWatchLogGroup: '/spark/features', managedPersistence: false },
      applicationConfiguration: [{ classification: 'spark-defaults', properties: { 'spark.ui.enabled': 'true' } }],
    });
    expect(request).toMatchObject({
      clientToken: 'ci-1',
      name: 'features',
      executionTimeoutMinutes: 60,
      retryPolicy: { maxAttempts: 3 },
      tags: { team: 'data' },
      mode: 'BATCH',
      jobDriver: { sparkSubmit: { entryPointArguments: ['--date', '2026-11-01'] } },
      configurationOverrides: {
        applicationConfiguration: [{ classification: 'spark-defaults', properties: { 'spark.ui.enabled': 'true' } }],
        monitoringConfiguration: {
          s3MonitoringConfiguration: { logUri: 's3://logs/emr/' },
          cloudWatchLoggingConfiguration: { enabled: true, logGroupName: '/spark/features' },
          managedPersistenceMonitoringConfiguration: { enabled: false },
        },
      },
    });
  });

  test.each([
    [{ applicationId: 'App_1' }, /applicationId: 'App_1' is not valid; expected an EMR Serverless application id/],
    [{ executionRoleArn: 'arn:aws:iam::123:role/x' }, /executionRoleArn: 'arn:aws:iam::123:role\/x' is not valid; expected an IAM role ARN/],
    [{ entryPoint: ' ' }, /entryPoint: ' ' is not valid/],
    [{ executionTimeoutMinutes: 0 }, /executionTimeoutMinutes: 0 is not valid; expected whole minutes from 1 to 10080/],
    [{ executionTimeoutMinutes: 10081 }, /executionTimeoutMinutes: 10081 is not valid/],
    [{ retryPolicy: { maxAttempts: 11 } }, /retryPolicy.maxAttempts: 11 is not valid; expected a whole number from 1 to 10/],
    [{ retryPolicy: { maxFailedAttemptsPerHour: 0 } }, /retryPolicy.maxFailedAttemptsPerHour: 0 is not valid/],
    [{ clientToken: 'x'.repeat(65) }, /clientToken: 'x+' is not valid; expected 1-64 printable ASCII characters/],
    [{ monitoring: { logUri: 'logs/emr' } }, /monitoring.logUri: 'logs\/emr' is not valid; expected an S3 URI/],
    [{ sparkConf: { 'spark.executor.cores': 'four' } }, /overrides\['spark.executor.cores'\]: 'four' is not valid; expected a whole number >= 1/],
    [{ sparkConf: { 'fs.s3a.secret.key': 'abc' } }, /overrides: 'fs.s3a.secret.key' is not valid; static credentials are never rendered/],
    [{ entryPointArguments: [1 as unknown as string] }, /entryPointArguments\[0\]: 1 is not valid; arguments are strings/],
  ])('fails naming the field: %j', (patch, message) => {
    expect(() => buildStartJobRunRequest({ ...BASE, ...patch } as JobRunInput)).toThrow(message);
  });
});

describe('jobRunInputFromDefinition', () => {
  test('uses the job\'s s3:// entry point, py-files, arguments, timeout, retry and tuned configuration', () => {
    // GIVEN a versioned job
    const job = new SparkJobDefinition({
      name: 'features',
      code: JobCode.fromBucket({
        bucketName: 'artifacts',
        prefix: 'spark_jobs/0.1.0/3f2a9c1e',
        entryPoints: { features: 'entrypoints/features.py' },
        pyFiles: ['spark_jobs.zip'],
      }),
      entryPoint: 'features',
      arguments: ['--date', '2026-11-01'],
      workload: { inputSizeGb: 200 },
      sparkConf: { 'spark.sql.shuffle.partitions': '400' },
      timeoutMinutes: 90,
      retry: { maxAttempts: 2 },
    });
    const shape = { release: 'emr-7.12.0', executor: { cpu: 4, memoryGb: 16 } };
    // WHEN
    const input = jobRunInputFromDefinition(job, { applicationId: BASE.applicationId, executionRoleArn: BASE.executionRoleArn, shape, logUri: 's3://logs/' });
    const request = buildStartJobRunRequest(input);
    // THEN
    // The construct's rendering: --py-files, then the tuned --conf pairs.
    const expectedParameters = '--py-files s3://artifacts/spark_jobs/0.1.0/3f2a9c1e/spark_jobs.zip '
      + job.tune({ ...shape, target: DeploymentTarget.EMR_SERVERLESS }).toSparkSubmitParameters();
    expect(request).toMatchObject({
      name: 'features',
      executionTimeoutMinutes: 90,
      retryPolicy: { maxAttempts: 2 },
      jobDriver: {
        sparkSubmit: {
          entryPoint: 's3://artifacts/spark_jobs/0.1.0/3f2a9c1e/entrypoints/features.py',
          entryPointArguments: ['--date', '2026-11-01'],
          sparkSubmitParameters: expectedParameters,
        },
      },
      configurationOverrides: { monitoringConfiguration: { s3MonitoringConfiguration: { logUri: 's3://logs/' } } },
    });
    expect(request.jobDriver?.sparkSubmit?.sparkSubmitParameters).toContain('--conf spark.sql.shuffle.partitions=400');
  });

  test('fails for code that lives only inside an image', () => {
    const job = new SparkJobDefinition({
      name: 'features', code: JobCode.fromImage({ root: '/opt/jobs', entryPoints: { features: 'features.py' } }), entryPoint: 'features',
    });
    expect(() => jobRunInputFromDefinition(job, {
      applicationId: BASE.applicationId,
      executionRoleArn: BASE.executionRoleArn,
      shape: { executor: { cpu: 4, memoryGb: 16 } },
    })).toThrow(/scheme: 's3' is not valid; code inside an image is only reachable as local:\/\//);
  });
});
