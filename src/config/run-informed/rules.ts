import { heldSlotMs, idleSlotShare, isLocalRun, RunEvidence, spillTotals, StageEvidence, taskExecutors } from './evidence';
import { emrWorkerRules } from '../emr-serverless-workers';
import { jvmMiB, peakOverlap, sizeBytes } from './stats';
import { HEAP_GRANULARITY_MIB, MIN_MEMORY_OVERHEAD_MIB } from '../memory';

const MIB = 1024 * 1024;
/** Spark keeps 300 MiB of the heap for itself; execution + storage share (heap − 300 MiB) × spark.memory.fraction. */
export const RESERVED_HEAP_MIB = 300;
export const DEFAULT_MEMORY_FRACTION = 0.6;
/** Most the heap grows in one step; the partition rule makes up the rest (more partitions cost no memory). */
export const MAX_HEAP_GROWTH = 2;
/** Shrink the heap when the peak stays below this share of it (Dataflint's over-provisioned alert: 70%). */
export const SHRINK_BELOW_SHARE = 0.7;
/** Headroom kept over the observed need when growing or shrinking (Dataflint's 20% buffer). */
export const HEADROOM = 1.2;
/** AWS EMR best practices: ~128 MB per shuffle partition. */
export const TARGET_PARTITION_MIB = 128;
/** A reduce task reading less than this is "tiny": its fixed cost dominates. */
export const TINY_PARTITION_BYTES = 1 * MIB;
/** Spark's skew test: a partition is skewed above factor × median and above the threshold. */
export const SKEW_RATIO = 5;
/** Dataflint's time skew: slowest task 10× the median and at least 5 s. */
export const TIME_SKEW_RATIO = 10;
export const TIME_SKEW_MIN_MS = 5_000;
/** Idle task slots above this share mean too many executors (Dataflint's idle-cores alert: 50%). */
export const IDLE_SHARE = 0.5;
/** Spark's defaults for file splits: `spark.sql.files.maxPartitionBytes` and `spark.sql.files.openCostInBytes`. */
export const DEFAULT_MAX_PARTITION_BYTES = 128 * MIB;
export const DEFAULT_OPEN_COST_BYTES = 4 * MIB;
/**
 * Scan tasks shorter than this (Dataflint's 5 s floor for time skew) are cheap enough that their fixed cost (launch,
 * deserialize, open the reader) is a noticeable share; longer ones over small files are bound by the files' own cost.
 */
export const SHORT_SCAN_TASK_MS = 5_000;
/** The lowest open cost the file-scan rule sets: a file is never free to open. */
export const MIN_OPEN_COST_BYTES = 64 * 1024;

/** The settings the run had, from its Spark properties (or the tuned configuration when the source has none). */
export interface RunSettings {
  readonly executorHeapMiB: number;
  readonly executorCores: number;
  readonly memoryFraction: number;
  readonly shufflePartitions: number;
  readonly advisoryPartitionBytes: number;
  readonly coalescePartitions: boolean;
  readonly dynamicAllocation: boolean;
  /** The dynamic allocation cap or the fixed executor count. */
  readonly maxExecutors?: number;
  readonly skewFactor: number;
  readonly skewThresholdBytes: number;
  /** `spark.sql.files.maxPartitionBytes`: the largest file split. */
  readonly maxPartitionBytes: number;
  /** `spark.sql.files.openCostInBytes`: what opening one file counts as when files are packed into splits. */
  readonly openCostBytes: number;
}

/** One recommended property change with the numbers it was decided from. */
export interface RuleChange {
  readonly key: string;
  readonly value: string;
  /** The rule's id. */
  readonly rule: string;
  /** The numbers from the run the change is based on. */
  readonly evidence: { readonly [name: string]: number | string };
  /** One sentence: what the run showed and what the change does. */
  readonly reason: string;
}

/** What one rule found: changes, and notes for what it saw but does not change. */
export interface RuleOutcome {
  readonly rule: string;
  readonly changes: RuleChange[];
  readonly notes: string[];
}

/** A size in MiB as a JVM size string. */
export function mibText(mib: number): string {
  return mib % 1024 === 0 ? `${mib / 1024}g` : `${Math.round(mib)}m`;
}

