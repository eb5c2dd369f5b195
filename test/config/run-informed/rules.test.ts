import { EvidenceSourceKind, ExecutorEvidence, RunEvidence, StageEvidence } from '../../../src/config/run-informed/evidence';
import {
  emrWorkerFor, executorCountRule, executorHeapRule, fileScanRule, fileSplits, RunSettings, runSettings, shufflePartitionsRule, skewRule,
  spillNeedFactor,
} from '../../../src/config/run-informed/rules';

const MIB = 1024 * 1024;

function stage(over: Partial<StageEvidence>): StageEvidence {
  return {
    stageId: 1,
    attemptId: 0,
    name: 's',
    numTasks: 4,
    numFailedTasks: 0,
    durationMs: 1000,
    taskTimeMs: 4000,
    maxTaskTimeMs: 1000,
    medianTaskTimeMs: 1000,
    inputBytes: 0,
    shuffleReadBytes: 0,
    shuffleWriteBytes: 0,
    maxTaskShuffleReadBytes: 0,
    medianTaskShuffleReadBytes: 0,
    memorySpilledBytes: 0,
    diskSpilledBytes: 0,
    maxTaskPeakExecutionMemoryBytes: 0,
    ...over,
  };
}

function executor(id: string, over: Partial<ExecutorEvidence> = {}): ExecutorEvidence {
  return { executorId: id, cores: 4, addedMs: 0, killedForMemory: false, ...over };
}

function run(over: Partial<RunEvidence>): RunEvidence {
  return {
    source: 'test',
    sourceKind: EvidenceSourceKind.EVENT_LOG,
    applicationId: 'app',
    sparkVersion: '3.5.6',
    startMs: 0,
    endMs: 3_600_000,
    properties: { 'spark.master': 'k8s://x', 'spark.executor.cores': '4', 'spark.executor.memory': '8g', 'spark.sql.shuffle.partitions': '200', 'spark.dynamicAllocation.enabled': 'true', 'spark.dynamicAllocation.maxExecutors': '10' },
    executors: [executor('driver'), executor('1'), executor('2')],
    stages: [],
    peakConcurrentTasks: 8,
    busySlotMs: 0,
    memoryFailedTasks: 0,
    ...over,
  };
}

const settings = (e: RunEvidence): RunSettings => runSettings(e, {});

describe('executor-memory rule', () => {
  test('spill grows the unified region by the spill factor: (peak + spilled per task) / peak, hand-computed', () => {
    // 4 tasks spilled 1200 MiB in memory with a 400 MiB peak: need = 1 + (1200/4)/400 = 1.75
    const e = run({ stages: [stage({ memorySpilledBytes: 1200 * MIB, diskSpilledBytes: 300 * MIB, maxTaskPeakExecutionMemoryBytes: 400 * MIB })] });
    expect(spillNeedFactor(e.stages).factor).toBeCloseTo(1.75, 10);
    const need = executorHeapRule(e, settings(e));
    // heap 8192 MiB: 300 + (8192 − 300) × 1.75 = 14111 → 64 MiB aligned 14144
    expect(need).toMatchObject({ direction: 'grow', heapMiB: 14144 });
    expect(need.why).toContain(`spilled ${1200 * MIB} B in memory (${300 * MIB} B on disk)`);
  });

  test('growth is capped at 2× per run; memory kills without spill grow 1.5×', () => {
    const big = run({ stages: [stage({ memorySpilledBytes: 100_000 * MIB, maxTaskPeakExecutionMemoryBytes: 100 * MIB })] });
    expect(executorHeapRule(big, settings(big)).heapMiB).toBe(Math.ceil((300 + 7892 * 2) / 64) * 64);
    const killed = run({ executors: [executor('driver'), executor('1', { killedForMemory: true })] });
    const need = executorHeapRule(killed, settings(killed));
    expect(need.heapMiB).toBe(Math.ceil((300 + 7892 * 1.5) / 64) * 64);
    expect(need.evidence.executorsKilledForMemory).toBe(1);
  });

  test('shrinks to the peak JVM heap + 20% when the peak stayed under 70% and nothing spilled; keeps otherwise', () => {
    const low = run({ executors: [executor('1', { peakJvmHeapBytes: 2000 * MIB }), executor('2', { peakJvmHeapBytes: 3000 * MIB })] });
    // peak 3000 MiB of 8192 (37%): 3000 × 1.2 = 3600 → 3648
    expect(executorHeapRule(low, settings(low))).toMatchObject({ direction: 'shrink', heapMiB: 3648 });
    const high = run({ executors: [executor('1', { peakJvmHeapBytes: 6000 * MIB })] });
    expect(executorHeapRule(high, settings(high)).direction).toBe('keep');
  });
});

