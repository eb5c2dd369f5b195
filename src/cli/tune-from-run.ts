import { choiceFlag, CliIo, ExitCode, flag, numberFlag, ParsedArgs, parseArgs, UsageError } from './args';
import { reportError, runnerFromFlags } from './job-run-command';
import { EvidenceError } from '../client/event-log-evidence';
import { readJobRunEvidence } from '../client/job-run-evidence';
import { readRunEvidence } from '../client/run-evidence-reader';
import { DeploymentTarget, SparkConfiguration, SparkTuningProps, WorkerShape } from '../config';
import { heldSlotMs, idleSlotShare, isLocalRun, RunEvidence, spillTotals, totalTaskTimeMs, wallMs } from '../config/run-informed/evidence';
import { priceRun, pricedRegions, ResourceHours, RunCost, UnitPrices, unitPrices } from '../config/run-informed/prices';
import { kubernetesHours, predictedHours, recommendFromRun, RunAdvice } from '../config/run-informed/recommend';
import { containerFor, emrWorkerFor, runSettings } from '../config/run-informed/rules';
import { jvmMiB } from '../config/run-informed/stats';
import { JVM_OVERHEAD_FACTOR, NON_JVM_OVERHEAD_FACTOR } from '../config/tuning-rules';

const FORMATS = ['table', 'json', 'conf'] as const;

export const TUNE_FROM_RUN_USAGE = `Usage: spark-deploy tune --from-run SOURCE --target emr-serverless|kubernetes [--release LABEL]
         [--worker-cpu N --worker-memory-gb N] [--python-heavy] [--format table|json|conf]
         [--price-vcpu-hour USD --price-gb-hour USD --price-storage-gb-hour USD] [--arm]
       spark-deploy tune --application-id ID --job-run-id ID [--from-run EVENT_LOG] [--region R] [--endpoint-url URL]
         [--s3-endpoint-url URL] ... (the same flags)

Reads what a finished run did and prints the configuration the rules recommend from it: every changed key with
the rule and the numbers from the run, in the properties/reasons shape of \`tune\`, and the run's cost next to the
predicted cost. SOURCE is a Spark event log (file or directory; plain, .gz or .zstd; local or s3://) or a
_metrics.json of our jobs. With --application-id/--job-run-id the run's billed resources come from GetJobRun and
its event log from the run's S3 log prefix. The worker shape defaults to the one the run had.
Prices: a built-in table (${pricedRegions().join(', ')}; unconfirmed, see docs) unless the --price-* flags are given.
`;

const VALUES = ['from-run', 'target', 'release', 'worker-cpu', 'worker-memory-gb', 'format', 'application-id', 'job-run-id',
  'region', 'endpoint-url', 's3-endpoint-url', 'price-vcpu-hour', 'price-gb-hour', 'price-storage-gb-hour'];

/** Whether a `tune` command line asks for run-informed tuning. */
export function isFromRunInvocation(argv: string[]): boolean {
  return argv.some(a => /^--(from-run|job-run-id)(=|$)/.test(a));
}

/** The executor and driver shapes the run had, from its properties (local mode: the one JVM). */
function runShapes(e: RunEvidence, target: DeploymentTarget, factor: number): { executor?: WorkerShape; driver?: WorkerShape } {
  const p = e.properties;
  if (Object.keys(p).length === 0) return {};
  const local = isLocalRun(e);
  const settings = runSettings(e, {});
  const shapeOf = (cpu: number, heap: number, overheadText?: string): WorkerShape => {
    const overhead = jvmMiB(overheadText);
    const container = overhead !== undefined ? heap + overhead : containerFor(heap, factor);
    if (target === DeploymentTarget.EMR_SERVERLESS) {
      const valid = [16, 8, 4, 2, 1].find(c => c <= cpu) ?? 1;
      return { cpu: valid, memoryGb: emrWorkerFor(heap, valid, factor).memoryGb };
    }
    return { cpu, memoryGb: Math.ceil(container / 128) / 8 };
  };
  const driverHeap = jvmMiB(p['spark.driver.memory']) ?? 1024;
  const driverCores = local ? settings.executorCores : Number(p['spark.driver.cores'] ?? 1);
  const driver = shapeOf(driverCores, driverHeap, p['spark.driver.memoryOverhead']);
  if (local) return { executor: driver, driver };
  return { executor: shapeOf(settings.executorCores, settings.executorHeapMiB, p['spark.executor.memoryOverhead']), driver };
}