/** Rounds a heap up to Spark's 64 MiB granularity used by the tuning. */
export function alignHeap(mib: number): number {
  return Math.ceil(mib / HEAP_GRANULARITY_MIB) * HEAP_GRANULARITY_MIB;
}

/**
 * The settings of the run. Properties the run set win; otherwise `fallback` (the tuned configuration of the
 * target). In local mode the driver JVM runs the tasks: its heap and `local[N]` cores are the executor's.
 */
export function runSettings(e: RunEvidence, fallback: { [key: string]: string }): RunSettings {
  const p = { ...fallback, ...e.properties };
  const local = isLocalRun(e);
  const localCores = /^local\[(\d+)/.exec(p['spark.master'] ?? '')?.[1];
  const cores = local
    ? Number(localCores ?? taskExecutors(e)[0]?.cores ?? 1)
    : Number(e.properties['spark.executor.cores'] ?? taskExecutors(e)[0]?.cores ?? p['spark.executor.cores'] ?? 1);
  const known = Object.keys(e.properties).length > 0;
  // A source without properties (a metrics file) ran with the configuration being tuned.
  const heap = jvmMiB(local && known ? (e.properties['spark.driver.memory'] ?? '1g') : p['spark.executor.memory']) ?? 1024;
  // Without properties, the reduce stages' task count is the partition count the run used.
  const reduceTasks = Math.max(0, ...e.stages.filter(x => x.shuffleReadBytes > 0).map(x => x.numTasks));
  const dynamic = !local && (p['spark.dynamicAllocation.enabled'] ?? 'false') === 'true';
  const max = dynamic ? p['spark.dynamicAllocation.maxExecutors'] : p['spark.executor.instances'];
  return {
    executorHeapMiB: heap,
    executorCores: cores,
    memoryFraction: Number(p['spark.memory.fraction'] ?? DEFAULT_MEMORY_FRACTION),
    shufflePartitions: Number(e.properties['spark.sql.shuffle.partitions'] ?? (known ? 200 : reduceTasks || p['spark.sql.shuffle.partitions'] || 200)),
    advisoryPartitionBytes: sizeBytes(p['spark.sql.adaptive.advisoryPartitionSizeInBytes']) ?? 64 * MIB,
    coalescePartitions: (p['spark.sql.adaptive.coalescePartitions.enabled'] ?? 'true') !== 'false' && (p['spark.sql.adaptive.enabled'] ?? 'true') !== 'false',
    dynamicAllocation: dynamic,
    maxExecutors: max !== undefined && /^\d+$/.test(max) ? Number(max) : undefined,
    skewFactor: Number(p['spark.sql.adaptive.skewJoin.skewedPartitionFactor'] ?? 5),
    skewThresholdBytes: sizeBytes(p['spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes']) ?? 256 * MIB,
    maxPartitionBytes: sizeBytes(p['spark.sql.files.maxPartitionBytes']) ?? DEFAULT_MAX_PARTITION_BYTES,
    openCostBytes: sizeBytes(p['spark.sql.files.openCostInBytes']) ?? DEFAULT_OPEN_COST_BYTES,
  };
}

/** Execution + storage memory of one task slot, MiB. */
export function unifiedPerTaskMiB(heapMiB: number, cores: number, fraction = DEFAULT_MEMORY_FRACTION): number {
  return Math.max(0, (heapMiB - RESERVED_HEAP_MIB) * fraction) / Math.max(1, cores);
}

/**
 * How many times the memory of the spilling tasks would have had to be to hold their data: per stage,
 * (peak execution memory + spilled in-memory bytes per task) / peak execution memory; the largest over stages.
 */
export function spillNeedFactor(stages: StageEvidence[]): { factor: number; stage?: StageEvidence } {
  let best: { factor: number; stage?: StageEvidence } = { factor: 1 };
  for (const s of stages) {
    if (s.memorySpilledBytes <= 0) continue;
    const peak = Math.max(s.maxTaskPeakExecutionMemoryBytes, 1 * MIB);
    const factor = 1 + s.memorySpilledBytes / Math.max(1, s.numTasks) / peak;
    if (factor > best.factor) best = { factor, stage: s };
  }
  return best;
}

/** The heap the executors need: grown on spill or memory kills, shrunk when the peak stays far below it. */
export interface HeapNeed {
  readonly heapMiB: number;
  readonly direction: 'grow' | 'shrink' | 'keep';
  readonly evidence: { [name: string]: number | string };
  readonly why: string;
}

/**
 * Rule `executor-memory`: grow the heap when tasks spilled or executors were killed for memory (by the spill
 * factor, at most ×2 per run; ×1.5 for memory kills without spill); shrink it to the peak JVM heap + 20% when
 * the peak stayed below 70% of the heap and nothing spilled (needs executor metrics in the log).
 */
export function executorHeapRule(e: RunEvidence, s: RunSettings): HeapNeed {
  const spill = spillTotals(e);
  const kills = taskExecutors(e).filter(x => x.killedForMemory).length;
  const { factor, stage } = spillNeedFactor(e.stages);
  const heap = s.executorHeapMiB;
  if (spill.memoryBytes > 0 || kills > 0 || e.memoryFailedTasks > 0) {
    const growth = Math.min(MAX_HEAP_GROWTH, Math.max(factor, kills + e.memoryFailedTasks > 0 ? 1.5 : 1.25));
    const heapMiB = alignHeap(RESERVED_HEAP_MIB + (heap - RESERVED_HEAP_MIB) * growth);
    return {
      heapMiB,
      direction: 'grow',
      evidence: {
        heapMiB: heap,
        memorySpilledBytes: spill.memoryBytes,
        diskSpilledBytes: spill.diskBytes,
        executorsKilledForMemory: kills,
        tasksFailedForMemory: e.memoryFailedTasks,
        ...(stage ? { worstStage: stage.stageId, worstStageNeedFactor: Number(factor.toFixed(2)) } : {}),
        growth: Number(growth.toFixed(2)),
      },
      why: `the run spilled ${spill.memoryBytes} B in memory (${spill.diskBytes} B on disk)`
        + `${kills ? `, ${kills} executor(s) were killed for memory` : ''}${e.memoryFailedTasks ? `, ${e.memoryFailedTasks} task(s) failed for memory` : ''}`
        + ` with a ${heap} MiB heap${stage ? `; stage ${stage.stageId}'s tasks needed ${factor.toFixed(2)}× their peak execution memory` : ''}:`
        + ` the unified region grows ×${growth.toFixed(2)} (heap ${heapMiB} MiB)`,
    };
  }
  const peaks = taskExecutors(e).map(x => x.peakJvmHeapBytes).filter((v): v is number => v !== undefined && v > 0);
  if (peaks.length > 0) {
    const peakMiB = Math.max(...peaks) / MIB;
    if (peakMiB < SHRINK_BELOW_SHARE * heap) {
      const heapMiB = Math.max(1024, alignHeap(peakMiB * HEADROOM));
      if (heapMiB < heap) {
        return {
          heapMiB,
          direction: 'shrink',
          evidence: { heapMiB: heap, peakJvmHeapMiB: Math.round(peakMiB), peakShare: Number((peakMiB / heap).toFixed(2)) },
          why: `no spill, and the peak JVM heap was ${Math.round(peakMiB)} MiB of ${heap} MiB (${Math.round(100 * peakMiB / heap)}% < ${100 * SHRINK_BELOW_SHARE}%): `
            + `heap cut to the peak + ${Math.round(100 * (HEADROOM - 1))}% (${heapMiB} MiB)`,
        };
      }
    }
  }
  return { heapMiB: heap, direction: 'keep', evidence: { heapMiB: heap }, why: 'no spill, no memory kills' };
}

/**
 * Rule `shuffle-partitions`: partitions and the AQE advisory size from the shuffle bytes of each stage.
 * Spilling reduce stages get partitions small enough to fit the new per-task memory (with 25% headroom), and an
 * advisory size no larger, so AQE does not coalesce them back. Otherwise about 128 MB per partition over the
 * largest shuffle, at least 2 per core; far too many tiny partitions are cut to that, and coalescing turned on.
 */
export function shufflePartitionsRule(e: RunEvidence, s: RunSettings, newHeapMiB: number, totalCores: number): RuleOutcome {
  const rule = 'shuffle-partitions';
  const reduce = e.stages.filter(x => x.shuffleReadBytes > 0);
  const changes: RuleChange[] = [];
  if (reduce.length === 0) return { rule, changes, notes: ['no stage read shuffle data: partitions left as tuned'] };
  const largest = reduce.reduce((a, b) => (b.shuffleReadBytes > a.shuffleReadBytes ? b : a));
  const roundToCores = (n: number) => Math.ceil(n / totalCores) * totalCores;
  const byCores = 2 * totalCores;
  const byBytes = Math.ceil(largest.shuffleReadBytes / (TARGET_PARTITION_MIB * MIB));
  const { factor, stage } = spillNeedFactor(reduce);
  if (stage) {
    // Bytes of shuffle per task that fit: the spilled tasks' bytes, scaled by memory gained over memory needed.
    const before = unifiedPerTaskMiB(s.executorHeapMiB, s.executorCores, s.memoryFraction);
    const after = unifiedPerTaskMiB(newHeapMiB, s.executorCores, s.memoryFraction);
    const bytesPerTask = stage.shuffleReadBytes / Math.max(1, stage.numTasks);
    const fitBytes = Math.max(TINY_PARTITION_BYTES, bytesPerTask * (after / Math.max(before, 1)) / (factor * 1.25));
    // The partitions the stage needs; the advisory size is their size. More partitions configured in the run (that
    // AQE coalesced) stay: they only give AQE finer pieces to coalesce up to the advisory size.
    const needed = roundToCores(Math.max(byCores, byBytes, Math.ceil(stage.shuffleReadBytes / fitBytes)));
    const partitions = Math.max(needed, s.shufflePartitions);
    const advisory = Math.max(TINY_PARTITION_BYTES, Math.floor(stage.shuffleReadBytes / needed / MIB) * MIB);
    const evidence = {
      stage: stage.stageId,
      stageShuffleReadBytes: stage.shuffleReadBytes,
      stageTasks: stage.numTasks,
      stageMemorySpilledBytes: stage.memorySpilledBytes,
      needFactor: Number(factor.toFixed(2)),
      shufflePartitions: s.shufflePartitions,
      unifiedPerTaskMiBBefore: Math.round(before),
      unifiedPerTaskMiBAfter: Math.round(after),
    };
    changes.push({
      key: 'spark.sql.shuffle.partitions',
      value: String(partitions),
      rule,
      evidence,
      reason: `stage ${stage.stageId} spilled ${stage.memorySpilledBytes} B reading ${stage.shuffleReadBytes} B in ${stage.numTasks} task(s) `
        + `(${factor.toFixed(2)}× their memory); ${needed} partitions of ~${advisory / MIB} MiB fit the `
        + `${Math.round(after)} MiB each task gets with 25% headroom${partitions > needed ? ` (the run's ${partitions} stay, coalesced by AQE to that size)` : ''}`,
    });
    changes.push({
      key: 'spark.sql.adaptive.advisoryPartitionSizeInBytes',
      value: `${advisory / MIB}m`,
      rule,
      evidence,
      reason: `AQE must not coalesce stage ${stage.stageId}'s partitions back above the ~${advisory / MIB} MiB that fit in memory`,
    });
    if (!s.coalescePartitions) {
      changes.push({ key: 'spark.sql.adaptive.coalescePartitions.enabled', value: 'true', rule, evidence, reason: 'AQE merges partitions that turn out small' });
    }
    return { rule, changes, notes: [] };
  }
  const wanted = roundToCores(Math.max(byCores, byBytes));
  const tiny = reduce.filter(x => x.numTasks >= 4 * wanted && x.medianTaskShuffleReadBytes < TINY_PARTITION_BYTES);
  const evidence = {
    largestShuffleStage: largest.stageId,
    largestShuffleReadBytes: largest.shuffleReadBytes,
    shufflePartitions: s.shufflePartitions,
    reduceTasks: largest.numTasks,
    medianTaskShuffleReadBytes: Math.round(largest.medianTaskShuffleReadBytes),
    totalCores,
  };
  if (tiny.length > 0) {
    const worst = tiny.reduce((a, b) => (b.numTasks > a.numTasks ? b : a));
    changes.push({
      key: 'spark.sql.shuffle.partitions',
      value: String(wanted),
      rule,
      evidence: { ...evidence, tinyStages: tiny.length },
      reason: `${tiny.length} stage(s) ran ${worst.numTasks} reduce tasks reading a median ${Math.round(worst.medianTaskShuffleReadBytes)} B each `
        + `(< ${TINY_PARTITION_BYTES / MIB} MiB): ${wanted} partitions = max(2 per core over ${totalCores} cores, ${byBytes} of ${TARGET_PARTITION_MIB} MiB)`,
    });
    if (!s.coalescePartitions) {
      changes.push({ key: 'spark.sql.adaptive.coalescePartitions.enabled', value: 'true', rule, evidence, reason: 'AQE coalescing was off in the run: merge the small partitions after each stage' });
    }
    return { rule, changes, notes: [] };
  }
  if (byBytes > 2 * s.shufflePartitions) {
    changes.push({
      key: 'spark.sql.shuffle.partitions',
      value: String(wanted),
      rule,
      evidence,
      reason: `stage ${largest.stageId} shuffled ${largest.shuffleReadBytes} B into ${s.shufflePartitions} partitions (${Math.round(largest.shuffleReadBytes / s.shufflePartitions / MIB)} MiB each): `
        + `${wanted} partitions of ~${TARGET_PARTITION_MIB} MiB`,
    });
  }
  return { rule, changes, notes: changes.length ? [] : ['shuffle partitions fit the shuffle sizes'] };
}

/**
 * Rule `skew`: stages whose largest task read ≥ 5× the median shuffle bytes (Spark's skew factor) or ran ≥ 10× the
 * median time for ≥ 5 s (Dataflint) get AQE's skew-join split tuned so those partitions qualify: the factor at
 * most half their ratio, the threshold at most half the largest partition (never below the advisory size).
 */
export function skewRule(e: RunEvidence, s: RunSettings, advisoryBytes: number): RuleOutcome {
  const rule = 'skew';
  const skewed = e.stages.filter(x => x.numTasks >= 2).map(x => {
    const taskRatio = x.maxTaskShuffleReadBytes / Math.max(x.medianTaskShuffleReadBytes, 1);
    // AQE coalesced the stage's partitions into fewer tasks: the median task is a bundle of partitions, while a task
    // above the advisory size is one partition. Spark's own test compares that partition with the median partition,
    // estimated as the rest of the stage's bytes over the rest of the partitions.
    const coalesced = s.coalescePartitions && x.shuffleReadBytes > 0 && x.numTasks < s.shufflePartitions;
    const partitionMedian = coalesced ? (x.shuffleReadBytes - x.maxTaskShuffleReadBytes) / (s.shufflePartitions - 1) : undefined;
    const dataRatio = partitionMedian !== undefined && taskRatio >= 2
      ? Math.max(taskRatio, x.maxTaskShuffleReadBytes / Math.max(partitionMedian, 1))
      : taskRatio;
    return { stage: x, dataRatio, partitionMedian, timeRatio: x.maxTaskTimeMs / Math.max(x.medianTaskTimeMs, 1) };
  }).filter(x => (x.dataRatio >= SKEW_RATIO && x.stage.maxTaskShuffleReadBytes >= advisoryBytes)
    || (x.timeRatio >= TIME_SKEW_RATIO && x.stage.maxTaskTimeMs >= TIME_SKEW_MIN_MS));
  if (skewed.length === 0) return { rule, changes: [], notes: ['no skewed stage'] };
  const worst = skewed.reduce((a, b) => (b.dataRatio > a.dataRatio ? b : a));
  const factor = Math.max(2, Math.min(s.skewFactor, Math.floor(worst.dataRatio / 2)));
  const threshold = Math.max(advisoryBytes, Math.min(s.skewThresholdBytes, Math.floor(worst.stage.maxTaskShuffleReadBytes / 2 / MIB) * MIB));
  const evidence = {
    skewedStages: skewed.map(x => x.stage.stageId).join(','),
    worstStage: worst.stage.stageId,
    maxTaskShuffleReadBytes: worst.stage.maxTaskShuffleReadBytes,
    medianTaskShuffleReadBytes: Math.round(worst.stage.medianTaskShuffleReadBytes),
    ...(worst.partitionMedian !== undefined ? {
      coalescedTasks: worst.stage.numTasks,
      shufflePartitions: s.shufflePartitions,
      medianPartitionBytesEstimate: Math.round(worst.partitionMedian),
    } : {}),
    dataRatio: Number(worst.dataRatio.toFixed(1)),
    timeRatio: Number(worst.timeRatio.toFixed(1)),
  };
  const median = worst.partitionMedian !== undefined
    ? `the ~${Math.round(worst.partitionMedian)} B median partition (${s.shufflePartitions} partitions coalesced by AQE into ${worst.stage.numTasks} tasks)`
    : 'the median';
  const what = `stage ${worst.stage.stageId}'s largest task read ${worst.stage.maxTaskShuffleReadBytes} B, ${worst.dataRatio.toFixed(1)}× ${median} (time ${worst.timeRatio.toFixed(1)}×)`;
  return {
    rule,
    changes: [
      { key: 'spark.sql.adaptive.skewJoin.enabled', value: 'true', rule, evidence, reason: `${what}: AQE splits skewed sort-merge join partitions` },
      { key: 'spark.sql.adaptive.skewJoin.skewedPartitionFactor', value: String(factor), rule, evidence, reason: `${what}: a factor of ${factor} (≤ half the ratio) catches it` },
      { key: 'spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes', value: `${threshold / MIB}m`, rule, evidence, reason: `${what}: a threshold of ${threshold / MIB} MiB (≤ half its size, ≥ the advisory size) catches it` },
      { key: 'spark.sql.adaptive.forceOptimizeSkewedJoin', value: 'true', rule, evidence, reason: 'split the skewed partitions even when that adds a shuffle' },
    ],
    notes: ['skew in an aggregation (not a join) is not split by AQE: salt the key in the job'],
  };
}

/**
 * The file splits Spark makes for a scan (FilePartition.maxSplitBytes and its packing), in closed form: every file
 * weighs its length + the open cost; a split holds up to min(maxPartitionBytes, max(openCost, total weight /
 * parallelism)). Small files fill splits evenly, so the count is the total weight over that size, rounded up.
 */
export function fileSplits(files: number, bytes: number, maxPartitionBytes: number, openCostBytes: number, parallelism: number): number {
  const weight = bytes + files * openCostBytes;
  const split = Math.min(maxPartitionBytes, Math.max(openCostBytes, weight / Math.max(1, parallelism)));
  return Math.max(1, Math.ceil(weight / split));
}

/**
 * Rule `file-scan`: a scan stage that read many files smaller than the open cost, in far more short tasks than the
 * cores need (≥ 2× the wanted count, median task < 5 s), gets a lower `spark.sql.files.openCostInBytes`, so each
 * split packs more files: the open cost at which the files weigh as much as the wanted splits of
 * `maxPartitionBytes`. Wanted: 2 splits per core, or more to keep splits at `maxPartitionBytes`. Needs the SQL scan
 * metrics (number and size of files read) of an event log.
 */
export function fileScanRule(e: RunEvidence, s: RunSettings, totalCores: number): RuleOutcome {
  const rule = 'file-scan';
  const scans = e.stages.filter(x => (x.filesRead ?? 0) > 0 && x.shuffleReadBytes === 0);
  if (scans.length === 0) {
    const why = e.stages.some(x => x.inputBytes > 0) ? 'the source carries no SQL scan metrics (files read): file splits left as tuned' : 'no stage scanned files';
    return { rule, changes: [], notes: [why] };
  }
  const roundToCores = (n: number) => Math.ceil(n / totalCores) * totalCores;
  const judged = scans.map(x => {
    const files = x.filesRead!;
    const bytes = x.fileBytesRead ?? x.inputBytes;
    const wanted = roundToCores(Math.max(2 * totalCores, Math.ceil(bytes / s.maxPartitionBytes)));
    return { stage: x, files, bytes, wanted, meanFileBytes: bytes / files };
  });
  const small = judged.filter(x => x.meanFileBytes < s.openCostBytes && x.stage.numTasks >= 2 * x.wanted
    && x.stage.medianTaskTimeMs < SHORT_SCAN_TASK_MS);
  if (small.length === 0) return { rule, changes: [], notes: ['file scans split fit the cores: no stage of many short tasks over small files'] };
  const worst = small.reduce((a, b) => (b.stage.numTasks / b.wanted > a.stage.numTasks / a.wanted ? b : a));
  // The open cost at which the files weigh exactly `wanted` full splits.
  const exact = (worst.wanted * s.maxPartitionBytes - worst.bytes) / worst.files;
  const openCost = Math.max(MIN_OPEN_COST_BYTES, Math.floor(exact / 1024) * 1024);
  if (openCost >= s.openCostBytes) return { rule, changes: [], notes: [`stage ${worst.stage.stageId} has small files, but the open cost is already ${s.openCostBytes} B`] };
  const expected = fileSplits(worst.files, worst.bytes, s.maxPartitionBytes, openCost, totalCores);
  const evidence = {
    stage: worst.stage.stageId,
    scanTasks: worst.stage.numTasks,
    filesRead: worst.files,
    fileBytesRead: worst.bytes,
    meanFileBytes: Math.round(worst.meanFileBytes),
    medianTaskTimeMs: Math.round(worst.stage.medianTaskTimeMs),
    totalCores,
    openCostInBytes: s.openCostBytes,
    maxPartitionBytes: s.maxPartitionBytes,
  };
  return {
    rule,
    changes: [{
      key: 'spark.sql.files.openCostInBytes',
      value: `${openCost / 1024}k`,
      rule,
      evidence,
      reason: `stage ${worst.stage.stageId} read ${worst.files} files of ${Math.round(worst.meanFileBytes)} B on average (< the ${s.openCostBytes} B open cost) `
        + `in ${worst.stage.numTasks} tasks of a median ${Math.round(worst.stage.medianTaskTimeMs)} ms on ${totalCores} cores: an open cost of `
        + `${openCost / 1024} KiB packs them into ~${expected} splits of up to ${s.maxPartitionBytes / MIB} MiB (wanted ${worst.wanted}: 2 per core)`,
    }],
    notes: [],
  };
}

/**
 * Rule `executor-count`: the dynamic allocation cap (or fixed count) from the task slots the run used over time.
 * Held slots idle above 50% with the busiest moment using under half of them: cap at the peak concurrent tasks'
 * executors. Every slot busy at the cap with stages of more than two waves: double the cap (at most two waves).
 */
export function executorCountRule(e: RunEvidence, s: RunSettings, floor: number, capacity?: number): RuleOutcome {
  const rule = 'executor-count';
  if (isLocalRun(e)) return { rule, changes: [], notes: ['local run: one JVM runs every task, no executors to scale'] };
  const key = s.dynamicAllocation ? 'spark.dynamicAllocation.maxExecutors' : 'spark.executor.instances';
  const cores = Math.max(1, s.executorCores);
  const idle = idleSlotShare(e);
  const executorsAtPeak = peakLiveExecutors(e);
  const evidence = {
    idleSlotShare: Number(idle.toFixed(2)),
    heldSlotHours: Number((heldSlotMs(e) / 3.6e6).toFixed(3)),
    busySlotHours: Number((e.busySlotMs / 3.6e6).toFixed(3)),
    peakConcurrentTasks: e.peakConcurrentTasks,
    peakExecutors: executorsAtPeak,
    executorCores: cores,
    current: s.maxExecutors ?? 'unbounded',
  };
  const needed = Math.max(floor, Math.ceil(e.peakConcurrentTasks / cores));
  if (idle > IDLE_SHARE && e.peakConcurrentTasks < 0.5 * executorsAtPeak * cores && needed < (s.maxExecutors ?? Infinity)) {
    return {
      rule,
      changes: [{ key, value: String(needed), rule, evidence, reason: `${Math.round(100 * idle)}% of the held task slots sat idle and at most ${e.peakConcurrentTasks} tasks ran at once on ${executorsAtPeak} executors: ${needed} executors of ${cores} cores hold them` }],
      notes: [],
    };
  }
  const biggest = Math.max(0, ...e.stages.map(x => x.numTasks));
  const cap = s.maxExecutors ?? executorsAtPeak;
  if (idle < 0.2 && executorsAtPeak >= cap && e.peakConcurrentTasks >= cap * cores && biggest > 2 * cap * cores) {
    const wanted = Math.min(2 * cap, Math.ceil(biggest / (2 * cores)), capacity ?? Infinity);
    if (wanted > cap) {
      return {
        rule,
        changes: [{ key, value: String(wanted), rule, evidence: { ...evidence, largestStageTasks: biggest }, reason: `every slot was busy at the cap of ${cap} executors and the largest stage ran ${biggest} tasks (${(biggest / (cap * cores)).toFixed(1)} waves): ${wanted} executors (at most 2 waves, at most ×2 per run)` }],
        notes: [],
      };
    }
  }
  return { rule, changes: [], notes: [`executor count fits: ${Math.round(100 * idle)}% idle slots, ${e.peakConcurrentTasks} tasks at the peak`] };
}

/** Most task executors alive at one time. */
export function peakLiveExecutors(e: RunEvidence): number {
  return peakOverlap(taskExecutors(e).map((x): [number, number] => [x.addedMs, x.removedMs ?? e.endMs]));
}

/** The container memory a heap needs with the overhead rule, MiB. */
export function containerFor(heapMiB: number, overheadFactor: number): number {
  return heapMiB + Math.max(MIN_MEMORY_OVERHEAD_MIB, Math.ceil(overheadFactor * heapMiB));
}

/** A worker size chosen by the EMR Serverless worker rule. */
export interface WorkerChoice {
  readonly cpu: number;
  readonly memoryGb: number;
  readonly why: string;
}

/**
 * Rule `emr-worker-size`: the EMR Serverless worker for a heap need at `cpu` vCPU, within the worker rules
 * (1–16 vCPU, each with its memory range and step). The smallest valid memory that holds heap + overhead; when
 * even the largest worker of that vCPU cannot, fewer vCPU per worker (more, smaller workers) with the same memory
 * per task, down to the size that fits.
 */
export function emrWorkerFor(heapMiB: number, cpu: number, overheadFactor: number): WorkerChoice {
  const rules = emrWorkerRules();
  const perCoreUnified = (heapMiB - RESERVED_HEAP_MIB) / cpu;
  for (const rule of rules.filter(r => r.cpu <= cpu).sort((a, b) => b.cpu - a.cpu)) {
    const heap = rule.cpu === cpu ? heapMiB : alignHeap(RESERVED_HEAP_MIB + perCoreUnified * rule.cpu);
    const needGb = containerFor(heap, overheadFactor) / 1024;
    if (needGb <= rule.maxMemoryGb) {
      const steps = Math.max(0, Math.ceil((needGb - rule.minMemoryGb) / rule.memoryStepGb - 1e-9));
      const memoryGb = rule.minMemoryGb + steps * rule.memoryStepGb;
      const why = rule.cpu === cpu
        ? `a ${heap} MiB heap + overhead needs ${needGb.toFixed(2)} GB: the smallest ${cpu}-vCPU worker that holds it has ${memoryGb} GB`
        : `a ${heapMiB} MiB heap on ${cpu} vCPU does not fit the largest ${cpu}-vCPU worker; ${rule.cpu}-vCPU workers with the same memory per task (${heap} MiB heap) fit in ${memoryGb} GB: more, smaller workers`;
      return { cpu: rule.cpu, memoryGb, why };
    }
  }
  const smallest = rules[0];
  return { cpu: smallest.cpu, memoryGb: smallest.maxMemoryGb, why: `even a 1-vCPU worker cannot hold ${perCoreUnified.toFixed(0)} MiB per task: the largest 1-vCPU worker; raise the partitions` };
}