describe('shuffle-partitions rule', () => {
  test('a spilling reduce stage gets partitions that fit the new per-task memory, and an advisory size no larger', () => {
    // 1 task read 40 MiB and spilled; heap 512 → 768 MiB, 2 cores: per task (512−300)·0.6/2 = 63.6 → (768−300)·0.6/2 = 140.4 MiB
    const e = run({
      properties: { 'spark.master': 'local[2]', 'spark.driver.memory': '512m', 'spark.sql.shuffle.partitions': '1' },
      executors: [executor('driver', { cores: 2 })],
      stages: [stage({ numTasks: 1, shuffleReadBytes: 40 * MIB, memorySpilledBytes: 150 * MIB, maxTaskPeakExecutionMemoryBytes: 120 * MIB })],
    });
    const out = shufflePartitionsRule(e, settings(e), 768, 2);
    // factor = 1 + 150/120 = 2.25; fit = 40 MiB × (140.4/63.6) / (2.25 × 1.25) = 31.4 MiB → 2 partitions; at least 2 per core = 4
    const keys = Object.fromEntries(out.changes.map(c => [c.key, c.value]));
    expect(keys['spark.sql.shuffle.partitions']).toBe('4');
    expect(keys['spark.sql.adaptive.advisoryPartitionSizeInBytes']).toBe('10m');
  });

  test('a spilling stage AQE had coalesced keeps the run\'s partitions; the advisory size is what fits', () => {
    // 200 partitions coalesced by AQE into 2 tasks reading 90 MiB, spilling 84 MiB with a 110 MiB peak; heap 512 → 768 MiB
    const e = run({
      properties: { 'spark.master': 'local[2]', 'spark.driver.memory': '512m' },
      executors: [executor('driver', { cores: 2 })],
      stages: [stage({ numTasks: 2, shuffleReadBytes: 90 * MIB, memorySpilledBytes: 84 * MIB, maxTaskPeakExecutionMemoryBytes: 110 * MIB })],
    });
    const out = shufflePartitionsRule(e, settings(e), 768, 2);
    // factor 1 + 42/110 = 1.38; fit = 45 MiB × (140.4/63.6) / (1.38 × 1.25) = 57.6 MiB → 2 needed, at least 2 per core = 4 of 22.5 MiB
    const keys = Object.fromEntries(out.changes.map(c => [c.key, c.value]));
    expect(keys).toEqual({ 'spark.sql.shuffle.partitions': '200', 'spark.sql.adaptive.advisoryPartitionSizeInBytes': '22m' });
    expect(out.changes[0].reason).toContain('4 partitions of ~22 MiB');
    expect(out.changes[0].reason).toContain('the run\'s 200 stay');
  });

  test('far too many tiny partitions come down to 2 per core (or 128 MiB each) and coalescing is turned on', () => {
    const e = run({
      properties: { ...run({}).properties, 'spark.sql.shuffle.partitions': '2000', 'spark.sql.adaptive.coalescePartitions.enabled': 'false' },
      stages: [stage({ numTasks: 2000, shuffleReadBytes: 400 * MIB, medianTaskShuffleReadBytes: 200_000 })],
    });
    const out = shufflePartitionsRule(e, settings(e), 8192, 8);
    // max(2 × 8 cores, ceil(400/128) = 4) = 16
    expect(out.changes.map(c => [c.key, c.value])).toEqual([
      ['spark.sql.shuffle.partitions', '16'], ['spark.sql.adaptive.coalescePartitions.enabled', 'true'],
    ]);
    expect(out.changes[0].reason).toMatch(/ran 2000 reduce tasks reading a median 200000 B/);
  });

  test('a big shuffle into too few partitions gets ~128 MiB each; a fitting one is left alone', () => {
    const e = run({ properties: { ...run({}).properties, 'spark.sql.shuffle.partitions': '10' }, stages: [stage({ numTasks: 10, shuffleReadBytes: 12_800 * MIB, medianTaskShuffleReadBytes: 1280 * MIB })] });
    expect(shufflePartitionsRule(e, settings(e), 8192, 8).changes[0].value).toBe('104'); // 100, rounded up to a multiple of 8
    const ok = run({ stages: [stage({ numTasks: 200, shuffleReadBytes: 200 * 100 * MIB, medianTaskShuffleReadBytes: 100 * MIB })] });
    expect(shufflePartitionsRule(ok, settings(ok), 8192, 8).changes).toEqual([]);
  });
});

