import { CreateApplicationCommand, EMRServerlessClient, GetJobRunCommand, ListJobRunsCommand } from '@aws-sdk/client-emr-serverless';
import { FaultProxy } from './fault-proxy';
import { AwsCallError, FailureKind, RetryEvent } from '../../src/client/aws-errors';
import { defaultWaitMs, EmrServerlessJobRunner, JobRunnerOptions, JobRunStatus, RunOutcome } from '../../src/client/job-runner';
import { DeploymentTarget, SparkConfiguration } from '../../src/config';
import { MotoServer, startMotoServer, useFakeAwsCredentials } from '../support/moto-server';

const ROLE = 'arn:aws:iam::123456789012:role/spark-job';
const ENTRY = 's3://artifacts/spark_jobs/0.1.0/3f2a9c1e/entrypoints/features.py';
// Tiny delays: the tests check the loop's logic, not its pacing (benchmarks measure nothing here).
const FAST: JobRunnerOptions = {
  poll: { initialDelayMs: 10, maxDelayMs: 40 },
  retry: { maxRetries: 3, backoff: { initialDelayMs: 5, maxDelayMs: 20 } },
};

let moto: MotoServer;
let proxy: FaultProxy;
let direct: EMRServerlessClient;
let applicationId: string;

beforeAll(async () => {
  useFakeAwsCredentials();
  moto = await startMotoServer();
  proxy = await FaultProxy.start(moto.endpoint);
  direct = new EMRServerlessClient({ endpoint: moto.endpoint, region: 'us-east-1' });
});

afterAll(async () => {
  direct?.destroy();
  await proxy?.close();
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
  proxy.clear();
  const app = await direct.send(new CreateApplicationCommand({ name: 'spark', releaseLabel: 'emr-7.5.0', type: 'SPARK' }));
  applicationId = app.applicationId!;
});

function runner(extra: Partial<JobRunnerOptions> = {}): EmrServerlessJobRunner {
  return new EmrServerlessJobRunner({ ...FAST, endpoint: proxy.endpoint, region: 'us-east-1', ...extra });
}

/** Scripts the states GetJobRun reports, one per poll (moto ends every run SUCCESS at once). */
function scriptStates(states: Array<string | { state: string; attempt?: number; stateDetails?: string }>, extra: object = {}): void {
  proxy.rewrite('GetJobRun', (body, count) => {
    const step = states[Math.min(count, states.length) - 1];
    const s = typeof step === 'string' ? { state: step } : step;
    return { jobRun: { ...body.jobRun, ...extra, ...s } };
  });
}

