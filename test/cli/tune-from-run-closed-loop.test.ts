import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/cli/main';
import { runWorkload, WorkloadRun } from '../support/run-informed-workload';

/**
 * The closed loop on local Spark, both lines: a run with a poor configuration writes its event log, `tune --from-run`
 * reads it and recommends changes naming the evidence, and the rerun with the recommendation spills less (Spark's own
 * spill numbers, from its status store) and runs no slower. When the recommendation runs more tasks at once, summed
 * task time grows (each task waits for one of the local cores, and the bigger heap costs some CPU) while the job
 * finishes sooner, so that case compares the job's wall time, with a 1.5x margin for a shared machine; when it runs
 * far fewer tasks, Spark's summed executor run time is compared.
 */
async function tune(logDir: string): Promise<any> {
  let stdout = '';
  let stderr = '';
  const code = await main(['tune', '--from-run', logDir, '--target', 'kubernetes', '--format', 'json'],
    { stdout: t => { stdout += t; }, stderr: t => { stderr += t; } });
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  return JSON.parse(stdout);
}

/** The properties to rerun with: the recommendation's, and its executor heap as the local JVM's heap. */
function rerunConf(out: any): Record<string, string> {
  return { ...out.recommendation.properties, 'spark.driver.memory': out.properties['spark.executor.memory'] };
}

function report(line: string, name: string, poor: WorkloadRun, tuned: WorkloadRun): void {
  process.stdout.write(`closed loop ${line} ${name}: poor ${JSON.stringify(poor)}\n  tuned ${JSON.stringify(tuned)}\n`);
}

describe.each(['4.0', '3.5'])('tune --from-run closes the loop on Spark %s', line => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), `closed-loop-${line}-`));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('too few shuffle partitions and a small heap: the rerun spills less', async () => {
    // GIVEN a run that spills: a 512 MiB heap and one shuffle partition for a sort-merge join
    const poorConf = { 'spark.driver.memory': '512m', 'spark.sql.shuffle.partitions': '1' };
    const poor = await runWorkload(line, 'spill', path.join(work, 'spill-poor'), poorConf);
    expect(poor.memory_bytes_spilled).toBeGreaterThan(0);
    // WHEN tune reads its event log (Spark 4.0: zstd-compressed, rolling; 3.5: one plain file)
    const out = await tune(path.join(work, 'spill-poor'));
    // THEN it read Spark's own spill numbers and recommends more memory and more partitions, naming them
    expect(out.evidence.memorySpilledBytes).toBe(poor.memory_bytes_spilled);
    expect(out.evidence.diskSpilledBytes).toBe(poor.disk_bytes_spilled);
    const byKey = Object.fromEntries(out.changes.map((c: any) => [c.key, c]));
    expect(byKey['spark.executor.memory'].rule).toBe('executor-memory');
    expect(byKey['spark.executor.memory'].reason).toContain(`spilled ${poor.memory_bytes_spilled} B in memory`);
    expect(Number(out.properties['spark.executor.memory'].replace(/m$/, ''))).toBeGreaterThan(512);
    expect(Number(byKey['spark.sql.shuffle.partitions'].to)).toBeGreaterThan(1);
    expect(out.reasons['spark.sql.shuffle.partitions']).toMatch(/rule shuffle-partitions; .*stageMemorySpilledBytes=\d+/);
    // AND the rerun with the recommendation computes the same result, spills less and runs no slower
    const tuned = await runWorkload(line, 'spill', path.join(work, 'spill-tuned'), rerunConf(out));
    report(line, 'spill', poor, tuned);
    expect(tuned.checksum).toBe(poor.checksum);
    expect(tuned.memory_bytes_spilled).toBeLessThan(poor.memory_bytes_spilled);
    expect(tuned.wall_seconds).toBeLessThanOrEqual(poor.wall_seconds * 1.5);
  }, 900_000);

  test('far too many tiny partitions: the rerun runs far fewer tasks in no more task time', async () => {
    // GIVEN 400 shuffle partitions with AQE coalescing off, for a small join and aggregation
    const poorConf = { 'spark.sql.shuffle.partitions': '400', 'spark.sql.adaptive.coalescePartitions.enabled': 'false' };
    const poor = await runWorkload(line, 'tiny', path.join(work, 'tiny-poor'), poorConf);
    // WHEN
    const out = await tune(path.join(work, 'tiny-poor'));
    // THEN the partitions come down to a few per core and coalescing is back on, with the median task's bytes named
    const byKey = Object.fromEntries(out.changes.map((c: any) => [c.key, c]));
    expect(Number(byKey['spark.sql.shuffle.partitions'].to)).toBeLessThan(100);
    expect(byKey['spark.sql.shuffle.partitions'].reason).toMatch(/ran 400 reduce tasks reading a median \d+ B each/);
    expect(byKey['spark.sql.adaptive.coalescePartitions.enabled'].to).toBe('true');
    // AND the rerun: same result, far fewer tasks, no more spill, no more task time
    const tuned = await runWorkload(line, 'tiny', path.join(work, 'tiny-tuned'), rerunConf(out));
    report(line, 'tiny', poor, tuned);
    expect(tuned.checksum).toBe(poor.checksum);
    expect(tuned.num_tasks).toBeLessThan(poor.num_tasks / 10);
    expect(tuned.memory_bytes_spilled).toBeLessThanOrEqual(poor.memory_bytes_spilled);
    expect(tuned.executor_run_time_ms).toBeLessThanOrEqual(poor.executor_run_time_ms * 1.25);
  }, 900_000);
});