describe('skew rule', () => {
  test('a stage whose largest task read ≥ 5× the median gets a factor and threshold that catch it', () => {
    const e = run({ stages: [stage({ stageId: 7, numTasks: 100, maxTaskShuffleReadBytes: 2000 * MIB, medianTaskShuffleReadBytes: 100 * MIB })] });
    const out = skewRule(e, settings(e), 128 * MIB);
    const keys = Object.fromEntries(out.changes.map(c => [c.key, c.value]));
    // ratio 20: factor min(5, 10) = 5; threshold min(256 MiB, 1000 MiB) = 256 MiB
    expect(keys).toEqual({
      'spark.sql.adaptive.skewJoin.enabled': 'true',
      'spark.sql.adaptive.skewJoin.skewedPartitionFactor': '5',
      'spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes': '256m',
      'spark.sql.adaptive.forceOptimizeSkewedJoin': 'true',
    });
    // a smaller skew (ratio 6, largest 300 MiB): factor 3, threshold 150 MiB (above the 128 MiB advisory)
    const small = run({ stages: [stage({ numTasks: 100, maxTaskShuffleReadBytes: 300 * MIB, medianTaskShuffleReadBytes: 50 * MIB })] });
    const s = Object.fromEntries(skewRule(small, settings(small), 128 * MIB).changes.map(c => [c.key, c.value]));
    expect([s['spark.sql.adaptive.skewJoin.skewedPartitionFactor'], s['spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes']]).toEqual(['3', '150m']);
  });

  test('AQE coalesced the partitions: the largest task is compared with the median partition, not the median bundle', () => {
    // 200 partitions coalesced into 3 tasks of 116, 25 and 25 MiB: tasks 4.6× the median, but the other 199
    // partitions hold 50 MiB, 0.25 MiB each: the hot partition is 462× that
    const e = run({
      properties: { 'spark.master': 'local[2]' },
      executors: [executor('driver', { cores: 2 })],
      stages: [stage({
        stageId: 4, numTasks: 3, shuffleReadBytes: 166 * MIB, maxTaskShuffleReadBytes: 116 * MIB, medianTaskShuffleReadBytes: 25 * MIB,
      })],
    });
    const out = skewRule(e, settings(e), 39 * MIB);
    const keys = Object.fromEntries(out.changes.map(c => [c.key, c.value]));
    // factor min(5, 462/2) = 5; threshold max(39 MiB advisory, min(256, 116/2 = 58)) = 58 MiB
    expect(keys['spark.sql.adaptive.skewJoin.skewedPartitionFactor']).toBe('5');
    expect(keys['spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes']).toBe('58m');
    expect(out.changes[0].evidence).toMatchObject({
      coalescedTasks: 3, shufflePartitions: 200, medianPartitionBytesEstimate: Math.round(50 * MIB / 199),
    });
    expect(out.changes[0].reason).toContain('(200 partitions coalesced by AQE into 3 tasks)');
    // the same tasks with coalescing off (so each task is one partition) are not skewed
    const off = run({ ...e, properties: { ...e.properties, 'spark.sql.adaptive.coalescePartitions.enabled': 'false' } });
    expect(skewRule(off, settings(off), 39 * MIB).changes).toEqual([]);
  });

  test('no change when the largest task is below the advisory size or the ratio under 5', () => {
    const e = run({
      stages: [stage({ numTasks: 100, maxTaskShuffleReadBytes: 60 * MIB, medianTaskShuffleReadBytes: 1 * MIB }),
        stage({ numTasks: 100, maxTaskShuffleReadBytes: 400 * MIB, medianTaskShuffleReadBytes: 100 * MIB })],
    });
    expect(skewRule(e, settings(e), 128 * MIB).changes).toEqual([]);
  });
});