function pricesFromFlags(args: ParsedArgs, target: DeploymentTarget, region: string): UnitPrices | undefined {
  const table = unitPrices(target, region, flag(args, 'arm') === 'true');
  const v = numberFlag(args, 'price-vcpu-hour');
  const m = numberFlag(args, 'price-gb-hour');
  const s = numberFlag(args, 'price-storage-gb-hour');
  if (v === undefined && m === undefined && s === undefined) return table;
  for (const [name, value] of [['price-vcpu-hour', v], ['price-gb-hour', m], ['price-storage-gb-hour', s]] as const) {
    if (value !== undefined && value < 0) throw new UsageError(`--${name}: '${value}' must be >= 0`);
  }
  if (!table && (v === undefined || m === undefined)) {
    throw new UsageError(`--price-vcpu-hour and --price-gb-hour: both needed for region ${region}, which the price table does not hold`);
  }
  return {
    vcpuHour: v ?? table!.vcpuHour,
    memoryGbHour: m ?? table!.memoryGbHour,
    storageGbHour: s ?? table?.storageGbHour ?? 0,
    source: `--price-* flags${table ? ` over ${table.source}` : ''}`,
    asOf: table?.asOf ?? 'given',
    confirmed: false,
  };
}

/** Everything `tune --from-run` prints. */
export interface FromRunReport {
  readonly advice: RunAdvice;
  readonly config: SparkConfiguration;
  readonly evidence: RunEvidence;
  readonly runCost?: RunCost;
  readonly predictedCost?: RunCost;
  readonly costBasis: string;
}

/** Reads the run, applies the rules and prices the run; shared by the command and the benchmark. */
export async function tuneFromRun(args: ParsedArgs, io: CliIo): Promise<FromRunReport> {
  const target = choiceFlag(args, 'target', Object.values(DeploymentTarget));
  if (!target) throw new UsageError(`--target: required; expected one of ${Object.values(DeploymentTarget).join(', ')}`);
  const applicationId = flag(args, 'application-id');
  const jobRunId = flag(args, 'job-run-id');
  const source = flag(args, 'from-run');
  if ((applicationId === undefined) !== (jobRunId === undefined)) throw new UsageError('--application-id and --job-run-id: give both or neither');
  if (source === undefined && jobRunId === undefined) throw new UsageError('--from-run: required (an event log, a _metrics.json or --application-id/--job-run-id)');
  const region = flag(args, 'region') ?? process.env.AWS_REGION ?? 'us-east-1';
  const s3 = { region, endpoint: flag(args, 's3-endpoint-url') };
  let evidence: RunEvidence;
  let billed: ResourceHours | undefined;
  let release = flag(args, 'release');
  if (jobRunId !== undefined) {
    const run = await readJobRunEvidence(runnerFromFlags(args, io, true), applicationId!, jobRunId, { ...s3, eventLog: source });
    evidence = run.evidence;
    billed = run.billed;
    release = release ?? run.status.releaseLabel;
  } else {
    evidence = await readRunEvidence(source!, s3);
  }
  if (release === undefined && target === DeploymentTarget.KUBERNETES && /^(3\.5|4\.0|4\.1)\.\d+$/.test(evidence.sparkVersion)) {
    release = evidence.sparkVersion; // tune for the Spark the run had
  }
  const pythonHeavy = flag(args, 'python-heavy') === 'true';
  const factor = pythonHeavy ? NON_JVM_OVERHEAD_FACTOR : JVM_OVERHEAD_FACTOR;
  const shapes = runShapes(evidence, target, factor);
  const cpu = numberFlag(args, 'worker-cpu');
  const memoryGb = numberFlag(args, 'worker-memory-gb');
  if ((cpu === undefined) !== (memoryGb === undefined)) throw new UsageError('--worker-cpu and --worker-memory-gb: give both or neither');
  const executor = cpu !== undefined ? { cpu, memoryGb: memoryGb! } : shapes.executor;
  if (!executor) {
    throw new UsageError(`--worker-cpu and --worker-memory-gb: required, ${evidence.source} carries no Spark properties to read the run's worker shape from`);
  }
  const props: SparkTuningProps = { target, release, executor, driver: cpu === undefined ? shapes.driver : undefined, pythonHeavy };
  const advice = recommendFromRun(evidence, props);
  const config = SparkConfiguration.tune({ ...props, fromRecommendation: advice.recommendation });

  const prices = pricesFromFlags(args, target, region);
  const after = advice.recommendation.executor ?? executor;
  let hours: ResourceHours | undefined = billed;
  let costBasis = 'GetJobRun billedResourceUtilization';
  if (!hours) {
    hours = kubernetesHours(evidence, executor, shapes.driver ?? props.driver ?? executor);
    costBasis = isLocalRun(evidence)
      ? 'the local JVM\'s cores and memory over the run (local mode: the driver runs the tasks)'
      : 'executor lifetimes from the event log × the pod shape, plus the driver over the run';
  }
  const runCost = prices ? priceRun(hours, prices) : undefined;
  const predictedCost = prices ? priceRun(predictedHours(hours, executor, after), prices) : undefined;
  return { advice, config, evidence, runCost, predictedCost, costBasis };
}

