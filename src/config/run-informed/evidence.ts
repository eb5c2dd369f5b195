/**
 * What one Spark run did, as read from its event log, our jobs' `_metrics.json` or an EMR Serverless job run:
 * the numbers the run-informed rules decide from. Every field is a plain number in the unit its name says.
 */

/** One stage attempt of the run. */
export interface StageEvidence {
  readonly stageId: number;
  readonly attemptId: number;
  readonly name: string;
  /** Tasks of the attempt. */
  readonly numTasks: number;
  readonly numFailedTasks: number;
  /** Submission to completion, ms (0 when unknown). */
  readonly durationMs: number;
  /** Sum of the tasks' executor run time, ms. */
  readonly taskTimeMs: number;
  /** Longest task run time, ms. */
  readonly maxTaskTimeMs: number;
  /** Median task run time, ms. */
  readonly medianTaskTimeMs: number;
  readonly inputBytes: number;
  readonly shuffleReadBytes: number;
  readonly shuffleWriteBytes: number;
  /** Largest shuffle read of one task, bytes. */
  readonly maxTaskShuffleReadBytes: number;
  /** Median shuffle read of one task, bytes. */
  readonly medianTaskShuffleReadBytes: number;
  /** In-memory size of what was spilled (Spark's "Memory Bytes Spilled"). */
  readonly memorySpilledBytes: number;
  /** On-disk size of what was spilled. */
  readonly diskSpilledBytes: number;
  /** Largest peak execution memory of one task, bytes. */
  readonly maxTaskPeakExecutionMemoryBytes: number;
  /**
   * Files the stage's file scans read (Spark SQL's "number of files read"); undefined when the source carries no
   * SQL scan metrics or the stage scanned no files.
   */
  readonly filesRead?: number;
  /** Bytes of those files (Spark SQL's "size of files read"). */
  readonly fileBytesRead?: number;
}

/** One executor (in local mode, the driver JVM that runs the tasks). */
export interface ExecutorEvidence {
  readonly executorId: string;
  readonly cores: number;
  /** When it was added, epoch ms. */
  readonly addedMs: number;
  /** When it was removed, epoch ms (undefined: lived to the end of the run). */
  readonly removedMs?: number;
  /** Why it was removed, as Spark wrote it. */
  readonly removedReason?: string;
  /** Peak JVM heap used, bytes (when the log carries executor metrics). */
  readonly peakJvmHeapBytes?: number;
  /** Peak JVM off-heap (metaspace, code cache, direct buffers), bytes. */
  readonly peakJvmOffHeapBytes?: number;
  /** Peak resident memory of its Python workers, bytes (needs spark.executor.processTreeMetrics.enabled). */
  readonly peakPythonRssBytes?: number;
  /** The executor was killed for memory (OOM, cgroup limit, exit code 137/143 with a memory message). */
  readonly killedForMemory: boolean;
}

/** Where the evidence came from. */
export enum EvidenceSourceKind {
  EVENT_LOG = 'event-log',
  METRICS_FILE = 'metrics-file',
}

/** Everything a run-informed rule may look at. */
export interface RunEvidence {
  /** The path, URI or job run the evidence was read from. */
  readonly source: string;
  readonly sourceKind: EvidenceSourceKind;
  readonly applicationId: string;
  readonly sparkVersion: string;
  /** Application start and end, epoch ms. */
  readonly startMs: number;
  readonly endMs: number;
  /** The Spark properties the run had (empty when the source does not carry them). */
  readonly properties: { readonly [key: string]: string };
  readonly executors: ExecutorEvidence[];
  readonly stages: StageEvidence[];
  /** Most tasks that ran at the same time. */
  readonly peakConcurrentTasks: number;
  /** Sum of all task run times, ms (slot time used). */
  readonly busySlotMs: number;
  /** Tasks that failed because their executor ran out of memory. */
  readonly memoryFailedTasks: number;
}

/** Wall time of the run, ms. */
export function wallMs(e: RunEvidence): number {
  return Math.max(0, e.endMs - e.startMs);
}

/** The executors that ran tasks: the non-driver ones, or the driver alone in local mode. */
export function taskExecutors(e: RunEvidence): ExecutorEvidence[] {
  const workers = e.executors.filter(x => x.executorId !== 'driver');
  return workers.length > 0 ? workers : e.executors;
}

/** Whether the run was local mode (the driver JVM ran the tasks). */
export function isLocalRun(e: RunEvidence): boolean {
  return (e.properties['spark.master'] ?? '').startsWith('local') || e.executors.every(x => x.executorId === 'driver');
}

/** Slot time held by the task executors, ms: cores × lifetime. */
export function heldSlotMs(e: RunEvidence): number {
  return taskExecutors(e).reduce((sum, x) => sum + x.cores * Math.max(0, (x.removedMs ?? e.endMs) - x.addedMs), 0);
}

/** Share of held task slots that ran no task, 0..1. */
export function idleSlotShare(e: RunEvidence): number {
  const held = heldSlotMs(e);
  return held > 0 ? Math.max(0, 1 - e.busySlotMs / held) : 0;
}

/** Memory + disk spill totals over the run. */
export function spillTotals(e: RunEvidence): { memoryBytes: number; diskBytes: number } {
  return {
    memoryBytes: e.stages.reduce((s, x) => s + x.memorySpilledBytes, 0),
    diskBytes: e.stages.reduce((s, x) => s + x.diskSpilledBytes, 0),
  };
}

/** Sum of task run times over stages, ms (Spark's own "total task time"). */
export function totalTaskTimeMs(e: RunEvidence): number {
  return e.stages.reduce((s, x) => s + x.taskTimeMs, 0);
}
