import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { findDeployedJob, readDeployedJobs } from '../../src/client/deployed-jobs';

const JOB = {
  applicationId: '00fkqs2qhu1a2b3c',
  executionRoleArn: 'arn:aws:iam::123456789012:role/spark-job',
  entryPoint: 's3://artifacts/x/entrypoints/features.py',
  entryPointArguments: ['--date', 'today'],
  sparkSubmitParameters: '--conf spark.executor.cores=4',
  logUri: 's3://logs/emr/',
};

function write(content: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'spark-deploy-outputs-')), 'outputs.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('readDeployedJobs', () => {
  test('reads the SparkDeployJobs output of every stack, hashed output ids included', () => {
    const file = write({
      Dev: { SparkDeployJobs: JSON.stringify({ features: JOB }), BucketName: 'b' },
      Prod: { SparkDeployJobsA1B2C3D4: JSON.stringify({ features: { ...JOB, applicationId: 'prodapp' }, daily: JOB }) },
      Other: { Unrelated: 'x' },
    });
    const jobs = readDeployedJobs(file);
    expect(jobs.map(j => [j.stackName, j.name, j.applicationId])).toEqual([
      ['Dev', 'features', JOB.applicationId], ['Prod', 'features', 'prodapp'], ['Prod', 'daily', JOB.applicationId],
    ]);
    expect(jobs[0]).toEqual({ name: 'features', stackName: 'Dev', ...JOB, executionTimeoutMinutes: undefined, maxAttempts: undefined });
  });

  test('fails clearly on a missing file, bad JSON, or a malformed job', () => {
    expect(() => readDeployedJobs('/nonexistent/outputs.json')).toThrow(/outputs file: '\/nonexistent\/outputs.json' is not valid; no such file/);
    expect(() => readDeployedJobs(write('{not json'))).toThrow(/outputs file: '.*' is not valid; expected the JSON written by `cdk deploy --outputs-file`/);
    expect(() => readDeployedJobs(write({ S: { SparkDeployJobs: '{oops' } }))).toThrow(/S.SparkDeployJobs: '\{oops' is not valid; expected a JSON string/);
    expect(() => readDeployedJobs(write({ S: { SparkDeployJobs: JSON.stringify({ f: { ...JOB, applicationId: 7 } }) } })))
      .toThrow(/S.SparkDeployJobs.f.applicationId: 7 is not valid; expected a non-empty string/);
    expect(() => readDeployedJobs(write({ S: { SparkDeployJobs: JSON.stringify({ f: { ...JOB, entryPointArguments: 'x' } }) } })))
      .toThrow(/S.SparkDeployJobs.f.entryPointArguments: 'x' is not valid; expected a list of strings/);
  });
});

describe('findDeployedJob', () => {
  const file = () => write({
    Dev: { SparkDeployJobs: JSON.stringify({ features: JOB }) },
    Prod: { SparkDeployJobs: JSON.stringify({ features: { ...JOB, applicationId: 'prodapp' }, daily: JOB }) },
  });

  test('finds a unique name, or Stack/name', () => {
    expect(findDeployedJob(file(), 'daily').stackName).toBe('Prod');
    expect(findDeployedJob(file(), 'Prod/features').applicationId).toBe('prodapp');
  });

  test('fails listing the known jobs for an unknown name', () => {
    expect(() => findDeployedJob(file(), 'hourly')).toThrow(/job: 'hourly' is not valid; not in .*; known jobs: features \(Dev\), features \(Prod\), daily \(Prod\)/);
  });

  test('fails asking for Stack/name when two stacks deploy the name', () => {
    expect(() => findDeployedJob(file(), 'features')).toThrow(/deployed by several stacks \(Dev, Prod\); write StackName\/features/);
  });

  test('fails when no stack has the output', () => {
    expect(() => findDeployedJob(write({ S: { X: 'y' } }), 'features')).toThrow(/no stack in it has a SparkDeployJobs output/);
  });
});