describe('file-scan rule', () => {
  /** Spark's packing (FilePartition.getFilePartitions), written out: sizes descending, close a split when the next file overflows. */
  function packed(sizes: number[], maxBytes: number, openCost: number, parallelism: number): number {
    const total = sizes.reduce((a, b) => a + b + openCost, 0);
    const split = Math.min(maxBytes, Math.max(openCost, total / parallelism));
    let splits = 0;
    let current = 0;
    let open = false;
    for (const size of [...sizes].sort((a, b) => b - a)) {
      if (open && current + size > split) {
        splits += 1;
        current = 0;
      }
      current += size + openCost;
      open = true;
    }
    return splits + (open ? 1 : 0);
  }

  test('fileSplits matches Spark\'s packing of small files (closed form vs the greedy loop)', () => {
    const sizes = [...Array(3200).keys()].map(i => 1500 + (i % 7) * 10);
    const bytes = sizes.reduce((a, b) => a + b, 0);
    for (const [openCost, parallelism] of [[4 * MIB, 2], [1700 * 1024, 2], [4 * MIB, 64], [64 * 1024, 2]]) {
      const closed = fileSplits(3200, bytes, 128 * MIB, openCost, parallelism);
      expect(Math.abs(closed - packed(sizes, 128 * MIB, openCost, parallelism))).toBeLessThanOrEqual(1);
    }
  });

  const localRun = (over: Partial<StageEvidence>, properties: Record<string, string> = {}) => run({
    properties: { 'spark.master': 'local[2]', ...properties },
    executors: [executor('driver', { cores: 2 })],
    stages: [stage({ stageId: 3, inputBytes: 3200 * 1600, ...over })],
  });

  test('many short tasks over files smaller than the open cost: an open cost that packs them into 2 splits per core', () => {
    // 3200 files of 1600 B in 100 tasks of 150 ms on 2 cores: wanted max(4, 1) = 4 splits
    const e = localRun({ numTasks: 100, medianTaskTimeMs: 150, filesRead: 3200, fileBytesRead: 3200 * 1600 });
    const out = fileScanRule(e, settings(e), 2);
    // (4 × 128 MiB − 5,120,000 B) / 3200 = 166,172 B → 162 KiB
    expect(out.changes.map(c => [c.key, c.value])).toEqual([['spark.sql.files.openCostInBytes', '162k']]);
    expect(out.changes[0].evidence).toMatchObject({
      stage: 3, scanTasks: 100, filesRead: 3200, meanFileBytes: 1600, medianTaskTimeMs: 150, openCostInBytes: 4 * MIB,
    });
    expect(out.changes[0].reason).toMatch(/^stage 3 read 3200 files of 1600 B on average .* in 100 tasks of a median 150 ms on 2 cores/);
    // Spark's packing with the new open cost gives the wanted 4 splits
    expect(packed(Array(3200).fill(1600), 128 * MIB, 162 * 1024, 2)).toBe(4);
    expect(packed(Array(3200).fill(1600), 128 * MIB, 4 * MIB, 2)).toBe(100);
  });

  test('no change for big files, long tasks, few tasks, an already low open cost, or without scan metrics', () => {
    const cases: Array<[Partial<StageEvidence>, Record<string, string>]> = [
      [{ numTasks: 100, medianTaskTimeMs: 150, filesRead: 100, fileBytesRead: 100 * 64 * MIB }, {}], // files of 64 MiB
      [{ numTasks: 100, medianTaskTimeMs: 8_000, filesRead: 3200, fileBytesRead: 3200 * 1600 }, {}], // tasks of 8 s
      [{ numTasks: 6, medianTaskTimeMs: 150, filesRead: 3200, fileBytesRead: 3200 * 1600 }, {}], // 6 < 2 × 4 tasks
      [{ numTasks: 100, medianTaskTimeMs: 150, filesRead: 3200, fileBytesRead: 3200 * 1600 }, { 'spark.sql.files.openCostInBytes': '64k' }],
      [{ numTasks: 100, medianTaskTimeMs: 150 }, {}], // a _metrics.json: no files-read metric
    ];
    for (const [over, properties] of cases) {
      const e = localRun(over, properties);
      expect(fileScanRule(e, settings(e), 2).changes).toEqual([]);
    }
    const none = localRun({ numTasks: 100, medianTaskTimeMs: 150 });
    expect(fileScanRule(none, settings(none), 2).notes[0]).toMatch(/no SQL scan metrics/);
  });

  test('a stage that also read shuffle data is not a file scan', () => {
    const e = localRun({ numTasks: 100, medianTaskTimeMs: 150, filesRead: 3200, fileBytesRead: 3200 * 1600, shuffleReadBytes: 1 });
    expect(fileScanRule(e, settings(e), 2).changes).toEqual([]);
  });
});