describe('EmrServerlessJobRunner against moto', () => {
  test('start sends one StartJobRun with a clientToken and the rendered configuration', async () => {
    // GIVEN a tuned configuration
    const config = SparkConfiguration.tune({ target: DeploymentTarget.EMR_SERVERLESS, executor: { cpu: 4, memoryGb: 16 } });
    // WHEN
    const started = await runner().start({
      applicationId,
      executionRoleArn: ROLE,
      entryPoint: ENTRY,
      entryPointArguments: ['--date', '2026-11-01'],
      sparkSubmitParameters: config,
      sparkConf: { 'spark.sql.shuffle.partitions': '64' },
      executionTimeoutMinutes: 30,
      monitoring: { logUri: 's3://logs/emr/' },
      name: 'features',
    });
    // THEN the request on the wire carries the token and the configuration with the per-run override
    const sent = proxy.of('StartJobRun');
    expect(sent).toHaveLength(1);
    expect(sent[0].body.clientToken).toBe(started.clientToken);
    expect(started.clientToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(sent[0].body.jobDriver.sparkSubmit.sparkSubmitParameters)
      .toBe(config.withOverrides({ 'spark.sql.shuffle.partitions': '64' }).toSparkSubmitParameters());
    expect(sent[0].body.jobDriver.sparkSubmit.sparkSubmitParameters).toContain('--conf spark.sql.shuffle.partitions=64');
    // AND the server stored the run as sent
    const stored = await direct.send(new GetJobRunCommand({ applicationId, jobRunId: started.jobRunId }));
    expect(stored.jobRun?.jobDriver?.sparkSubmit?.entryPoint).toBe(ENTRY);
    expect(stored.jobRun?.jobDriver?.sparkSubmit?.entryPointArguments).toEqual(['--date', '2026-11-01']);
    expect(stored.jobRun?.executionTimeoutMinutes).toBe(30);
    expect(stored.jobRun?.configurationOverrides?.monitoringConfiguration?.s3MonitoringConfiguration?.logUri).toBe('s3://logs/emr/');
  });

  test('run waits to SUCCESS, reporting each state change once, with billed utilization and the dashboard', async () => {
    // GIVEN a run that goes through the usual states (scripted on GetJobRun)
    scriptStates(['SUBMITTED', 'PENDING', 'SCHEDULED', 'RUNNING', 'RUNNING', 'RUNNING', 'SUCCESS'],
      { billedResourceUtilization: { vCPUHour: 1.5, memoryGBHour: 6, storageGBHour: 30 } });
    proxy.inject({ operation: 'GetDashboardForJobRun', times: 1, status: 200, body: JSON.stringify({ url: 'https://dashboard.example/spark-ui' }) });
    const changes: Array<[string, string | undefined]> = [];
    // WHEN
    const result = await runner().run({ applicationId, executionRoleArn: ROLE, entryPoint: ENTRY },
      { onStateChange: (s: JobRunStatus, prev) => changes.push([s.state, prev]) });
    // THEN
    expect(changes).toEqual([['SUBMITTED', undefined], ['PENDING', 'SUBMITTED'], ['SCHEDULED', 'PENDING'],
      ['RUNNING', 'SCHEDULED'], ['SUCCESS', 'RUNNING']]);
    expect(result.outcome).toBe(RunOutcome.SUCCEEDED);
    expect(result.states).toEqual(['SUBMITTED', 'PENDING', 'SCHEDULED', 'RUNNING', 'SUCCESS']);
    expect(result.billedResourceUtilization).toEqual({ vCPUHour: 1.5, memoryGBHour: 6, storageGBHour: 30 });
    expect(result.dashboard).toEqual({ url: 'https://dashboard.example/spark-ui' });
    expect(proxy.of('GetJobRun')).toHaveLength(7);
    expect(result.clientToken).toBe(proxy.of('StartJobRun')[0].body.clientToken);
  });

  test('the dashboard is reported as unavailable when the endpoint does not implement it (moto)', async () => {
    const result = await runner().run({ applicationId, executionRoleArn: ROLE, entryPoint: ENTRY });
    expect(result.outcome).toBe(RunOutcome.SUCCEEDED);
    expect(result.dashboard.url).toBeUndefined();
    expect(result.dashboard.unavailableReason).toMatch(/GetDashboardForJobRun is not implemented by this endpoint \(HTTP 404\)/);
  });

  test('a run that ends FAILED returns outcome failed with stateDetails', async () => {
    // moto cannot fail a run: the proxy rewrites GetJobRun
    scriptStates(['RUNNING', { state: 'FAILED', stateDetails: 'Job failed, ExitCode: 1. Last few exceptions: ZeroDivisionError' }]);
    const result = await runner().run({ applicationId, executionRoleArn: ROLE, entryPoint: ENTRY });
    expect(result.outcome).toBe(RunOutcome.FAILED);
    expect(result.state).toBe('FAILED');
    expect(result.stateDetails).toMatch(/ZeroDivisionError/);
    expect(result.cancelRequested).toBe(false);
  });

  test('a throttled submit is retried with the same clientToken and starts one run', async () => {
    proxy.inject({ operation: 'StartJobRun', times: 2, status: 429, errorType: 'ThrottlingException', body: '{"message":"Rate exceeded"}' });
    const retries: RetryEvent[] = [];
    const started = await runner({ onRetry: e => retries.push(e) }).start({ applicationId, executionRoleArn: ROLE, entryPoint: ENTRY });
    const sent = proxy.of('StartJobRun');
    expect(sent.map(r => r.status)).toEqual([429, 429, 200]);
    expect(new Set(sent.map(r => r.body.clientToken))).toEqual(new Set([started.clientToken]));
    expect(retries.map(r => [r.operation, r.kind, r.attempt])).toEqual([
      ['StartJobRun', FailureKind.THROTTLING, 1], ['StartJobRun', FailureKind.THROTTLING, 2],
    ]);
    const runs = await direct.send(new ListJobRunsCommand({ applicationId }));
    expect(runs.jobRuns?.map(r => r.id)).toEqual([started.jobRunId]);
  });

  test('a 5xx whose request did reach the server is retried with the same clientToken', async () => {
    // The response is lost after the server started the run: only the token lets the real service
    // recognize the retry (moto does not deduplicate tokens, so it is checked on the wire).
    proxy.inject({ operation: 'StartJobRun', times: 1, status: 500, errorType: 'InternalServerException', afterForwarding: true });
    const started = await runner().start({ applicationId, executionRoleArn: ROLE, entryPoint: ENTRY, clientToken: 'ci-build-4711' });
    const sent = proxy.of('StartJobRun');
    expect(sent.map(r => r.status)).toEqual([500, 200]);
    expect(sent.map(r => r.body.clientToken)).toEqual(['ci-build-4711', 'ci-build-4711']);
    expect(started.clientToken).toBe('ci-build-4711');
  });

  test('transient GetJobRun failures during a wait are retried', async () => {
    scriptStates(['RUNNING', 'SUCCESS']);
    proxy.inject({ operation: 'GetJobRun', times: 2, status: 503, body: 'Service Unavailable' });
    const result = await runner().run({ applicationId, executionRoleArn: ROLE, entryPoint: ENTRY });
    expect(result.outcome).toBe(RunOutcome.SUCCEEDED);
    expect(proxy.of('GetJobRun').filter(r => r.injected)).toHaveLength(2);
  });

  test('fails after the bounded retries when the server keeps failing', async () => {
    proxy.inject({ operation: 'StartJobRun', times: 100, status: 503, body: 'down' });
    const err = await runner().start({ applicationId, executionRoleArn: ROLE, entryPoint: ENTRY }).catch(e => e);
    expect(err).toBeInstanceOf(AwsCallError);
    expect(err.kind).toBe(FailureKind.TRANSIENT);
    expect(err.attempts).toBe(4);
    expect(err.message).toMatch(/^StartJobRun failed after 4 attempts: .*HTTP 503/);
    expect(proxy.of('StartJobRun')).toHaveLength(4);
  });

  test('fails at once, naming the application, when the application does not exist', async () => {
    const err = await runner().start({ applicationId: 'nosuchapp00', executionRoleArn: ROLE, entryPoint: ENTRY }).catch(e => e);
    expect(err).toBeInstanceOf(AwsCallError);
    expect(err.kind).toBe(FailureKind.PERMANENT);
    expect(err.errorName).toBe('ResourceNotFoundException');
    expect(err.message).toMatch(/StartJobRun failed: ResourceNotFoundException: Application nosuchapp00 does not exist/);
    expect(proxy.of('StartJobRun')).toHaveLength(1);
  });

  test('fails at once when the role may not be passed (another account)', async () => {
    const err = await runner().start({ applicationId, executionRoleArn: 'arn:aws:iam::999999999999:role/x', entryPoint: ENTRY }).catch(e => e);
    expect(err.errorName).toBe('AccessDeniedException');
    expect(err.message).toMatch(/Cross-account pass role is not allowed/);
  });

  test('on its deadline the wait cancels the run and reports timed-out', async () => {
    // GIVEN a run that stays RUNNING until it is cancelled
    proxy.rewrite('GetJobRun', body => (proxy.of('CancelJobRun').length > 0 ? body : { jobRun: { ...body.jobRun, state: 'RUNNING' } }));
    // WHEN
    const result = await runner().run({ applicationId, executionRoleArn: ROLE, entryPoint: ENTRY },
      { timeoutMs: 150, cancelGracePeriodSeconds: 15 });
    // THEN
    expect(result.outcome).toBe(RunOutcome.TIMED_OUT);
    expect(result.cancelRequested).toBe(true);
    expect(result.state).toBe('CANCELLED');
    const cancel = proxy.of('CancelJobRun');
    expect(cancel).toHaveLength(1);
    expect(cancel[0].path).toContain('shutdownGracePeriodInSeconds=15');
    expect(result.states).toEqual(['RUNNING', 'CANCELLED']);
  });

  test('a cancel refused because the run just ended reports how the run ended', async () => {
    // GIVEN a run seen RUNNING until the deadline, which ends before the cancel arrives
    proxy.rewrite('GetJobRun', body => (proxy.of('CancelJobRun').length > 0 ? body : { jobRun: { ...body.jobRun, state: 'RUNNING' } }));
    proxy.inject({
      operation: 'CancelJobRun',
      times: 1,
      status: 400,
      errorType: 'ValidationException',
      body: '{"message":"Job run is already in a terminal state"}',
    });
    // WHEN
    const result = await runner().run({ applicationId, executionRoleArn: ROLE, entryPoint: ENTRY }, { timeoutMs: 100 });
    // THEN
    expect(result.outcome).toBe(RunOutcome.SUCCEEDED);
    expect(result.cancelRequested).toBe(false);
    expect(result.states).toEqual(['RUNNING', 'SUCCESS']);
  });

  test('a cancel refused while the run still runs is an error', async () => {
    proxy.rewrite('GetJobRun', body => ({ jobRun: { ...body.jobRun, state: 'RUNNING' } }));
    proxy.inject({ operation: 'CancelJobRun', times: 1, status: 400, errorType: 'AccessDeniedException', body: '{"message":"not allowed"}' });
    const err = await runner().run({ applicationId, executionRoleArn: ROLE, entryPoint: ENTRY }, { timeoutMs: 100 }).catch(e => e);
    expect(err).toBeInstanceOf(AwsCallError);
    expect(err.message).toBe('CancelJobRun failed: AccessDeniedException: not allowed (HTTP 400)');
  });

  test('an interrupt (abort signal) cancels the run and reports interrupted', async () => {
    proxy.rewrite('GetJobRun', body => (proxy.of('CancelJobRun').length > 0 ? body : { jobRun: { ...body.jobRun, state: 'RUNNING' } }));
    const controller = new AbortController();
    const result = await runner().run({ applicationId, executionRoleArn: ROLE, entryPoint: ENTRY }, {
      signal: controller.signal,
      onPoll: () => { if (proxy.of('GetJobRun').length >= 3) controller.abort(); },
    });
    expect(result.outcome).toBe(RunOutcome.INTERRUPTED);
    expect(result.cancelRequested).toBe(true);
    expect(result.state).toBe('CANCELLED');
    expect(proxy.of('CancelJobRun')).toHaveLength(1);
  });

  test('a retry-enabled run is followed across attempts: a FAILED attempt with attempts left is not final', async () => {
    scriptStates([
      { state: 'RUNNING', attempt: 1 }, { state: 'FAILED', attempt: 1 }, { state: 'PENDING', attempt: 2 },
      { state: 'RUNNING', attempt: 2 }, { state: 'SUCCESS', attempt: 2 },
    ], { retryPolicy: { maxAttempts: 2 } });
    const attempts: Array<[string, number | undefined]> = [];
    const result = await runner().run({ applicationId, executionRoleArn: ROLE, entryPoint: ENTRY, retryPolicy: { maxAttempts: 2 } },
      { onStateChange: s => attempts.push([s.state, s.attempt]) });
    expect(result.outcome).toBe(RunOutcome.SUCCEEDED);
    expect(attempts).toEqual([['RUNNING', 1], ['FAILED', 1], ['PENDING', 2], ['RUNNING', 2], ['SUCCESS', 2]]);
    expect(proxy.of('StartJobRun')[0].body.retryPolicy).toEqual({ maxAttempts: 2 });
  });

  test('a FAILED attempt whose next attempt never shows up ends as failed after the grace period', async () => {
    scriptStates([{ state: 'FAILED', attempt: 1 }], { retryPolicy: { maxAttempts: 3 } });
    const result = await runner().run({ applicationId, executionRoleArn: ROLE, entryPoint: ENTRY }, { nextAttemptGraceMs: 100 });
    expect(result.outcome).toBe(RunOutcome.FAILED);
    expect(proxy.of('GetJobRun').length).toBeGreaterThan(1);
  });

  test('a run that keeps retrying cannot keep the wait forever: the hard deadline ends it', async () => {
    // A streaming run is retried without an attempt limit (only a per-hour one); every poll shows a new
    // attempt, so the state keeps "changing" and the poll backoff keeps resetting.
    proxy.rewrite('GetJobRun', (body, count) => (proxy.of('CancelJobRun').length > 0
      ? body
      : { jobRun: { ...body.jobRun, state: count % 2 ? 'RUNNING' : 'PENDING', attempt: count, retryPolicy: { maxFailedAttemptsPerHour: 5 } } }));
    const result = await runner().run({ applicationId, executionRoleArn: ROLE, entryPoint: ENTRY }, { timeoutMs: 200 });
    expect(result.outcome).toBe(RunOutcome.TIMED_OUT);
    expect(proxy.of('CancelJobRun')).toHaveLength(1);
  });

  test('list returns the application\'s runs, filtered by state', async () => {
    const r = runner();
    const first = await r.start({ applicationId, executionRoleArn: ROLE, entryPoint: ENTRY, name: 'one' });
    const second = await r.start({ applicationId, executionRoleArn: ROLE, entryPoint: ENTRY, name: 'two' });
    await r.cancel(applicationId, second.jobRunId);
    const all = await r.list(applicationId);
    expect(all.map(x => [x.jobRunId, x.name, x.state]).sort()).toEqual([
      [first.jobRunId, 'one', 'SUCCESS'], [second.jobRunId, 'two', 'CANCELLED'],
    ].sort());
    const cancelled = await r.list(applicationId, { states: ['CANCELLED'] });
    expect(cancelled.map(x => x.jobRunId)).toEqual([second.jobRunId]);
    expect(proxy.of('ListJobRuns')[1].path).toContain('states=CANCELLED');
  });

  test('describe reads the run\'s status, logUri included', async () => {
    const r = runner();
    const started = await r.start({ applicationId, executionRoleArn: ROLE, entryPoint: ENTRY, monitoring: { logUri: 's3://logs/x/' } });
    const status = await r.describe(applicationId, started.jobRunId);
    expect(status).toMatchObject({ applicationId, jobRunId: started.jobRunId, state: 'SUCCESS', logUri: 's3://logs/x/' });
  });

  test('fails naming the field when an id is malformed', async () => {
    await expect(runner().describe('Not-An-Id', 'abc')).rejects.toThrow(/applicationId: 'Not-An-Id' is not valid/);
    await expect(runner().list(applicationId, { states: ['DONE'] })).rejects.toThrow(/states: 'DONE' is not valid; expected one of/);
    await expect(runner().wait(applicationId, 'abc', { timeoutMs: 0 })).rejects.toThrow(/timeoutMs: 0 is not valid/);
  });
});

describe('defaultWaitMs', () => {
  test('is the run\'s limit for each attempt plus an hour for queueing and start-up', () => {
    expect(defaultWaitMs({ executionTimeoutMinutes: 30 })).toBe((30 + 60) * 60_000);
    expect(defaultWaitMs({ executionTimeoutMinutes: 30, maxAttempts: 3 })).toBe((90 + 60) * 60_000);
    // The service default (720 minutes) when the run does not say.
    expect(defaultWaitMs({})).toBe((720 + 60) * 60_000);
  });
});
