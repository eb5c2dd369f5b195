/**
 * Run-informed tuning on three generated workloads (a join with one hot key, a spilling aggregation, 3200 small
 * files), each run three ways side by side on local Spark with a small executor (2 cores, 512 MiB heap): Spark's
 * defaults, our static tuning (`tune` for the same executor shape), and the run-informed tuning (`tune --from-run`
 * over the default run's event log, its printed configuration applied to the rerun).
 * Prints a markdown table: wall time, Spark's task time, spill bytes (Spark's own), and the cost estimate of each
 * run (the local JVM priced by the table). Usage: npx ts-node --transpile-only bench/run-informed.ts [4.0|3.5]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../src/cli/main';
import { DeploymentTarget, SparkConfiguration } from '../src/config';
import { runWorkload, WorkloadRun } from '../test/support/run-informed-workload';

const line = process.argv[2] ?? '4.0';
const WORKLOADS: Array<{ name: string; rows: string }> = [
  { name: 'skew', rows: '2500000' },
  { name: 'agg', rows: '2000000' },
  { name: 'small-files', rows: '320000' },
];
// Spark's defaults on a small executor: 2 cores, a 512 MiB heap (local mode: the driver JVM runs the tasks).
const DEFAULTS = { 'spark.master': 'local[2]', 'spark.driver.memory': '512m' };
// The pod that holds that heap: 512 MiB + the 384 MiB minimum overhead.
const EXECUTOR = { cpu: 2, memoryGb: 0.875 };
// The keys a local run can take from a tuned configuration (the S3A committer and cloud keys need a cluster).
const LOCAL_KEY = (k: string) => k.startsWith('spark.sql.shuffle.') || k.startsWith('spark.sql.adaptive.') || k.startsWith('spark.sql.files.') || k === 'spark.serializer';

function localConf(properties: { [k: string]: string }): Record<string, string> {
  const sql = Object.fromEntries(Object.entries(properties).filter(([k]) => LOCAL_KEY(k)));
  return { ...DEFAULTS, ...sql, 'spark.driver.memory': properties['spark.executor.memory'] };
}

async function tuneJson(argv: string[]): Promise<any> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: t => { out += t; }, stderr: t => { err += t; } });
  if (code !== 0) throw new Error(`tune ${argv.join(' ')}: exit ${code}: ${err}`);
  return JSON.parse(out);
}

function staticConf(): Record<string, string> {
  return localConf(SparkConfiguration.tune({ target: DeploymentTarget.KUBERNETES, release: line === '4.0' ? '4.0.2' : '3.5.6', executor: EXECUTOR }).properties());
}

interface Row { workload: string; config: string; run: WorkloadRun; costUsd: number; changed: string }

async function main_(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-run-informed-'));
  const rows: Row[] = [];
  const started = process.cpuUsage();
  const loadBefore = os.loadavg();
  const startedAt = Date.now();
  for (const w of WORKLOADS) {
    const dirs = { default: path.join(work, `${w.name}-default`), static: path.join(work, `${w.name}-static`), informed: path.join(work, `${w.name}-informed`) };
    // The small files are written once (pyarrow, outside Spark) and read by all three runs.
    const input = { rows: w.rows, data: path.join(work, `${w.name}-data`) };
    const d = await runWorkload(line, w.name, dirs.default, { ...DEFAULTS, ...input });
    const s = await runWorkload(line, w.name, dirs.static, { ...staticConf(), ...input });
    const advice = await tuneJson(['tune', '--from-run', dirs.default, '--target', 'kubernetes', '--format', 'json']);
    const r = await runWorkload(line, w.name, dirs.informed, { ...localConf(advice.properties), ...input });
    if (d.checksum !== s.checksum || d.checksum !== r.checksum) throw new Error(`${w.name}: results differ: ${d.checksum} ${s.checksum} ${r.checksum}`);
    for (const [config, run, dir, changed] of [['default', d, dirs.default, ''], ['static', s, dirs.static, ''],
      ['run-informed', r, dirs.informed, advice.changes.map((c: any) => `${c.key}=${c.to}`).join(', ')]] as const) {
      const cost = await tuneJson(['tune', '--from-run', dir, '--target', 'kubernetes', '--format', 'json']);
      rows.push({ workload: w.name, config, run, costUsd: cost.cost.run.usd, changed });
      process.stderr.write(`${w.name} ${config}: ${JSON.stringify(run)}\n`);
    }
  }
  const cpu = process.cpuUsage(started);
  const load = (l: number[]) => l.map(x => x.toFixed(1)).join(' ');
  console.log(`Spark ${line}, local[2], ${new Date().toISOString()}, ${((Date.now() - startedAt) / 60000).toFixed(1)} min; load average before ${load(loadBefore)}, after ${load(os.loadavg())}; `
    + `bench process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
  console.log('| workload | configuration | wall s | task time s | tasks | spill memory MB | spill disk MB | cost estimate USD | run-informed changes |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const x of rows) {
    console.log(`| ${x.workload} | ${x.config} | ${x.run.wall_seconds.toFixed(1)} | ${(x.run.executor_run_time_ms / 1000).toFixed(1)} | ${x.run.num_tasks} | `
      + `${(x.run.memory_bytes_spilled / 1e6).toFixed(1)} | ${(x.run.disk_bytes_spilled / 1e6).toFixed(1)} | ${x.costUsd.toFixed(6)} | ${x.changed} |`);
  }
  fs.rmSync(work, { recursive: true, force: true });
}

main_().catch(err => {
  console.error(err);
  process.exit(1);
});
