import { StartJobRunCommand } from '@aws-sdk/client-emr-serverless';
import { EmrFixture, ENTRY, freshApplication, ROLE, runCli, runningUntilCancelled, scriptStates, startEmrFixture, stopEmrFixture } from './emr-fixture';
import { ExitCode } from '../../src/cli/args';

let f: EmrFixture;
let app: string;
let run: string;

beforeAll(async () => { f = await startEmrFixture(); });
afterAll(async () => stopEmrFixture(f));
beforeEach(async () => {
  app = await freshApplication(f);
  const started = await f.direct.send(new StartJobRunCommand({
    applicationId: app,
    clientToken: 't',
    executionRoleArn: ROLE,
    name: 'features',
    jobDriver: { sparkSubmit: { entryPoint: ENTRY } },
    configurationOverrides: { monitoringConfiguration: { s3MonitoringConfiguration: { logUri: 's3://logs/emr/' } } },
  }));
  run = started.jobRunId!;
});

describe('spark-deploy status', () => {
  test('prints the state, details and where logs go', async () => {
    scriptStates(f.proxy, [{ state: 'RUNNING', stateDetails: 'Executors are starting' }]);
    const { code, stdout } = await runCli(['status', run, '--application-id', app, ...f.aws]);
    expect(code).toBe(ExitCode.OK);
    expect(stdout).toContain(`Job run:     ${run}\n`);
    expect(stdout).toContain('Name:        features\n');
    expect(stdout).toContain('State:       RUNNING\n');
    expect(stdout).toContain('Details:     Executors are starting\n');
    expect(stdout).toContain('Logs:        s3://logs/emr/\n');
    expect(stdout).toMatch(/Spark UI: {4}unavailable \(GetDashboardForJobRun is not implemented by this endpoint \(HTTP 404\)\)/);
  });

  test('--json prints the status as JSON', async () => {
    const { code, stdout } = await runCli(['status', '--job-run-id', run, '--application-id', app, '--json', ...f.aws]);
    expect(code).toBe(ExitCode.OK);
    expect(JSON.parse(stdout)).toMatchObject({ applicationId: app, jobRunId: run, state: 'SUCCESS', logUri: 's3://logs/emr/' });
  });

  test('fails with exit 3 for a run the service does not know', async () => {
    const { code, stderr } = await runCli(['status', 'nosuchrun0', '--application-id', app, ...f.aws]);
    expect(code).toBe(ExitCode.COULD_NOT_SUBMIT);
    expect(stderr).toMatch(/GetJobRun failed: ResourceNotFoundException: JobRun nosuchrun0 does not exist/);
  });

  test('fails with exit 2 without a job run id or application', async () => {
    const noRun = await runCli(['status', '--application-id', app, ...f.aws]);
    expect(noRun.code).toBe(ExitCode.USAGE);
    expect(noRun.stderr).toMatch(/status: a job run id is required/);
    const noApp = await runCli(['status', run, ...f.aws]);
    expect(noApp.code).toBe(ExitCode.USAGE);
    expect(noApp.stderr).toMatch(/--application-id: required \(or --job NAME with an outputs file\)/);
    const two = await runCli(['status', run, 'other', '--application-id', app]);
    expect(two.code).toBe(ExitCode.USAGE);
    expect(two.stderr).toMatch(/expected one job run id/);
  });
});

describe('spark-deploy wait', () => {
  test('exits 0 when the run succeeds', async () => {
    scriptStates(f.proxy, ['RUNNING', 'SUCCESS']);
    const { code, stdout } = await runCli(['wait', run, '--application-id', app, '--poll-seconds', '0.01', ...f.aws]);
    expect(code).toBe(ExitCode.OK);
    expect(stdout).toMatch(new RegExp(`Job run ${run} SUCCESS`));
  });

  test('exits 1 when the run fails', async () => {
    scriptStates(f.proxy, [{ state: 'FAILED', stateDetails: 'OutOfMemoryError' }]);
    const { code, stderr } = await runCli(['wait', run, '--application-id', app, '--poll-seconds', '0.01', ...f.aws]);
    expect(code).toBe(ExitCode.JOB_FAILED);
    expect(stderr).toContain(`job run ${run} ended FAILED: OutOfMemoryError`);
  });

  test('on timeout cancels the run and exits 130; --json reports it', async () => {
    runningUntilCancelled(f.proxy);
    const { code, stdout } = await runCli(['wait', run, '--application-id', app, '--timeout-minutes', '0.002',
      '--poll-seconds', '0.01', '--json', ...f.aws]);
    expect(code).toBe(ExitCode.INTERRUPTED);
    expect(JSON.parse(stdout)).toMatchObject({ outcome: 'timed-out', cancelRequested: true, state: 'CANCELLED' });
  });

  test('fails with exit 2 on a bad --timeout-minutes', async () => {
    const { code, stderr } = await runCli(['wait', run, '--application-id', app, '--timeout-minutes', '-1']);
    expect(code).toBe(ExitCode.USAGE);
    expect(stderr).toMatch(/--timeout-minutes: '-1' must be > 0/);
  });
});

describe('spark-deploy cancel', () => {
  test('cancels the run with the grace period and prints its new state', async () => {
    const { code, stdout } = await runCli(['cancel', run, '--application-id', app, '--grace-period-seconds', '30', ...f.aws]);
    expect(code).toBe(ExitCode.OK);
    expect(stdout).toBe(`Asked to cancel job run ${run}; it is now CANCELLED\n`);
    expect(f.proxy.of('CancelJobRun')[0].path).toBe(`/applications/${app}/jobruns/${run}?shutdownGracePeriodInSeconds=30`);
  });

  test('fails with exit 3 for an unknown application', async () => {
    const { code, stderr } = await runCli(['cancel', run, '--application-id', 'nosuchapp00', ...f.aws]);
    expect(code).toBe(ExitCode.COULD_NOT_SUBMIT);
    expect(stderr).toMatch(/CancelJobRun failed: ResourceNotFoundException: Application nosuchapp00 does not exist/);
  });

  test('fails with exit 2 on a fractional grace period', async () => {
    const { code, stderr } = await runCli(['cancel', run, '--application-id', app, '--grace-period-seconds', '1.5']);
    expect(code).toBe(ExitCode.USAGE);
    expect(stderr).toMatch(/--grace-period-seconds: '1.5' is not valid; expected whole seconds >= 0/);
  });
});
