import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LocalS3Server } from './support/local-s3';
import { DeploymentTarget, SparkConfiguration, StorageKind } from '../../src/config';
import { localSparkEnvironment, LocalSparkEnvironment, s3aJars } from '../../src/local/local-environment';
import { runLocal, startLocalRun } from '../../src/local/local-runner';
import { LocalSparkDefaults } from '../../src/local/local-spark-defaults';

// S3A end to end on both Spark lines: a moto S3 server on 127.0.0.1, the real S3A connector
// (jars from scripts/fetch-s3a-jars.sh, never downloaded here), configured only by the model's
// renderer for an S3-compatible endpoint; credentials only in the job's environment.
// SPARK_DEPLOY_SKIP_S3A=1 skips this file (e.g. a quick local jest run).

const JOB = path.join(__dirname, 'support', 's3a_job.py');
const RUN_TIMEOUT = 300_000;
const describeS3a = process.env.SPARK_DEPLOY_SKIP_S3A === '1' ? describe.skip : describe;

describeS3a.each(['3.5', '4.0'])('S3A against a local S3 server, Spark %s', line => {
  let env: LocalSparkEnvironment;
  let server: LocalS3Server;
  let work: string;
  let input: { rows: number; sum: number; distinct: number };

  beforeAll(async () => {
    env = localSparkEnvironment(line);
    s3aJars(env); // fails now, naming the fetch command, when the jars are missing
    server = await LocalS3Server.start(env.venvDir);
    work = fs.mkdtempSync(path.join(os.tmpdir(), `s3a-${line}-`));
    execFileSync(env.python, ['-m', 'spark_jobs.sample_data', '--rows', '4000', '--output', path.join(work, 'tx'), '--seed', '21', '--rows-per-file', '1500']);
    server.tool('mkbucket', 'lake');
    server.tool('upload-dir', path.join(work, 'tx'), 'lake', 'raw/tx');
    input = server.tool('read-parquet', 'lake', 'raw/tx', 'amount', 'customer_id');
  }, RUN_TIMEOUT);

  afterAll(async () => {
    await server?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  /** The model's rendering for the local server, made local (master, driver heap, local jars). */
  function defaults(): LocalSparkDefaults {
    const config = SparkConfiguration.tune({
      target: DeploymentTarget.KUBERNETES,
      release: env.sparkVersion,
      executor: { cpu: 2, memoryGb: 8 },
      storage: { kind: StorageKind.S3_COMPATIBLE, endpoint: server.endpoint },
    });
    return LocalSparkDefaults.fromConfiguration(config, { jars: s3aJars(env), master: 'local[2]' });
  }

  function result(stdout: string): any {
    const line_ = stdout.split('\n').find(l => l.startsWith('RESULT '));
    if (!line_) throw new Error(`no RESULT line in the job output:\n${stdout}`);
    return JSON.parse(line_.slice('RESULT '.length));
  }

  test.each([['s3a', 'totals'], ['s3', 'totals-s3']])('reads %s:// input and writes its output through the magic committer', async (scheme, name) => {
    // WHEN the job reads and writes on the local server
    const run = await runLocal({
      env,
      entryPoint: JOB,
      defaults: defaults(),
      environment: server.environment,
      arguments: ['--input', `${scheme}://lake/raw/tx`, '--output', `${scheme}://lake/out/${name}`],
    });
    // THEN it succeeds with the rendered committer
    expect({ exit: run.exitCode, stderr: run.exitCode === 0 ? '' : run.stderr }).toEqual({ exit: 0, stderr: '' });
    expect(result(run.stdout)).toMatchObject({
      committer: 'magic',
      protocol: 'org.apache.spark.internal.io.cloud.PathOutputCommitProtocol',
      master: 'local[2]',
      driverMemory: '2g',
    });
    // AND the S3A committer, not the rename-based one, wrote the _SUCCESS manifest
    const success = server.tool('get', 'lake', `out/${name}/_SUCCESS`).text;
    expect(JSON.parse(success)).toMatchObject({ committer: 'magic' });
    // AND the output (read without Spark) has one row per customer and every amount
    const output = server.tool('read-parquet', 'lake', `out/${name}`, 'total_amount', 'customer_id');
    expect(output.rows).toBe(input.distinct);
    expect(output.distinct).toBe(input.distinct);
    expect(output.sum).toBeCloseTo(input.sum, 4);
    // AND no upload is left pending
    expect(server.tool('list', 'lake', `out/${name}/`).uploads).toEqual([]);
  }, RUN_TIMEOUT);

  test('a run killed while writing leaves the previous output intact and nothing partial visible', async () => {
    // GIVEN the previous output of the first test
    const before = server.tool('list', 'lake', 'out/');
    const previous = server.tool('read-parquet', 'lake', 'out/totals', 'total_amount', 'customer_id');
    expect(previous.rows).toBe(input.distinct);
    const visibleBefore = Object.keys(before.objects).filter(k => visibleUnder(k, 'out/')).sort();

    // WHEN a slow rewrite is SIGKILLed once a task has written its data (a .pending file exists)
    const run = startLocalRun({
      env,
      entryPoint: JOB,
      defaults: defaults(),
      environment: server.environment,
      arguments: ['--input', 's3a://lake/raw/tx', '--output', 's3a://lake/out/totals', '--slow-seconds', '3', '--partitions', '8'],
    });
    let pending: string[] = [];
    const deadline = Date.now() + 200_000;
    while (pending.length === 0) {
      if (run.process.exitCode !== null || Date.now() > deadline) {
        run.kill('SIGKILL');
        const r = await run.done;
        throw new Error(`the run ended or stalled before writing (exit ${r.exitCode}):\n${r.stderr.slice(-3000)}`);
      }
      await new Promise(r => setTimeout(r, 300));
      pending = Object.keys(server.tool('list', 'lake', 'out/').objects).filter(k => /__magic.*\.pending(set)?$/.test(k));
    }
    run.kill('SIGKILL');
    const ended = await run.done;
    expect(ended.signal).toBe('SIGKILL');

    // THEN the written data is only pending multipart uploads, invisible to readers
    const after = server.tool('list', 'lake', 'out/');
    expect(after.uploads.length).toBeGreaterThan(0);
    expect(Object.keys(after.objects).filter(k => visibleUnder(k, 'out/')).sort()).toEqual(visibleBefore);
    // AND the previous output is unchanged, object by object, and still reads the same
    const totalsBefore = Object.entries(before.objects).filter(([k]) => k.startsWith('out/totals/'));
    const totalsAfter = Object.entries(after.objects).filter(([k]) => k.startsWith('out/totals/'));
    expect(totalsAfter).toEqual(totalsBefore);
    expect(server.tool('read-parquet', 'lake', 'out/totals', 'total_amount', 'customer_id')).toEqual(previous);
  }, RUN_TIMEOUT);
});

/** What a Spark reader of `prefix` lists: no `_` or `.` path component below it. */
function visibleUnder(key: string, prefix: string): boolean {
  return key.startsWith(prefix) && !key.slice(prefix.length).split('/').some(p => p.startsWith('_') || p.startsWith('.'));
}
