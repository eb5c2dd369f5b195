import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ListJobRunsCommand } from '@aws-sdk/client-emr-serverless';
import { EmrFixture, ENTRY, freshApplication, ROLE, runCli, runningUntilCancelled, scriptStates, startEmrFixture, stopEmrFixture } from './emr-fixture';
import { ExitCode } from '../../src/cli/args';
import { DeploymentTarget, SparkConfiguration } from '../../src/config';

let f: EmrFixture;
let app: string;
const FAST = ['--poll-seconds', '0.01'];

beforeAll(async () => { f = await startEmrFixture(); });
afterAll(async () => stopEmrFixture(f));
beforeEach(async () => { app = await freshApplication(f); });

function submitFlags(...extra: string[]): string[] {
  return ['submit', ...f.aws, '--application-id', app, '--execution-role-arn', ROLE, '--entry-point', ENTRY, ...extra];
}

describe('spark-deploy submit', () => {
  test('starts a run with the flags, arguments after --, and a clientToken', async () => {
    const { code, stdout, stderr } = await runCli(submitFlags(
      '--spark-submit-parameters', '--conf spark.executor.cores=4', '--conf', 'spark.sql.shuffle.partitions=64',
      '--name', 'features', '--tag', 'team=data', '--client-token', 'ci-123', '--execution-timeout-minutes', '30',
      '--', '--date', '2026-11-01'));
    expect(stderr).toBe('');
    expect(code).toBe(ExitCode.OK);
    const sent = f.proxy.of('StartJobRun');
    expect(sent).toHaveLength(1);
    const jobRunId = /Started job run (\w+) on application (\w+) \(clientToken ci-123\)/.exec(stdout)!;
    expect(jobRunId[2]).toBe(app);
    expect(sent[0].body).toMatchObject({
      clientToken: 'ci-123',
      executionRoleArn: ROLE,
      name: 'features',
      tags: { team: 'data' },
      executionTimeoutMinutes: 30,
      jobDriver: {
        sparkSubmit: {
          entryPoint: ENTRY,
          entryPointArguments: ['--date', '2026-11-01'],
          sparkSubmitParameters: '--conf spark.executor.cores=4 --conf spark.sql.shuffle.partitions=64',
        },
      },
    });
    const runs = await f.direct.send(new ListJobRunsCommand({ applicationId: app }));
    expect(runs.jobRuns?.map(r => r.id)).toEqual([jobRunId[1]]);
  });

  test('--wait follows the run to SUCCESS, one line per state change when stdout is not a terminal', async () => {
    scriptStates(f.proxy, ['SUBMITTED', 'PENDING', 'RUNNING', 'RUNNING', 'SUCCESS']);
    const { code, stdout } = await runCli(submitFlags('--wait', ...FAST));
    expect(code).toBe(ExitCode.OK);
    const changes = stdout.split('\n').filter(l => /^\d{4}-\d\d-\d\dT/.test(l)).map(l => l.split(' ').slice(2).join(' '));
    expect(changes).toEqual(['SUBMITTED', 'PENDING (was SUBMITTED)', 'RUNNING (was PENDING)', 'SUCCESS (was RUNNING)']);
    expect(stdout).toMatch(/Job run \w+ SUCCESS after 0 s; billed 0 vCPU-h, 0 GB-h memory, 0 GB-h storage/);
    expect(stdout).toContain('Spark UI: unavailable (GetDashboardForJobRun is not implemented by this endpoint (HTTP 404))');
    expect(stdout).not.toContain('\r');
  });

  test('--wait on a terminal rewrites one live status line', async () => {
    scriptStates(f.proxy, ['PENDING', 'RUNNING', 'SUCCESS']);
    const { code, stdout } = await runCli(submitFlags('--wait', ...FAST), { isTty: true });
    expect(code).toBe(ExitCode.OK);
    const live = stdout.split('\r\x1b[2K').slice(1).map(s => s.split('\n')[0].replace(/^\d\d:\d\d /, '').replace(/^\w+ /, ''));
    // The one-second clock may repeat a state between polls.
    expect(live.filter((state, i) => state !== live[i - 1])).toEqual(['PENDING', 'RUNNING', 'SUCCESS']);
    expect(stdout).toMatch(/SUCCESS\nJob run \w+ SUCCESS/);
  });

  test('the live line\'s clock ticks between polls', async () => {
    scriptStates(f.proxy, ['RUNNING', 'SUCCESS']);
    // The first poll delay is drawn from [1.25 s, 2.5 s]: the clock must redraw at least once meanwhile.
    const { code, stdout } = await runCli(submitFlags('--wait', '--poll-seconds', '2.5'), { isTty: true });
    expect(code).toBe(ExitCode.OK);
    const running = stdout.split('\r\x1b[2K').filter(l => / RUNNING$/.test(l));
    expect(running.length).toBeGreaterThanOrEqual(2);
    expect(running[running.length - 1]).toMatch(/^00:0[1-3] /);
  });

  test('--wait --json prints only one JSON document', async () => {
    const { code, stdout } = await runCli(submitFlags('--wait', '--json', '--client-token', 'tok-1', ...FAST));
    expect(code).toBe(ExitCode.OK);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({
      applicationId: app,
      state: 'SUCCESS',
      outcome: 'succeeded',
      clientToken: 'tok-1',
      billedResourceUtilization: { vCPUHour: 0, memoryGBHour: 0, storageGBHour: 0 },
    });
    expect(result.dashboardUnavailableReason).toMatch(/HTTP 404/);
  });

  test('a run that ends FAILED exits 1 and says why', async () => {
    scriptStates(f.proxy, ['RUNNING', { state: 'FAILED', stateDetails: 'Job failed, ExitCode: 1. ValueError: bad input' }]);
    const { code, stderr } = await runCli(submitFlags('--wait', ...FAST));
    expect(code).toBe(ExitCode.JOB_FAILED);
    expect(stderr).toMatch(/job run \w+ ended FAILED: Job failed, ExitCode: 1. ValueError: bad input/);
  });

  test('a run cancelled by someone else exits 1', async () => {
    scriptStates(f.proxy, ['RUNNING', 'CANCELLED']);
    const { code, stderr } = await runCli(submitFlags('--wait', ...FAST));
    expect(code).toBe(ExitCode.JOB_FAILED);
    expect(stderr).toMatch(/job run \w+ was cancelled/);
  });

  test('--timeout-minutes cancels the run and exits 130', async () => {
    runningUntilCancelled(f.proxy);
    const { code, stderr } = await runCli(submitFlags('--wait', '--timeout-minutes', '0.003', ...FAST));
    expect(code).toBe(ExitCode.INTERRUPTED);
    expect(stderr).toMatch(/job run \w+ did not finish within 0.003 minutes; cancelled it \(now CANCELLED\)/);
    expect(f.proxy.of('CancelJobRun')).toHaveLength(1);
  });

  test('--keep-running leaves the run alone on timeout', async () => {
    runningUntilCancelled(f.proxy);
    const { code, stderr } = await runCli(submitFlags('--wait', '--timeout-minutes', '0.002', '--keep-running', ...FAST));
    expect(code).toBe(ExitCode.INTERRUPTED);
    expect(stderr).toMatch(/did not finish within 0.002 minutes; left it running/);
    expect(f.proxy.of('CancelJobRun')).toHaveLength(0);
  });

  test('throttling is retried with the same clientToken and reported on stderr', async () => {
    f.proxy.inject({ operation: 'StartJobRun', times: 2, status: 429, errorType: 'ThrottlingException', body: '{"message":"Rate exceeded"}' });
    const { code, stderr } = await runCli(submitFlags());
    expect(code).toBe(ExitCode.OK);
    expect(stderr).toMatch(/^StartJobRun: throttling \(ThrottlingException: Rate exceeded \(HTTP 429\)\); retry 1 in \d+\.\d s\n/);
    expect(stderr).toMatch(/retry 2 in/);
    const tokens = f.proxy.of('StartJobRun').map(r => r.body.clientToken);
    expect(tokens).toHaveLength(3);
    expect(new Set(tokens).size).toBe(1);
  });

  test('a transient 5xx after the server got the request is retried with the same clientToken', async () => {
    f.proxy.inject({ operation: 'StartJobRun', times: 1, status: 503, body: 'Service Unavailable', afterForwarding: true });
    const { code, stderr } = await runCli(submitFlags('--json'));
    expect(code).toBe(ExitCode.OK);
    expect(stderr).toBe('');
    const sent = f.proxy.of('StartJobRun');
    expect(sent.map(r => r.status)).toEqual([503, 200]);
    expect(sent[0].body.clientToken).toBe(sent[1].body.clientToken);
  });

  test('fails with exit 3 after AWS_MAX_ATTEMPTS attempts when the service keeps failing', async () => {
    f.proxy.inject({ operation: 'StartJobRun', times: 100, status: 500, errorType: 'InternalServerException', body: '{"message":"boom"}' });
    process.env.AWS_MAX_ATTEMPTS = '3';
    try {
      const { code, stderr } = await runCli(submitFlags());
      expect(code).toBe(ExitCode.COULD_NOT_SUBMIT);
      expect(stderr).toMatch(/spark-deploy submit: StartJobRun failed after 3 attempts: InternalServerException: boom \(HTTP 500\)/);
      expect(f.proxy.of('StartJobRun')).toHaveLength(3);
      process.env.AWS_MAX_ATTEMPTS = 'many';
      const bad = await runCli(submitFlags());
      expect(bad.code).toBe(ExitCode.USAGE);
      expect(bad.stderr).toMatch(/AWS_MAX_ATTEMPTS: 'many' is not valid; expected a whole number >= 1/);
    } finally {
      delete process.env.AWS_MAX_ATTEMPTS;
    }
  });

  test('fails with exit 3 and a hint for an unknown application', async () => {
    const { code, stderr } = await runCli(['submit', ...f.aws, '--application-id', 'nosuchapp00', '--execution-role-arn', ROLE, '--entry-point', ENTRY]);
    expect(code).toBe(ExitCode.COULD_NOT_SUBMIT);
    expect(stderr).toBe('spark-deploy submit: StartJobRun failed: ResourceNotFoundException: Application nosuchapp00 does not exist (HTTP 400)\n' +
      '  check --application-id / --region (or the outputs file): the service does not know it\n');
  });

  test('fails with exit 3 when the role is refused', async () => {
    const { code, stderr } = await runCli(['submit', ...f.aws, '--application-id', app, '--execution-role-arn',
      'arn:aws:iam::999999999999:role/other', '--entry-point', ENTRY]);
    expect(code).toBe(ExitCode.COULD_NOT_SUBMIT);
    expect(stderr).toMatch(/AccessDeniedException: Cross-account pass role is not allowed/);
    expect(stderr).toMatch(/iam:PassRole/);
  });

  test('fails with exit 2, sending nothing, on a malformed role ARN or a bad --conf', async () => {
    const bad = await runCli(['submit', ...f.aws, '--application-id', app, '--execution-role-arn', 'spark-job', '--entry-point', ENTRY]);
    expect(bad.code).toBe(ExitCode.USAGE);
    expect(bad.stderr).toMatch(/executionRoleArn: 'spark-job' is not valid; expected an IAM role ARN/);
    const conf = await runCli(submitFlags('--conf', 'spark.executor.memory=lots'));
    expect(conf.code).toBe(ExitCode.USAGE);
    expect(conf.stderr).toMatch(/overrides\['spark.executor.memory'\]: 'lots' is not valid; expected a JVM size/);
    const missing = await runCli(['submit', ...f.aws, '--application-id', app, '--execution-role-arn', ROLE]);
    expect(missing.code).toBe(ExitCode.USAGE);
    expect(missing.stderr).toMatch(/--entry-point: required/);
    expect(f.proxy.requests).toHaveLength(0);
  });

  describe('with --job from a CDK outputs file', () => {
    const config = SparkConfiguration.tune({ target: DeploymentTarget.EMR_SERVERLESS, executor: { cpu: 4, memoryGb: 16 } });
    function outputsFile(applicationId: string): string {
      const dir = mkdtempSync(join(tmpdir(), 'spark-deploy-outputs-'));
      const file = join(dir, 'outputs.json');
      writeFileSync(file, JSON.stringify({
        AnalyticsStack: {
          SparkDeployJobs: JSON.stringify({
            features: {
              applicationId,
              executionRoleArn: ROLE,
              entryPoint: ENTRY,
              entryPointArguments: ['--mode', 'full'],
              sparkSubmitParameters: `--py-files s3://artifacts/x/spark_jobs.zip ${config.toSparkSubmitParameters()}`,
              logUri: 's3://logs/emr/',
              executionTimeoutMinutes: 60,
              maxAttempts: 2,
              stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:features',
            },
          }),
          ApplicationId: applicationId,
        },
      }));
      return file;
    }

    test('takes application, role, entry point, arguments and parameters from the file', async () => {
      const file = outputsFile(app);
      const { code } = await runCli(['submit', ...f.aws, '--job', 'features', '--outputs-file', file, '--conf', 'spark.sql.shuffle.partitions=32']);
      expect(code).toBe(ExitCode.OK);
      const [request] = f.proxy.of('StartJobRun');
      const body = request.body;
      expect(request.path).toBe(`/applications/${app}/jobruns`);
      expect(body.executionRoleArn).toBe(ROLE);
      expect(body.name).toBe('features');
      expect(body.jobDriver.sparkSubmit).toEqual({
        entryPoint: ENTRY,
        entryPointArguments: ['--mode', 'full'],
        sparkSubmitParameters: `--py-files s3://artifacts/x/spark_jobs.zip ${config.toSparkSubmitParameters()} --conf spark.sql.shuffle.partitions=32`,
      });
      expect(body.executionTimeoutMinutes).toBe(60);
      expect(body.retryPolicy).toEqual({ maxAttempts: 2 });
      expect(body.configurationOverrides.monitoringConfiguration.s3MonitoringConfiguration.logUri).toBe('s3://logs/emr/');
    });

    test('arguments after -- replace the deployed ones; flags override the file', async () => {
      const file = outputsFile(app);
      await runCli(['submit', ...f.aws, '--job', 'features', '--outputs-file', file, '--max-attempts', '1', '--', '--mode', 'incremental']);
      const body = f.proxy.of('StartJobRun')[0].body;
      expect(body.jobDriver.sparkSubmit.entryPointArguments).toEqual(['--mode', 'incremental']);
      // --max-attempts 1 is "no retry": no policy is sent at all.
      expect(body.retryPolicy).toBeUndefined();
    });

    test('fails with exit 2 listing the known jobs for an unknown job', async () => {
      const { code, stderr } = await runCli(['submit', ...f.aws, '--job', 'featurs', '--outputs-file', outputsFile(app)]);
      expect(code).toBe(ExitCode.USAGE);
      expect(stderr).toMatch(/job: 'featurs' is not valid; not in .*outputs.json; known jobs: features \(AnalyticsStack\)/);
    });

    test('fails with exit 2 when the outputs file is missing', async () => {
      const { code, stderr } = await runCli(['submit', ...f.aws, '--job', 'features', '--outputs-file', '/nonexistent/outputs.json']);
      expect(code).toBe(ExitCode.USAGE);
      expect(stderr).toMatch(/outputs file: '\/nonexistent\/outputs.json' is not valid; no such file; write it with `cdk deploy --outputs-file <file>`/);
    });
  });

  test('--help prints the usage and exits 0', async () => {
    const { code, stdout } = await runCli(['submit', '--help']);
    expect(code).toBe(ExitCode.OK);
    expect(stdout).toMatch(/^Usage: spark-deploy submit/);
  });
});
