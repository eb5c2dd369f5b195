/**
 * Run-informed tuning on three generated workloads (skewed join, spilling sort-merge join, many small files), each
 * run three ways side by side on local Spark: Spark's defaults, our static tuning (`tune` for a 2-vCPU pod of the
 * same memory), and the run-informed tuning (`tune --from-run` over the default run's event log).
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
  { name: 'skew', rows: '200000' },
  { name: 'spill', rows: '2000000' },
  { name: 'small-files', rows: '50000' },
];
// Spark's defaults for a 2-core local run with a 1 GB heap.
const DEFAULTS = { 'spark.master': 'local[2]', 'spark.driver.memory': '1g' };

async function tuneJson(argv: string[]): Promise<any> {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: t => { out += t; }, stderr: t => { err += t; } });
  if (code !== 0) throw new Error(`tune ${argv.join(' ')}: exit ${code}: ${err}`);
  return JSON.parse(out);
}

function staticConf(): Record<string, string> {
  const config = SparkConfiguration.tune({ target: DeploymentTarget.KUBERNETES, release: line === '4.0' ? '4.0.2' : '3.5.6', executor: { cpu: 2, memoryGb: 1.375 } });
  const sql = Object.fromEntries(Object.entries(config.properties()).filter(([k]) => k.startsWith('spark.sql.shuffle.') || k.startsWith('spark.sql.adaptive.') || k === 'spark.serializer'));
  return { ...DEFAULTS, ...sql, 'spark.driver.memory': config.get('spark.executor.memory')! };
}

interface Row { workload: string; config: string; run: WorkloadRun; costUsd: number; changed: string }

async function main_(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-run-informed-'));
  const rows: Row[] = [];
  const started = process.cpuUsage();
  for (const w of WORKLOADS) {
    const dirs = { default: path.join(work, `${w.name}-default`), static: path.join(work, `${w.name}-static`), informed: path.join(work, `${w.name}-informed`) };
    const d = await runWorkload(line, w.name, dirs.default, { ...DEFAULTS, rows: w.rows });
    const s = await runWorkload(line, w.name, dirs.static, { ...staticConf(), rows: w.rows });
    const advice = await tuneJson(['tune', '--from-run', dirs.default, '--target', 'kubernetes', '--format', 'json']);
    const informedConf = { ...DEFAULTS, ...advice.recommendation.properties, 'spark.driver.memory': advice.properties['spark.executor.memory'], 'rows': w.rows };
    const r = await runWorkload(line, w.name, dirs.informed, informedConf);
    for (const [config, run, dir, changed] of [['default', d, dirs.default, ''], ['static', s, dirs.static, ''],
      ['run-informed', r, dirs.informed, advice.changes.map((c: any) => `${c.key}=${c.to}`).join(', ')]] as const) {
      const cost = await tuneJson(['tune', '--from-run', dir, '--target', 'kubernetes', '--format', 'json']);
      rows.push({ workload: w.name, config, run, costUsd: cost.cost.run.usd, changed });
    }
  }
  const cpu = process.cpuUsage(started);
  console.log(`Spark ${line}, local[2], ${new Date().toISOString()}, load average ${os.loadavg().map(x => x.toFixed(1)).join(' ')}; bench process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
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