describe('executor-count rule', () => {
  test('mostly idle slots: the cap comes down to the executors the peak concurrent tasks need', () => {
    // 10 executors × 4 cores for an hour = 40 slot-hours held, 4 busy; at most 6 tasks at once → 2 executors, floor 3 on EMR
    const executors = [...Array(10).keys()].map(i => executor(String(i + 1)));
    const e = run({ executors, peakConcurrentTasks: 6, busySlotMs: 4 * 3.6e6 });
    const out = executorCountRule(e, settings(e), 3);
    expect(out.changes.map(c => [c.key, c.value])).toEqual([['spark.dynamicAllocation.maxExecutors', '3']]);
    expect(out.changes[0].evidence).toMatchObject({ idleSlotShare: 0.9, peakConcurrentTasks: 6, peakExecutors: 10 });
  });

  test('every slot busy at the cap with many waves: the cap doubles, bounded by the capacity', () => {
    const executors = [...Array(10).keys()].map(i => executor(String(i + 1)));
    const e = run({ executors, peakConcurrentTasks: 40, busySlotMs: 39 * 3.6e6, stages: [stage({ numTasks: 400 })] });
    expect(executorCountRule(e, settings(e), 3).changes[0].value).toBe('20');
    expect(executorCountRule(e, settings(e), 3, 14).changes[0].value).toBe('14');
  });

  test('local runs have no executors to scale', () => {
    const e = run({ properties: { 'spark.master': 'local[2]' }, executors: [executor('driver', { cores: 2 })] });
    expect(executorCountRule(e, settings(e), 1).changes).toEqual([]);
  });
});

describe('emr-worker-size rule', () => {
  test('the smallest valid memory step of the vCPU size that holds heap + overhead', () => {
    // 20000 MiB + 2000 = 22000 MiB = 21.5 GB → a 4-vCPU worker takes 8-30 GB in 1 GB steps: 22 GB
    expect(emrWorkerFor(20000, 4, 0.1)).toMatchObject({ cpu: 4, memoryGb: 22 });
    // 8 vCPU: 16-60 GB in 4 GB steps; 30000 + 3000 MiB = 32.2 GB → 36 GB
    expect(emrWorkerFor(30000, 8, 0.1)).toMatchObject({ cpu: 8, memoryGb: 36 });
  });

  test('beyond the largest worker of the size: fewer vCPU per worker with the same memory per task', () => {
    // 40 GB heap on 4 vCPU does not fit 30 GB; 2 vCPU with (40960 − 300)/2 + 300 = 20630 → 20672 MiB heap + 2068 = 22.2 GB > 16;
    // 1 vCPU: 10465 → 10496 MiB + 1050 = 11.3 GB > 8: the largest 1-vCPU worker
    expect(emrWorkerFor(40960, 4, 0.1)).toMatchObject({ cpu: 1, memoryGb: 8 });
    // 28 GB heap on 4 vCPU: 28672 + 2868 = 30.8 GB > 30; 2 vCPU: 14486 → 14528 + 1453 = 15.6 GB → 16 GB
    expect(emrWorkerFor(28672, 4, 0.1)).toMatchObject({ cpu: 2, memoryGb: 16 });
  });
});
