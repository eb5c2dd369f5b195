import { EvidenceSourceKind, ExecutorEvidence, RunEvidence, StageEvidence } from '../config/run-informed/evidence';
import { median, peakOverlap } from '../config/run-informed/stats';

/** A source the run-informed tuning cannot use: printed as one line, exit code 2. */
export class EvidenceError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'EvidenceError';
  }
}

/** Spark lines whose event log layout the reader knows (JsonProtocol of 3.x and 4.x). */
export const SUPPORTED_EVENT_LOG_MAJORS = [3, 4];

/** A removal or failure message that says the executor ran out of memory. */
const MEMORY_KILL = /OutOfMemoryError|OOMKilled|exit code 137|exit status 137|exceed(?:ed|ing)? memory limits|Container killed .*memory|memory limit/i;

interface StageAcc {
  name: string;
  numTasks: number;
  failed: number;
  submitted?: number;
  completed?: number;
  times: number[];
  reads: number[];
  input: number;
  read: number;
  write: number;
  memSpill: number;
  diskSpill: number;
  peakExec: number;
}

/** One file scan of a SQL plan: its driver-side file metrics and the ids of all its metrics. */
interface ScanAcc {
  filesId?: number;
  bytesId?: number;
}

interface ExecAcc {
  cores: number;
  added: number;
  removed?: number;
  reason?: string;
  heap?: number;
  offHeap?: number;
  python?: number;
  memoryKill: boolean;
}

