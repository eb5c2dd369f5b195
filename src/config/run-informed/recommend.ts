import { RunRecommendation } from './apply-recommendation';
import { isLocalRun, RunEvidence } from './evidence';
import { ResourceHours } from './prices';
import {
  containerFor, emrWorkerFor, executorCountRule, executorHeapRule, fileScanRule, HeapNeed, peakLiveExecutors, RuleChange,
  RuleOutcome, runSettings, RunSettings, shufflePartitionsRule, skewRule,
} from './rules';
import { EMR_DEFAULT_INITIAL_EXECUTORS } from '../emr-serverless-rules';
import { parseSizeMiB } from '../sizes';
import { SparkConfiguration } from '../spark-configuration';
import { NON_JVM_OVERHEAD_FACTOR, JVM_OVERHEAD_FACTOR } from '../tuning-rules';
import { DeploymentTarget, SparkTuningProps, WorkerShape } from '../types';

/** What `recommendFromRun` found and advises. */
export interface RunAdvice {
  /** For `SparkConfiguration.tune({ ..., fromRecommendation })`. */
  readonly recommendation: RunRecommendation;
  /** Every changed key with its rule and evidence. */
  readonly changes: RuleChange[];
  /** What the rules saw but did not change. */
  readonly notes: string[];
  /** The settings the run had (or the tuned ones where the source does not say). */
  readonly settings: RunSettings;
  /** The executor memory decision. */
  readonly heap: HeapNeed;
}

const RULE_MEMORY = 'executor-memory';

function evidenceText(evidence: { [k: string]: number | string }): string {
  return Object.entries(evidence).map(([k, v]) => `${k}=${v}`).join(', ');
}

/** The pod for a heap on Kubernetes: heap + overhead, rounded up to 128 MiB. */
function podFor(heapMiB: number, cpu: number, factor: number): WorkerShape {
  return { cpu, memoryGb: Math.ceil(containerFor(heapMiB, factor) / 128) / 8 };
}

/**
 * The run-informed rules over one run's evidence, relative to the configuration `props` tunes: executor memory
 * (and with it the worker or pod), shuffle partitions and advisory size, skew-join settings and the executor count.
 */