function evidenceSummary(e: RunEvidence): Record<string, number | string> {
  const spill = spillTotals(e);
  return {
    applicationId: e.applicationId,
    sparkVersion: e.sparkVersion,
    wallMs: wallMs(e),
    totalTaskTimeMs: totalTaskTimeMs(e),
    stages: e.stages.length,
    tasks: e.stages.reduce((s, x) => s + x.numTasks, 0),
    memorySpilledBytes: spill.memoryBytes,
    diskSpilledBytes: spill.diskBytes,
    shuffleReadBytes: e.stages.reduce((s, x) => s + x.shuffleReadBytes, 0),
    peakConcurrentTasks: e.peakConcurrentTasks,
    heldSlotMs: heldSlotMs(e),
    idleSlotShare: Number(idleSlotShare(e).toFixed(3)),
  };
}

/** The JSON document of `--format json`. */
export function fromRunJson(r: FromRunReport): Record<string, unknown> {
  const had = { ...r.evidence.properties };
  return {
    source: r.evidence.source,
    ...r.config.toJson(),
    changes: r.advice.changes.map(c => ({
      key: c.key,
      from: had[c.key] ?? null,
      to: r.config.get(c.key) ?? c.value,
      rule: c.rule,
      evidence: c.evidence,
      reason: c.reason,
    })),
    notes: r.advice.notes,
    recommendation: r.advice.recommendation,
    evidence: evidenceSummary(r.evidence),
    cost: r.runCost ? {
      basis: r.costBasis,
      run: { usd: Number(r.runCost.usd.toFixed(6)), ...r.runCost.hours, arithmetic: r.runCost.arithmetic },
      predicted: { usd: Number(r.predictedCost!.usd.toFixed(6)), ...r.predictedCost!.hours, arithmetic: r.predictedCost!.arithmetic, assumption: 'same vCPU-hours; memory re-scaled to the recommended GB per vCPU' },
      prices: r.runCost.prices,
    } : { basis: r.costBasis, unavailable: 'no price for this region: give --price-vcpu-hour and --price-gb-hour' },
  };
}

function renderTable(r: FromRunReport): string {
  const s = evidenceSummary(r.evidence);
  const lines = [
    `Run ${s.applicationId} (Spark ${s.sparkVersion}) from ${r.evidence.source}`,
    `  wall ${s.wallMs} ms, task time ${s.totalTaskTimeMs} ms, ${s.tasks} tasks in ${s.stages} stages, spill ${s.memorySpilledBytes} B memory / ${s.diskSpilledBytes} B disk, idle slots ${Math.round(100 * Number(s.idleSlotShare))}%`,
    `Recommended for ${r.config.target}, ${r.config.release.label}: executor ${r.config.executor.cores} cores, heap ${r.config.executor.memory} in ${r.config.executor.containerMiB} MiB`,
    '',
  ];
  if (r.advice.changes.length === 0) lines.push('No change: nothing in the run calls for one.');
  for (const c of r.advice.changes) lines.push(`${c.key} = ${r.config.get(c.key) ?? c.value}  [${c.rule}]`, `    ${c.reason}`);
  for (const n of r.advice.notes) lines.push(`note: ${n}`);
  if (r.runCost) {
    lines.push('', `Cost of the run: $${r.runCost.usd.toFixed(6)} (${r.costBasis}): ${r.runCost.arithmetic}`,
      `Predicted with the recommendation: $${r.predictedCost!.usd.toFixed(6)}: ${r.predictedCost!.arithmetic}`,
      `Prices: ${r.runCost.prices.source}, ${r.runCost.prices.asOf}${r.runCost.prices.confirmed ? '' : ' (unconfirmed)'}`);
  }
  return lines.join('\n') + '\n';
}

/** `spark-deploy tune --from-run ...` / `--application-id ... --job-run-id ...`. */
export async function tuneFromRunCommand(argv: string[], io: CliIo): Promise<number> {
  try {
    const args = parseArgs(argv, { values: VALUES, booleans: ['python-heavy', 'arm', 'help'] });
    if (flag(args, 'help')) throw new UsageError(TUNE_FROM_RUN_USAGE);
    if (args.positionals.length > 0) throw new UsageError(`tune: unexpected argument '${args.positionals[0]}'`);
    const format = choiceFlag(args, 'format', FORMATS) ?? 'table';
    const report = await tuneFromRun(args, io);
    if (format === 'json') io.stdout(JSON.stringify(fromRunJson(report), null, 2) + '\n');
    else if (format === 'conf') io.stdout(report.config.toSparkDefaultsConf());
    else io.stdout(renderTable(report));
    return ExitCode.OK;
  } catch (err) {
    if (err instanceof EvidenceError) {
      io.stderr(`spark-deploy tune: ${err.message.split('\n')[0]}\n`);
      return ExitCode.USAGE;
    }
    return reportError(io, 'tune', err, TUNE_FROM_RUN_USAGE);
  }
}