function num(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : (value as number);
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

function maxDefined(a: number | undefined, b: unknown): number | undefined {
  const v = num(b);
  if (b === undefined || v <= 0) return a;
  return a === undefined ? v : Math.max(a, v);
}

/**
 * Reads the evidence out of the lines of one application's event log (JsonProtocol, one event per line).
 * Refuses a log that is cut off (a partial last line, no SparkListenerApplicationEnd), of a Spark version the
 * reader does not know, or not an event log at all.
 */
export function evidenceFromEventLog(text: string, source: string): RunEvidence {
  const lines = text.split('\n');
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new EvidenceError(`${source}: the event log is empty`);
  let sparkVersion: string | undefined;
  let applicationId = '';
  let startMs: number | undefined;
  let endMs: number | undefined;
  let properties: Record<string, string> = {};
  const stages = new Map<string, StageAcc>();
  const executors = new Map<string, ExecAcc>();
  const intervals: Array<[number, number]> = [];
  // SQL file scans: accumulator id -> scan, driver-side values by id, and the scans each stage's tasks ran.
  const scanOfMetric = new Map<number, ScanAcc>();
  const driverValues = new Map<number, number>();
  const stageScans = new Map<string, Set<ScanAcc>>();
  let busySlotMs = 0;
  let memoryFailedTasks = 0;
  const stageOf = (id: number, attempt: number) => {
    const key = `${id}:${attempt}`;
    let s = stages.get(key);
    if (!s) {
      s = { name: '', numTasks: 0, failed: 0, times: [], reads: [], input: 0, read: 0, write: 0, memSpill: 0, diskSpill: 0, peakExec: 0 };
      stages.set(key, s);
    }
    return s;
  };
  const executorOf = (id: string, at: number) => {
    let x = executors.get(id);
    if (!x) {
      x = { cores: 0, added: at, memoryKill: false };
      executors.set(id, x);
    }
    return x;
  };
  const peaks = (x: ExecAcc, m: any) => {
    if (!m || typeof m !== 'object') return;
    x.heap = maxDefined(x.heap, m.JVMHeapMemory);
    x.offHeap = maxDefined(x.offHeap, m.JVMOffHeapMemory);
    x.python = maxDefined(x.python, m.ProcessTreePythonRSSMemory);
  };

  const scansOf = (plan: any) => {
    if (!plan || typeof plan !== 'object') return;
    const metrics: any[] = Array.isArray(plan.metrics) ? plan.metrics : [];
    const files = metrics.find(m => m.name === 'number of files read');
    if (files) {
      const ids = metrics.map(m => num(m.accumulatorId));
      const scan = scanOfMetric.get(num(files.accumulatorId)) ?? {
        filesId: num(files.accumulatorId),
        bytesId: metrics.find(m => m.name === 'size of files read')?.accumulatorId,
      };
      for (const id of ids) scanOfMetric.set(id, scan);
    }
    for (const child of Array.isArray(plan.children) ? plan.children : []) scansOf(child);
  };

  lines.forEach((line, i) => {
    let event: any;
    try {
      event = JSON.parse(line);
    } catch {
      const where = i === lines.length - 1 ? 'its last line is cut off' : `line ${i + 1} is not JSON`;
      throw new EvidenceError(`${source}: the event log is truncated or corrupt (${where}); give the complete log of a finished run`);
    }
    const at = num(event.Timestamp);
    switch (event.Event) {
      case 'SparkListenerLogStart':
        sparkVersion = String(event['Spark Version'] ?? '');
        break;
      case 'SparkListenerApplicationStart':
        applicationId = String(event['App ID'] ?? '');
        startMs = at;
        break;
      case 'SparkListenerApplicationEnd':
        endMs = at;
        break;
      case 'SparkListenerEnvironmentUpdate':
        properties = Array.isArray(event['Spark Properties'])
          ? Object.fromEntries(event['Spark Properties'])
          : { ...(event['Spark Properties'] ?? {}) };
        break;
      case 'SparkListenerExecutorAdded': {
        const x = executorOf(String(event['Executor ID']), at);
        x.added = at;
        x.cores = num(event['Executor Info']?.['Total Cores']);
        break;
      }
      case 'SparkListenerExecutorRemoved': {
        const x = executorOf(String(event['Executor ID']), at);
        x.removed = at;
        x.reason = String(event['Removed Reason'] ?? '');
        x.memoryKill = x.memoryKill || MEMORY_KILL.test(x.reason);
        break;
      }
      case 'SparkListenerStageSubmitted':
      case 'SparkListenerStageCompleted': {
        const info = event['Stage Info'] ?? {};
        const s = stageOf(num(info['Stage ID']), num(info['Stage Attempt ID']));
        s.name = String(info['Stage Name'] ?? s.name);
        s.numTasks = num(info['Number of Tasks']);
        s.submitted = info['Submission Time'] ?? s.submitted;
        s.completed = info['Completion Time'] ?? s.completed;
        break;
      }
      case 'org.apache.spark.sql.execution.ui.SparkListenerSQLExecutionStart':
      case 'org.apache.spark.sql.execution.ui.SparkListenerSQLAdaptiveExecutionUpdate':
        scansOf(event.sparkPlanInfo);
        break;
      case 'org.apache.spark.sql.execution.ui.SparkListenerDriverAccumUpdates':
        for (const pair of Array.isArray(event.accumUpdates) ? event.accumUpdates : []) {
          if (Array.isArray(pair) && scanOfMetric.has(num(pair[0]))) driverValues.set(num(pair[0]), num(pair[1]));
        }
        break;
      case 'SparkListenerStageExecutorMetrics':
        peaks(executorOf(String(event['Executor ID']), 0), event['Executor Metrics']);
        break;
      case 'SparkListenerTaskEnd': {
        const info = event['Task Info'] ?? {};
        const s = stageOf(num(event['Stage ID']), num(event['Stage Attempt ID']));
        const executor = executorOf(String(info['Executor ID'] ?? 'driver'), num(info['Launch Time']));
        peaks(executor, event['Task Executor Metrics']);
        for (const a of Array.isArray(info.Accumulables) ? info.Accumulables : []) {
          const scan = scanOfMetric.get(num(a.ID));
          if (!scan) continue;
          const key = `${num(event['Stage ID'])}:${num(event['Stage Attempt ID'])}`;
          stageScans.set(key, (stageScans.get(key) ?? new Set()).add(scan));
        }
        const reason = event['Task End Reason'] ?? {};
        if (reason.Reason !== 'Success') {
          s.failed += 1;
          const failure = `${reason['Class Name'] ?? ''} ${reason.Description ?? ''} ${reason['Loss Reason'] ?? ''} ${reason['Full Stack Trace'] ?? ''}`;
          if (MEMORY_KILL.test(failure)) memoryFailedTasks += 1;
        }
        const m = event['Task Metrics'];
        if (!m) break;
        const runTime = num(m['Executor Run Time']);
        // The slot is held while the executor works on the task; the driver's Finish Time also counts fetching the
        // result, which overlaps the next task in the same slot.
        const launch = num(info['Launch Time']);
        if (launch > 0) intervals.push([launch, launch + num(m['Executor Deserialize Time']) + runTime]);
        busySlotMs += runTime;
        s.times.push(runTime);
        const r = m['Shuffle Read Metrics'] ?? {};
        const read = num(r['Remote Bytes Read']) + num(r['Local Bytes Read']);
        s.reads.push(read);
        s.read += read;
        s.write += num(m['Shuffle Write Metrics']?.['Shuffle Bytes Written']);
        s.input += num(m['Input Metrics']?.['Bytes Read']);
        s.memSpill += num(m['Memory Bytes Spilled']);
        s.diskSpill += num(m['Disk Bytes Spilled']);
        s.peakExec = Math.max(s.peakExec, num(m['Peak Execution Memory']));
        break;
      }
      default:
        break;
    }
  });

  if (sparkVersion === undefined) {
    throw new EvidenceError(`${source}: not a Spark event log (no SparkListenerLogStart event on its first line)`);
  }
  const major = Number(sparkVersion.split('.')[0]);
  if (!SUPPORTED_EVENT_LOG_MAJORS.includes(major)) {
    throw new EvidenceError(`${source}: the event log is of Spark ${sparkVersion}; supported are Spark ${SUPPORTED_EVENT_LOG_MAJORS.map(m => `${m}.x`).join(' and ')}`);
  }
  if (endMs === undefined) {
    throw new EvidenceError(`${source}: the event log has no SparkListenerApplicationEnd: the run is still running or its log was cut off; tune from a finished run`);
  }
  const start = startMs ?? Math.min(...[...executors.values()].map(x => x.added), endMs);
  return {
    source,
    sourceKind: EvidenceSourceKind.EVENT_LOG,
    applicationId,
    sparkVersion,
    startMs: start,
    endMs,
    properties,
    executors: [...executors.entries()].map(([id, x]): ExecutorEvidence => ({
      executorId: id,
      cores: x.cores,
      addedMs: x.added || start,
      removedMs: x.removed,
      removedReason: x.reason,
      peakJvmHeapBytes: x.heap,
      peakJvmOffHeapBytes: x.offHeap,
      peakPythonRssBytes: x.python,
      killedForMemory: x.memoryKill,
    })),
    stages: [...stages.entries()].filter(([, s]) => s.times.length > 0).map(([key, s]): StageEvidence => {
      const [stageId, attemptId] = key.split(':').map(Number);
      return {
        stageId,
        attemptId,
        name: s.name,
        numTasks: s.numTasks || s.times.length,
        numFailedTasks: s.failed,
        durationMs: s.submitted !== undefined && s.completed !== undefined ? s.completed - s.submitted : 0,
        taskTimeMs: s.times.reduce((a, b) => a + b, 0),
        maxTaskTimeMs: Math.max(...s.times),
        medianTaskTimeMs: median(s.times),
        inputBytes: s.input,
        shuffleReadBytes: s.read,
        shuffleWriteBytes: s.write,
        maxTaskShuffleReadBytes: Math.max(0, ...s.reads),
        medianTaskShuffleReadBytes: median(s.reads),
        memorySpilledBytes: s.memSpill,
        diskSpilledBytes: s.diskSpill,
        maxTaskPeakExecutionMemoryBytes: s.peakExec,
        ...scanFiles(stageScans.get(key), driverValues),
      };
    }).sort((a, b) => a.stageId - b.stageId || a.attemptId - b.attemptId),
    peakConcurrentTasks: peakOverlap(intervals),
    busySlotMs,
    memoryFailedTasks,
  };
}

/** The files a stage's scans read, from the driver-side SQL metrics of the scans its tasks reported. */
function scanFiles(scans: Set<ScanAcc> | undefined, values: Map<number, number>): { filesRead?: number; fileBytesRead?: number } {
  const read = [...(scans ?? [])].filter(x => x.filesId !== undefined && values.has(x.filesId));
  if (read.length === 0) return {};
  return {
    filesRead: read.reduce((sum, x) => sum + values.get(x.filesId!)!, 0),
    fileBytesRead: read.reduce((sum, x) => sum + (x.bytesId !== undefined ? values.get(num(x.bytesId)) ?? 0 : 0), 0),
  };
}
