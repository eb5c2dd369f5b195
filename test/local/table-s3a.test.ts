import { execFileSync } from 'child_process';
import * as path from 'path';
import { HoldingProxy } from './support/holding-proxy';
import { LocalS3Server, LOCAL_S3_CREDENTIALS } from './support/local-s3';
import { DeploymentTarget, SparkConfiguration, StorageKind } from '../../src/config';
import { TableFormat } from '../../src/config/table-formats';
import { localSparkEnvironment, LocalSparkEnvironment, s3aJars } from '../../src/local/local-environment';
import { runLocal, startLocalRun } from '../../src/local/local-runner';
import { LocalSparkDefaults } from '../../src/local/local-spark-defaults';
import { tableFormatJars, tableFormatLocalProperties } from '../../src/local/table-jars';

// The table job on s3a:// against a local S3 server, both Spark lines, run as rendered: spark-submit with
// the configuration spark-deploy renders (LocalSparkDefaults), one process per operation. A Delta merge
// creates a table and upserts into it; SIGKILLed while its commit (the log entry PUT) is held by a proxy,
// it leaves the table at its previous version (read without Spark), and its rerun commits the upsert.
// Every operation on every format (Delta, Iceberg, Parquet) on s3a:// is tested in-process by pytest
// (jobs/tests/tables/test_table_entrypoint.py, the local_s3 fixture of jobs/tests/conftest.py), against
// pandas references; here a spark-submit per step costs ~2 min per merge test and line, so only the
// rendered spark-submit path is covered (measured: the Delta + Iceberg merge cases took 240-255 s per line).
// SPARK_DEPLOY_SKIP_S3A=1 skips this file, like test/local/s3a.test.ts.

const ENTRY = path.join(__dirname, '..', '..', 'jobs', 'src', 'spark_jobs', 'entrypoints', 'table.py');
const TOOL = path.join(__dirname, 'support', 'table_tool.py');
const RUN_TIMEOUT = 900_000;
const describeS3a = process.env.SPARK_DEPLOY_SKIP_S3A === '1' ? describe.skip : describe;
type Row = [number, number];

/** The upsert: per id the source row wins. */
function upsert(target: Row[], source: Row[]): Row[] {
  const byId = new Map<number, number>(target);
  for (const [id, amount] of source) byId.set(id, amount);
  return [...byId.entries()].sort((a, b) => a[0] - b[0]);
}

function rows(from: number, to: number, scale: number): Row[] {
  const out: Row[] = [];
  for (let i = from; i < to; i++) out.push([i, Math.round(i * scale * 100) / 100]);
  return out;
}

describeS3a.each(['3.5', '4.0'])('the table job on s3a://, Spark %s', line => {
  let env: LocalSparkEnvironment;
  let server: LocalS3Server;

  beforeAll(async () => {
    env = localSparkEnvironment(line);
    server = await LocalS3Server.start(env.venvDir);
    server.tool('mkbucket', 'lake');
  }, RUN_TIMEOUT);
  afterAll(async () => { await server?.stop(); });

  function tool(...args: string[]): any {
    const out = execFileSync(env.python, [TOOL, ...args], {
      env: { ...process.env, ...LOCAL_S3_CREDENTIALS, S3_ENDPOINT: server.endpoint }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(out);
  }

  function defaults(format: TableFormat, endpoint: string): LocalSparkDefaults {
    const config = SparkConfiguration.tune({
      target: DeploymentTarget.KUBERNETES,
      release: env.sparkVersion,
      executor: { cpu: 2, memoryGb: 8 },
      storage: { kind: StorageKind.S3_COMPATIBLE, endpoint },
    });
    return LocalSparkDefaults.fromConfiguration(config, {
      jars: [...s3aJars(env), ...tableFormatJars(env, format)],
      master: 'local[2]',
      additionalProperties: {
        ...tableFormatLocalProperties(env, format),
        'spark.sql.shuffle.partitions': '2',
        'spark.databricks.delta.snapshotPartitions': '2',
      },
    });
  }

  function invocation(format: TableFormat, args: string[], endpoint = server.endpoint) {
    return { env, entryPoint: ENTRY, defaults: defaults(format, endpoint), environment: server.environment, arguments: args };
  }

  function put(key: string, data: Row[]): string {
    tool('put-rows', 'lake', key, JSON.stringify(data));
    return `s3a://lake/${key}`;
  }

  function summary(stdout: string): any {
    const start = stdout.indexOf('{\n');
    if (start < 0) throw new Error(`no JSON summary in:\n${stdout.slice(-2000)}`);
    return JSON.parse(stdout.slice(start, stdout.indexOf('\n}', start) + 2));
  }

  async function succeeds(format: TableFormat, args: string[]): Promise<any> {
    const r = await runLocal(invocation(format, args));
    expect({ exit: r.exitCode, stderr: r.exitCode === 0 ? '' : r.stderr.slice(-3000) }).toEqual({ exit: 0, stderr: '' });
    return summary(r.stdout);
  }

  test('delta: SIGKILL while the commit is in flight leaves the previous version; the next merge commits', async () => {
    const prefix = 'warehouse/sales/killed_delta';
    const target = `s3a://lake/${prefix}`;
    const base = rows(0, 40, 1);
    await succeeds(TableFormat.DELTA, ['merge', '--target', target, '--source', put('src/k/0.parquet', base), '--key', 'id', '--format', 'delta']);
    // WHEN a merge's data files are written and its log entry 1 is being PUT (held by the proxy), the job is killed
    const proxy = await HoldingProxy.start(server.endpoint, /_delta_log\/0+1\.json/);
    const update = rows(30, 60, 3);
    try {
      const started = startLocalRun(invocation(TableFormat.DELTA,
        ['merge', '--target', target, '--source', put('src/k/1.parquet', update), '--key', 'id'], proxy.endpoint));
      const deadline = Date.now() + 250_000;
      while (proxy.held === undefined) {
        if (started.process.exitCode !== null || Date.now() > deadline) {
          started.kill('SIGKILL');
          const r = await started.done;
          throw new Error(`the merge ended before its commit (exit ${r.exitCode}):\n${r.stderr.slice(-3000)}`);
        }
        await new Promise(r => setTimeout(r, 200));
      }
      started.kill('SIGKILL');
      expect((await started.done).signal).toBe('SIGKILL');
    } finally {
      await proxy.stop();
    }
    // THEN its new data files are on storage, but the log (read without Spark) is still at version 0: the base rows
    const files = Object.keys(server.tool('list', 'lake', `${prefix}/`).objects).filter(k => k.endsWith('.parquet'));
    expect(files.length).toBeGreaterThan(1);
    expect(tool('read-delta', 'lake', prefix)).toMatchObject({ version: 0, log: ['00000000000000000000.json'], rows: base });
    // AND the same merge run again commits version 1 with the upsert
    const done = await succeeds(TableFormat.DELTA, ['merge', '--target', target, '--source', 's3a://lake/src/k/1.parquet', '--key', 'id']);
    expect(done).toMatchObject({ version_before: 0, version_after: 1, rows_inserted: 20, rows_updated: 10 });
    expect(tool('read-delta', 'lake', prefix)).toMatchObject({ version: 1, rows: upsert(base, update) });
  }, RUN_TIMEOUT);
});
