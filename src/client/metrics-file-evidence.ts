import { EvidenceError } from './event-log-evidence';
import { EvidenceSourceKind, ExecutorEvidence, RunEvidence, StageEvidence } from '../config/run-informed/evidence';

function ms(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value !== '') {
    const asNumber = Number(value);
    if (Number.isFinite(asNumber)) return asNumber;
    const parsed = Date.parse(value.replace(/GMT$/, 'Z'));
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

function n(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

/**
 * Reads the evidence out of our jobs' `_metrics.json` (written by `SparkExecutionMetrics.export_metrics`): one
 * record per stage attempt with Spark's sums and min/median/max task numbers, and every executor with its peak
 * memory metrics. It carries no Spark properties; the rules then compare against the tuned configuration.
 */
export function evidenceFromMetricsFile(text: string, source: string): RunEvidence {
  let doc: any;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new EvidenceError(`${source}: not valid JSON (truncated or not a _metrics.json)`);
  }
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.executions) || !Array.isArray(doc.executors)) {
    throw new EvidenceError(`${source}: not a _metrics.json of our jobs (expected executions and executors)`);
  }
  const version = String(doc.spark_version ?? '');
  if (!/^[34]\./.test(version)) {
    throw new EvidenceError(`${source}: metrics of Spark '${version}'; supported are Spark 3.x and 4.x`);
  }
  if (doc.executions.some((e: any) => e.complete === false)) {
    throw new EvidenceError(`${source}: an execution is marked incomplete (the listener had not caught up); its numbers cannot be trusted`);
  }
  const stages: StageEvidence[] = [];
  let first = Infinity;
  let last = 0;
  for (const execution of doc.executions) {
    for (const s of execution.stages ?? []) {
      if (s.status === 'SKIPPED') continue;
      const submitted = ms(s.submission_time_ms);
      const completed = ms(s.completion_time_ms);
      if (s.status === 'ACTIVE' || s.status === 'PENDING') {
        throw new EvidenceError(`${source}: stage ${s.stage_id} is ${s.status}: the run had not finished when the metrics were written`);
      }
      if (submitted !== undefined) first = Math.min(first, submitted);
      if (completed !== undefined) last = Math.max(last, completed);
      stages.push({
        stageId: n(s.stage_id),
        attemptId: n(s.attempt_id),
        name: String(s.name ?? ''),
        numTasks: n(s.num_tasks),
        numFailedTasks: n(s.num_failed_tasks),
        durationMs: n(s.duration_ms),
        taskTimeMs: n(s.executor_run_time_ms),
        maxTaskTimeMs: n(s.task_run_time_ms_max),
        medianTaskTimeMs: n(s.task_run_time_ms_median),
        inputBytes: n(s.input_bytes),
        shuffleReadBytes: n(s.shuffle_read_bytes),
        shuffleWriteBytes: n(s.shuffle_write_bytes),
        maxTaskShuffleReadBytes: n(s.task_shuffle_read_bytes_max),
        medianTaskShuffleReadBytes: n(s.task_shuffle_read_bytes_median),
        memorySpilledBytes: n(s.memory_bytes_spilled),
        diskSpilledBytes: n(s.disk_bytes_spilled),
        maxTaskPeakExecutionMemoryBytes: n(s.task_peak_execution_memory_max),
      });
    }
  }
  const executors: ExecutorEvidence[] = doc.executors.map((e: any) => {
    const peak = e.peak_memory_metrics ?? {};
    return {
      executorId: String(e.executor_id),
      cores: n(e.total_cores),
      addedMs: ms(e.add_time_ms) ?? (Number.isFinite(first) ? first : 0),
      removedMs: ms(e.remove_time_ms),
      peakJvmHeapBytes: peak.JVMHeapMemory || undefined,
      peakJvmOffHeapBytes: peak.JVMOffHeapMemory || undefined,
      peakPythonRssBytes: peak.ProcessTreePythonRSSMemory || undefined,
      killedForMemory: false,
    };
  });
  const start = Math.min(first, ...executors.map(x => x.addedMs));
  const workers = executors.filter(x => x.executorId !== 'driver');
  const cores = (workers.length ? workers : executors).reduce((s, x) => s + x.cores, 0);
  return {
    source,
    sourceKind: EvidenceSourceKind.METRICS_FILE,
    applicationId: String(doc.application_id ?? ''),
    sparkVersion: version,
    startMs: Number.isFinite(start) ? start : 0,
    endMs: last,
    properties: {},
    executors,
    stages,
    // The file keeps no task timeline: the busiest stage ran at most min(its tasks, all cores) at once.
    peakConcurrentTasks: Math.min(cores || Infinity, Math.max(0, ...stages.map(s => s.numTasks))),
    busySlotMs: stages.reduce((sum, s) => sum + s.taskTimeMs, 0),
    memoryFailedTasks: 0,
  };
}
