import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { gzipSync } from 'zlib';
import { StartJobRunCommand } from '@aws-sdk/client-emr-serverless';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { EmrFixture, freshApplication, ROLE, ENTRY, runCli, startEmrFixture, stopEmrFixture } from './emr-fixture';
import { eventLogPrefix } from '../../src/client/job-run-evidence';
import { readRunEvidence } from '../../src/client/run-evidence-reader';
import { DeploymentTarget, SparkConfiguration } from '../../src/config';
import { totalTaskTimeMs } from '../../src/config/run-informed/evidence';
import { runWorkload, WorkloadRun } from '../support/run-informed-workload';

/** Real event logs of both Spark lines (4.0: zstd, rolling; 3.5: one plain file) and the run's own numbers. */
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tune-from-run-'));
const runs: Record<string, { dir: string; run: WorkloadRun; metrics: string }> = {};
let emr: EmrFixture | undefined;

beforeAll(async () => {
  for (const line of ['4.0', '3.5']) {
    const dir = path.join(work, `log-${line}`);
    const metrics = path.join(work, `metrics-${line}`, '_metrics.json');
    const run = await runWorkload(line, 'tiny', dir, { 'rows': '20000', 'spark.sql.shuffle.partitions': '8', metrics });
    runs[line] = { dir, run, metrics };
  }
  emr = await startEmrFixture();
}, 600_000);
afterAll(async () => {
  await stopEmrFixture(emr);
  fs.rmSync(work, { recursive: true, force: true });
});

/** The one plain event log file of the 3.5 run. */
function plainLog(): string {
  const dir = runs['3.5'].dir;
  const files = fs.readdirSync(dir).filter(f => !f.startsWith('.'));
  expect(files).toHaveLength(1);
  return path.join(dir, files[0]);
}

