import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CountingProxy } from './support/counting-proxy';
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
const RUN_TIMEOUT = 400_000;
const describeS3a = process.env.SPARK_DEPLOY_SKIP_S3A === '1' ? describe.skip : describe;

describeS3a.each(['3.5', '4.0'])('S3A against a local S3 server, Spark %s', line => {
  let env: LocalSparkEnvironment;
  let server: LocalS3Server;
  let work: string;
  let input: { rows: number; sum: number; distinct: number };
  const expectedCache: { [multiplier: number]: Totals[] } = {};

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
  function defaults(endpoint: string = server.endpoint): LocalSparkDefaults {
    const config = SparkConfiguration.tune({
      target: DeploymentTarget.KUBERNETES,
      release: env.sparkVersion,
      executor: { cpu: 2, memoryGb: 8 },
      storage: { kind: StorageKind.S3_COMPATIBLE, endpoint },
    });
    return LocalSparkDefaults.fromConfiguration(config, { jars: s3aJars(env), master: 'local[2]' });
  }

  function result(stdout: string): any {
    const line_ = stdout.split('\n').find(l => l.startsWith('RESULT '));
    if (!line_) throw new Error(`no RESULT line in the job output:\n${stdout}`);
    return JSON.parse(line_.slice('RESULT '.length));
  }

  /** Per customer of the raw input, computed by pyarrow (not Spark), times `multiplier`. */
  function expected(multiplier: number): Totals[] {
    expectedCache[multiplier] ??= server.tool('expected-totals', 'lake', 'raw/tx', String(multiplier)).records;
    return expectedCache[multiplier];
  }

  /** What a pyarrow reader sees at `prefix` (pointer, then its files), checked row by row against `multiplier`. */
  function expectOutput(prefix: string, multiplier: number): { version: string; files: string[] } {
    const seen = server.tool('read-output', 'lake', prefix);
    const want = expected(multiplier);
    expect(seen.records.length).toBe(want.length);
    expect(seen.pointerRows).toBe(want.length);
    const mismatches = want.filter((w, i) => {
      const [customer, count, total] = seen.records[i];
      const close = w[2] === null ? total === null : total !== null && Math.abs(total - w[2]) <= 1e-9 * Math.max(1, Math.abs(w[2]));
      return customer !== w[0] || count !== w[1] || !close;
    });
    expect({ prefix, multiplier, mismatches: mismatches.slice(0, 3) }).toEqual({ prefix, multiplier, mismatches: [] });
    return seen;
  }

  function versionDirs(prefix: string): string[] {
    const dirs = Object.keys(server.tool('list', 'lake', `${prefix}/_versions/`).objects)
      .map(k => k.slice(`${prefix}/_versions/`.length).split('/')[0]);
    return [...new Set(dirs)].sort();
  }

  function run(args: string[], extraEnv: { [name: string]: string } = {}, endpoint?: string) {
    return startLocalRun({
      env,
      entryPoint: JOB,
      defaults: defaults(endpoint),
      environment: { ...server.environment, ...extraEnv },
      arguments: ['--input', 's3a://lake/raw/tx', ...args],
    });
  }

  async function succeeds(args: string[], endpoint?: string): Promise<any> {
    const r = await run(args, {}, endpoint).done;
    expect({ exit: r.exitCode, stderr: r.exitCode === 0 ? '' : r.stderr.slice(-3000) }).toEqual({ exit: 0, stderr: '' });
    return result(r.stdout);
  }

  /** Starts a run and SIGKILLs it once `ready(output)` holds (polled), failing if the run ends first. */
  async function killWhen(args: string[], extraEnv: { [name: string]: string }, ready: (output: string) => boolean): Promise<void> {
    const started = run(args, extraEnv);
    // spark-submit merges the Python driver's stderr into its stdout: watch both.
    let output = '';
    started.process.stdout?.on('data', (d: Buffer) => { output += d.toString(); });
    started.process.stderr?.on('data', (d: Buffer) => { output += d.toString(); });
    const deadline = Date.now() + 250_000;
    while (!ready(output)) {
      if (started.process.exitCode !== null || Date.now() > deadline) {
        started.kill('SIGKILL');
        const r = await started.done;
        throw new Error(`the run ended or stalled before the kill point (exit ${r.exitCode}):\n${r.stderr.slice(-3000)}`);
      }
      await new Promise(r => setTimeout(r, 300));
    }
    started.kill('SIGKILL');
    expect((await started.done).signal).toBe('SIGKILL');
  }

  test.each([['s3a', 'totals'], ['s3', 'totals-s3']])('reads %s:// input and writes its output through the magic committer', async (scheme, name) => {
    // WHEN the job reads and writes on the local server
    const ran = await runLocal({
      env,
      entryPoint: JOB,
      defaults: defaults(),
      environment: server.environment,
      arguments: ['--input', `${scheme}://lake/raw/tx`, '--output', `${scheme}://lake/out/${name}`],
    });
    // THEN it succeeds with the rendered committer
    expect({ exit: ran.exitCode, stderr: ran.exitCode === 0 ? '' : ran.stderr }).toEqual({ exit: 0, stderr: '' });
    const done = result(ran.stdout);
    expect(done).toMatchObject({
      committer: 'magic',
      protocol: 'org.apache.spark.internal.io.cloud.PathOutputCommitProtocol',
      master: 'local[2]',
      driverMemory: '2g',
      rows: input.distinct,
    });
    // AND the S3A committer, not the rename-based one, wrote the _SUCCESS manifest of the version
    const success = server.tool('get', 'lake', `out/${name}/_versions/${done.version}/_SUCCESS`).text;
    expect(JSON.parse(success)).toMatchObject({ committer: 'magic' });
    // AND the output read without Spark (pointer, then its files) is every customer's total, row by row
    expect(expectOutput(`out/${name}`, 1).version).toBe(done.version);
    expect(input.rows).toBeGreaterThan(input.distinct);
    // AND no upload is left pending
    expect(server.tool('list', 'lake', `out/${name}/`).uploads).toEqual([]);
  }, RUN_TIMEOUT);

  describe('SIGKILL at every step of a commit leaves readers the previous or the new output', () => {
    // One output, five runs in order (keep one older version): v1 committed; killed while writing;
    // killed after its files, before the pointer; v4 committed; killed during the cleanup of v5.
    const out = 'out/kills';
    const args = (multiplier: number, ...more: string[]) => ['--output', `s3a://lake/${out}`, '--multiplier', String(multiplier), '--keep-versions', '1', ...more];
    const pointerTag = () => server.tool('list', 'lake', `${out}/_latest.json`).objects[`${out}/_latest.json`];
    let v1 = '';
    let v4 = '';
    let killedDuringWrite = '';
    let killedAfterFiles = '';

    test('a committed run is what readers see', async () => {
      v1 = (await succeeds(args(1))).version;
      expect(expectOutput(out, 1).version).toBe(v1);
      expect(versionDirs(out)).toEqual([v1]);
    }, RUN_TIMEOUT);

    test('killed during the file writes: the previous output, nothing of the new one', async () => {
      const tag = pointerTag();
      // WHEN a slow rewrite is SIGKILLed once a task has written its data (a .pending file exists)
      await killWhen(args(2, '--slow-seconds', '3', '--partitions', '8'), {}, () =>
        Object.keys(server.tool('list', 'lake', `${out}/`).objects).some(k => /__magic.*\.pending(set)?$/.test(k)));
      // THEN its data is only pending multipart uploads in a version no pointer names
      const after = server.tool('list', 'lake', `${out}/`);
      expect(after.uploads.length).toBeGreaterThan(0);
      killedDuringWrite = versionDirs(out).find(v => v !== v1)!;
      expect(Object.keys(after.objects).filter(k => k.includes(killedDuringWrite) && k.endsWith('.parquet') && !k.includes('__magic'))).toEqual([]);
      // AND the pointer is the same object and readers see v1, row by row
      expect(pointerTag()).toBe(tag);
      expect(expectOutput(out, 1).version).toBe(v1);
    }, RUN_TIMEOUT);

    test('killed after the files, before the visibility step: the previous output', async () => {
      const tag = pointerTag();
      await killWhen(args(3), { SPARK_JOBS_COMMIT_PAUSE_AT: 'written' }, o => o.includes('COMMIT PAUSED AT written'));
      killedAfterFiles = versionDirs(out).find(v => ![v1, killedDuringWrite].includes(v))!;
      // THEN the new version's files are all there (its committer finished: _SUCCESS, data files) ...
      const files = Object.keys(server.tool('list', 'lake', `${out}/_versions/${killedAfterFiles}/`).objects);
      expect(files).toContain(`${out}/_versions/${killedAfterFiles}/_SUCCESS`);
      expect(files.filter(k => k.endsWith('.parquet')).length).toBeGreaterThan(0);
      // ... and invisible: the pointer is unchanged and readers see v1, row by row
      expect(pointerTag()).toBe(tag);
      expect(expectOutput(out, 1).version).toBe(v1);
    }, RUN_TIMEOUT);

    test('the next committed run becomes visible whole; the version before it is kept', async () => {
      v4 = (await succeeds(args(4))).version;
      expect(expectOutput(out, 4).version).toBe(v4);
      // v1 is the version a reader may have just resolved: kept, like the unfinished runs newer than it.
      expect(versionDirs(out)).toEqual([v1, killedDuringWrite, killedAfterFiles, v4].sort());
    }, RUN_TIMEOUT);

    test('killed during cleanup: the new output, the one before it intact', async () => {
      await killWhen(args(5), { SPARK_JOBS_COMMIT_PAUSE_AT: 'cleanup' }, o => o.includes('COMMIT PAUSED AT cleanup'));
      const dirs = versionDirs(out);
      const v5 = dirs.find(v => ![v1, killedDuringWrite, killedAfterFiles, v4].includes(v))!;
      // THEN readers see v5 row by row; v1 (the oldest) was deleted first, the rest of the cleanup never ran
      expect(expectOutput(out, 5).version).toBe(v5);
      expect(dirs).toEqual([killedDuringWrite, killedAfterFiles, v4, v5].sort());
      // AND v4, the previous version, still reads whole through its manifest's files
      const manifest = JSON.parse(server.tool('get', 'lake', `${out}/_versions/${v4}/_manifest.json`).text);
      const sizes = server.tool('list', 'lake', `${out}/_versions/${v4}/`).sizes;
      expect(manifest.files.map((f: any) => [f.path, f.size])).toEqual(manifest.files.map((f: any) => [f.path, sizes[`${out}/${f.path}`]]));
    }, RUN_TIMEOUT);
  });

  test('one commit makes no copy request and uploads the output once', async () => {
    // GIVEN a counting proxy between S3A and the server
    const proxy = await CountingProxy.start(server.endpoint);
    try {
      // WHEN the job writes ~6 MB of random doubles and commits them
      const done = await succeeds(['--output', 's3a://lake/out/counted', '--synthetic-rows', '150000', '--partitions', '2'], proxy.endpoint);
      const counted = proxy.summary();
      // THEN no request was a server-side copy (CopyObject / UploadPartCopy)
      expect(proxy.requests.filter(r => r.copySource !== undefined)).toEqual([]);
      expect(counted.copies).toBe(0);
      // AND the bytes uploaded are the output's size, within 5% (committer metadata and the pointer)
      const sizes: { [key: string]: number } = server.tool('list', 'lake', 'out/counted/').sizes;
      const outputBytes = Object.values(sizes).reduce((a, b) => a + b, 0);
      expect(outputBytes).toBeGreaterThan(4_000_000);
      expect(counted.bytesUploaded).toBeGreaterThanOrEqual(outputBytes);
      expect(counted.bytesUploaded).toBeLessThanOrEqual(outputBytes * 1.05);
      expect(done.rows).toBe(150000);
      // Printed for docs/benchmarks.md (bench/commit-cost.ts measures it against the old rename commit).
      process.stdout.write(`S3A ${line} commit: ${JSON.stringify({ ...counted, outputBytes, seconds: done.seconds })}\n`);
    } finally {
      await proxy.stop();
    }
  }, RUN_TIMEOUT);
});

/** One row of the per-customer totals: customer, transactions, total amount (null when no amount). */
type Totals = [string, number, number | null];