export function recommendFromRun(e: RunEvidence, props: SparkTuningProps): RunAdvice {
  const base = SparkConfiguration.tune(props);
  const settings = runSettings(e, base.properties());
  const isEmr = props.target === DeploymentTarget.EMR_SERVERLESS;
  const factor = props.pythonHeavy ? NON_JVM_OVERHEAD_FACTOR : JVM_OVERHEAD_FACTOR;
  const heap = executorHeapRule(e, settings);
  const changes: RuleChange[] = [];
  const notes: string[] = [];
  let executor: WorkerShape | undefined;
  const tunedHeap = base.executor.heapMiB;
  const wantsChange = (heap.direction === 'grow' && heap.heapMiB > tunedHeap) || (heap.direction === 'shrink' && heap.heapMiB < tunedHeap);
  if (wantsChange) {
    let why: string;
    if (isEmr) {
      const choice = emrWorkerFor(heap.heapMiB, props.executor.cpu, factor);
      executor = { ...props.executor, cpu: choice.cpu, memoryGb: choice.memoryGb };
      why = choice.why;
    } else {
      executor = { ...props.executor, ...podFor(heap.heapMiB, props.executor.cpu, factor) };
      why = `the pod holds heap + overhead: ${executor.memoryGb} GB`;
    }
    const next = SparkConfiguration.tune({ ...props, executor });
    changes.push({ key: 'spark.executor.memory', value: next.executor.memory, rule: RULE_MEMORY, evidence: heap.evidence, reason: `${heap.why}; ${why}` });
    if (executor.cpu !== props.executor.cpu) {
      changes.push({ key: 'spark.executor.cores', value: String(executor.cpu), rule: 'emr-worker-size', evidence: heap.evidence, reason: why });
    }
  } else if (heap.direction !== 'keep') {
    notes.push(`${heap.why}; the tuned heap (${tunedHeap} MiB) already covers it`);
  }
  const shape = executor ?? props.executor;
  const heapAfter = SparkConfiguration.tune({ ...props, executor: shape }).executor.heapMiB;
  const cores = Math.max(1, Math.floor(shape.cpu));
  const local = isLocalRun(e);
  const executors = local ? 1 : Math.max(peakLiveExecutors(e), 1);
  const totalCores = local ? settings.executorCores : cores * executors;
  // Partition sizing compares memory per task before and after: in local mode, the run's own cores.
  const ruleSettings: RunSettings = local ? settings : { ...settings, executorCores: settings.executorCores };
  const outcomes: RuleOutcome[] = [
    shufflePartitionsRule(e, ruleSettings, heapAfter, totalCores),
  ];
  const advisoryChange = outcomes[0].changes.find(c => c.key === 'spark.sql.adaptive.advisoryPartitionSizeInBytes');
  // The advisory size the rerun has: the changed one, else the tuned one.
  const advisoryText = advisoryChange?.value ?? base.get('spark.sql.adaptive.advisoryPartitionSizeInBytes') ?? '128m';
  const advisory = parseSizeMiB('advisory', advisoryText) * 1024 * 1024;
  outcomes.push(skewRule(e, settings, advisory));
  outcomes.push(fileScanRule(e, settings, totalCores));
  outcomes.push(executorCountRule(e, settings, isEmr ? EMR_DEFAULT_INITIAL_EXECUTORS : 1, props.executorCapacity));
  for (const o of outcomes) {
    changes.push(...o.changes);
    notes.push(...o.notes.map(n => `${o.rule}: ${n}`));
  }
  // Keep only real changes against what the run had (a key already at its value is a note, not a change).
  const had = { ...base.properties(), ...e.properties };
  const real = changes.filter(c => c.rule === RULE_MEMORY || c.rule === 'emr-worker-size' || had[c.key] !== c.value);
  const properties: { [key: string]: string } = {};
  const reasons: { [key: string]: string } = {};
  for (const c of real) {
    if (c.rule !== RULE_MEMORY && c.rule !== 'emr-worker-size') properties[c.key] = c.value;
    reasons[c.key] = `${c.reason} (rule ${c.rule}; ${evidenceText(c.evidence)})`;
  }
  return { recommendation: { source: e.source, executor, properties, reasons }, changes: real, notes, settings, heap };
}

/**
 * Resource-hours a run held on Kubernetes (or locally), from its executors' lifetimes: each executor pod's vCPU and
 * memory over its life, plus the driver pod over the whole run. In local mode the one JVM is the driver.
 */
export function kubernetesHours(e: RunEvidence, executorPod: WorkerShape, driverPod: WorkerShape): ResourceHours {
  const h = (ms: number) => ms / 3.6e6;
  const wall = h(Math.max(0, e.endMs - e.startMs));
  let vcpu = driverPod.cpu * wall;
  let memory = driverPod.memoryGb * wall;
  if (!isLocalRun(e)) {
    for (const x of e.executors.filter(y => y.executorId !== 'driver')) {
      const life = h(Math.max(0, (x.removedMs ?? e.endMs) - x.addedMs));
      vcpu += executorPod.cpu * life;
      memory += executorPod.memoryGb * life;
    }
  }
  return { vcpuHours: round6(vcpu), memoryGbHours: round6(memory), storageGbHours: 0 };
}

/**
 * The resource-hours the run would hold under the recommended executor shape: the same vCPU-hours (same work, same
 * cores; spill and idle savings are not simulated), memory re-scaled to the new GB per vCPU.
 */
export function predictedHours(run: ResourceHours, before: WorkerShape, after: WorkerShape): ResourceHours {
  const ratio = (after.memoryGb / after.cpu) / (before.memoryGb / before.cpu);
  return { vcpuHours: run.vcpuHours, memoryGbHours: round6(run.memoryGbHours * ratio), storageGbHours: run.storageGbHours };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