function variant(name: string, text: string | Buffer): string {
  const file = path.join(work, 'variants', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

describe('evidence from real event logs and _metrics.json', () => {
  test.each(['4.0', '3.5'])('Spark %s: task counts and task time equal Spark\'s own (status store) numbers', async line => {
    const { dir, run, metrics } = runs[line];
    const fromLog = await readRunEvidence(dir);
    expect(fromLog.sparkVersion.startsWith(line)).toBe(true);
    expect(fromLog.stages.reduce((s, x) => s + x.numTasks, 0)).toBe(run.num_tasks);
    expect(totalTaskTimeMs(fromLog)).toBe(run.executor_run_time_ms);
    expect(fromLog.properties['spark.sql.shuffle.partitions']).toBe('8');
    expect(fromLog.peakConcurrentTasks).toBeGreaterThanOrEqual(1);
    expect(fromLog.peakConcurrentTasks).toBeLessThanOrEqual(2); // local[2]
    // AND our _metrics.json of the same run gives the same stage numbers
    const fromMetrics = await readRunEvidence(metrics);
    expect(fromMetrics.stages.map(s => [s.stageId, s.numTasks, s.taskTimeMs, s.shuffleReadBytes, s.shuffleWriteBytes]))
      .toEqual(fromLog.stages.map(s => [s.stageId, s.numTasks, s.taskTimeMs, s.shuffleReadBytes, s.shuffleWriteBytes]));
  });

  test('a gzipped copy reads the same as the plain log', async () => {
    const plain = await readRunEvidence(plainLog());
    const gz = await readRunEvidence(variant('app.gz', gzipSync(fs.readFileSync(plainLog()))));
    expect(gz.stages).toEqual(plain.stages);
  });
});

describe('bad sources: one clear line, exit code 2', () => {
  const tune = (source: string) => runCli(['tune', '--from-run', source, '--target', 'kubernetes']);
  const lines = () => fs.readFileSync(plainLog(), 'utf8').trimEnd().split('\n');

  test.each([
    ['a log cut off mid-line', () => variant('cut', lines().join('\n').slice(0, Math.floor(lines().join('\n').length / 2))), /the event log is truncated or corrupt \(its last line is cut off\)/],
    ['a log without its application end', () => variant('no-end', lines().slice(0, -1).join('\n') + '\n'), /no SparkListenerApplicationEnd: the run is still running or its log was cut off/],
    ['a log of Spark 2.4', () => variant('old', lines().map((l, i) => (i === 0 ? l.replace(/"Spark Version":"[^"]+"/, '"Spark Version":"2.4.8"') : l)).join('\n')), /of Spark 2\.4\.8; supported are Spark 3\.x and 4\.x/],
    ['a run still running (.inprogress)', () => variant('app-1.inprogress', fs.readFileSync(plainLog())), /still running/],
    ['a missing path', () => path.join(work, 'nope'), /no such file or directory/],
  ])('%s', async (_name, make, message) => {
    const { code, stdout, stderr } = await tune(make());
    expect({ code, stdout }).toEqual({ code: 2, stdout: '' });
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('from an EMR Serverless job run (local EMR Serverless and S3 API server, real SDK)', () => {
  async function jobRunWithLog(state: string): Promise<{ applicationId: string; jobRunId: string }> {
    const applicationId = await freshApplication(emr!);
    const started = await emr!.direct.send(new StartJobRunCommand({
      applicationId,
      executionRoleArn: ROLE,
      jobDriver: { sparkSubmit: { entryPoint: ENTRY } },
      configurationOverrides: { monitoringConfiguration: { s3MonitoringConfiguration: { logUri: 's3://run-logs/emr/' } } },
    }));
    const s3 = new S3Client({ endpoint: emr!.moto.endpoint, region: 'us-east-1', forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'run-logs' }));
    const prefix = eventLogPrefix('s3://run-logs/emr/', applicationId, started.jobRunId!).replace('s3://run-logs/', '');
    await s3.send(new PutObjectCommand({ Bucket: 'run-logs', Key: `${prefix}${path.basename(plainLog())}`, Body: fs.readFileSync(plainLog()) }));
    s3.destroy();
    // moto bills nothing: GetJobRun reports the utilization a real run would (the SDK parses the rewritten response).
    emr!.proxy.rewrite('GetJobRun', body => ({
      jobRun: { ...body.jobRun, state, billedResourceUtilization: { vCPUHour: 2.5, memoryGBHour: 10, storageGBHour: 40 } },
    }));
    return { applicationId, jobRunId: started.jobRunId! };
  }
  const cli = (applicationId: string, jobRunId: string, ...more: string[]) => runCli(['tune', '--application-id', applicationId, '--job-run-id', jobRunId,
    '--target', 'emr-serverless', '--worker-cpu', '4', '--worker-memory-gb', '16', '--format', 'json', ...emr!.aws, '--s3-endpoint-url', emr!.moto.endpoint, ...more]);

  test('the billed utilization read through GetJobRun is priced by the table, as by hand', async () => {
    const { applicationId, jobRunId } = await jobRunWithLog('SUCCESS');
    const { code, stdout, stderr } = await cli(applicationId, jobRunId);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const out = JSON.parse(stdout);
    // 2.5 vCPU-h × $0.052624 + 10 GB-h × $0.0057785 + 40 GB-h × $0.000111 = 0.13156 + 0.057785 + 0.00444
    expect(out.cost.basis).toBe('GetJobRun billedResourceUtilization');
    expect(out.cost.run.usd).toBeCloseTo(0.193785, 9);
    expect(out.cost.prices).toMatchObject({ vcpuHour: 0.052624, confirmed: false, asOf: '2026-12-01' });
    expect(out.evidence.applicationId).toMatch(/^local-/);
    expect(out.source).toBe(`${eventLogPrefix('s3://run-logs/emr/', applicationId, jobRunId)}${path.basename(plainLog())}`);
    // AND prices given as flags win: 2.5 × 0.1 + 10 × 0.01 + 40 × 0 = 0.35
    const flagged = JSON.parse((await cli(applicationId, jobRunId, '--price-vcpu-hour', '0.1', '--price-gb-hour', '0.01', '--price-storage-gb-hour', '0')).stdout);
    expect(flagged.cost.run.usd).toBeCloseTo(0.35, 9);
  });

  test('a run still RUNNING and an unknown run id: exit code 2, one line', async () => {
    const { applicationId, jobRunId } = await jobRunWithLog('RUNNING');
    const running = await cli(applicationId, jobRunId);
    expect(running.code).toBe(2);
    expect(running.stderr).toMatch(/^spark-deploy tune: job run '\w+' is RUNNING: tune from a run that has ended/);
    emr!.proxy.clear();
    const unknown = await cli(applicationId, '00000000000000000');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/job run '00000000000000000' of application '\w+': not found/);
    expect(unknown.stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('SparkConfiguration.tune({ fromRecommendation })', () => {
  test('applies the shape, counts and properties below the user\'s overrides, each with the run\'s reason', () => {
    const config = SparkConfiguration.tune({
      target: DeploymentTarget.EMR_SERVERLESS,
      executor: { cpu: 4, memoryGb: 16 },
      overrides: { 'spark.sql.shuffle.partitions': '64' },
      fromRecommendation: {
        source: 's3://logs/run-1',
        executor: { cpu: 4, memoryGb: 22 },
        properties: { 'spark.sql.shuffle.partitions': '400', 'spark.sql.adaptive.advisoryPartitionSizeInBytes': '32m', 'spark.dynamicAllocation.maxExecutors': '12' },
        reasons: { 'spark.sql.adaptive.advisoryPartitionSizeInBytes': 'stage 4 spilled', 'spark.executor.memory': 'the run spilled', 'spark.sql.shuffle.partitions': 'x' },
      },
    });
    const plain = SparkConfiguration.tune({ target: DeploymentTarget.EMR_SERVERLESS, executor: { cpu: 4, memoryGb: 22 } });
    expect(config.get('spark.executor.memory')).toBe(plain.get('spark.executor.memory'));
    expect(config.get('spark.sql.shuffle.partitions')).toBe('64');
    expect(config.reasons()['spark.sql.shuffle.partitions']).toBe('user override');
    expect(config.get('spark.sql.adaptive.advisoryPartitionSizeInBytes')).toBe('32m');
    expect(config.reasons()['spark.sql.adaptive.advisoryPartitionSizeInBytes']).toBe('from the run s3://logs/run-1: stage 4 spilled');
    expect(config.reasons()['spark.executor.memory']).toBe('from the run s3://logs/run-1: the run spilled');
    expect(config.maxExecutors).toBe(12);
  });
});
