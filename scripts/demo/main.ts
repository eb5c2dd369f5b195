/**
 * The main job, driven by scripts/demo.sh: sample data, the versioned artifact, both example apps
 * synthesized, then the feature pipeline, the ML training data, the validation (PSI between two time
 * periods) and the metrics on local Spark with the configuration the EMR Serverless construct rendered. Everything
 * lands in out/demo/, with out/demo/summary.json.
 *
 *   npx ts-node --transpile-only -P test/tsconfig.json scripts/demo/main.ts [--rows N] [--seed S] [--spark-line 3.5|4.0]
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { localizeJob } from './local-rewrite';
import { emrJobsFromTemplate, operatorJobsFromManifests, RenderedJob } from './rendered-jobs';
import { stageTimes } from './stage-times';
import { exampleJobDependencies } from '../../examples/example-dependencies';
import { buildJobArtifact, BuiltJobArtifact } from '../../src/artifacts/job-artifact-builder';
import { resolveEmrRelease, StorageKind } from '../../src/config';
import { findRepoRoot, localSparkEnvironment, LocalSparkEnvironment } from '../../src/local/local-environment';
import { runLocal } from '../../src/local/local-runner';
import { LocalSparkDefaults } from '../../src/local/local-spark-defaults';

const STEPS = 9;
const root = findRepoRoot(__dirname);
const outDir = path.join(root, 'out', 'demo');
const lake = path.join(outDir, 'lake');
const eventLogs = path.join(outDir, 'eventlogs');
let stepNo = 0;

interface Options {
  readonly rows: number;
  readonly seed: number;
  readonly sparkLine?: string;
}

function parseOptions(argv: string[]): Options {
  let rows = 20_000;
  let seed = 7;
  let sparkLine: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (name === '--rows') rows = Number(value());
    else if (name === '--seed') seed = Number(value());
    else if (name === '--spark-line') sparkLine = value();
    else throw new Error(`demo: unknown flag ${argv[i]}; known: --rows N, --seed S, --spark-line 3.5|4.0`);
  }
  if (!Number.isInteger(rows) || rows < 100) throw new Error(`demo: --rows: ${rows} is not valid; expected a whole number >= 100`);
  if (!Number.isInteger(seed)) throw new Error(`demo: --seed: ${seed} is not valid; expected a whole number`);
  return { rows, seed, sparkLine };
}

async function step<T>(title: string, work: () => Promise<T> | T): Promise<T> {
  stepNo += 1;
  const start = Date.now();
  process.stdout.write(`\n[${stepNo}/${STEPS}] ${title}\n`);
  const result = await work();
  process.stdout.write(`      done in ${((Date.now() - start) / 1000).toFixed(1)} s\n`);
  return result;
}

function info(text: string): void {
  process.stdout.write(`      ${text}\n`);
}

function python(env: LocalSparkEnvironment, args: string[]): string {
  return execFileSync(env.python, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** The directory of the version a job output's pointer (`_latest.json`) names: where its report and side files are. */
function currentVersionDir(output: string): string {
  const pointer = path.join(output, '_latest.json');
  if (!fs.existsSync(pointer)) throw new Error(`demo: ${pointer} does not exist (the job published no version)`);
  return path.join(output, '_versions', JSON.parse(fs.readFileSync(pointer, 'utf8')).version);
}

function inspect(env: LocalSparkEnvironment, command: 'table' | 'records', dir: string): any {
  return JSON.parse(python(env, [path.join(__dirname, 'inspect_output.py'), command, dir]));
}

function argument(args: string[], name: string): string {
  const i = args.indexOf(name);
  if (i < 0 || i + 1 >= args.length) throw new Error(`demo: the rendered job has no ${name} argument (arguments: ${args.join(' ')})`);
  return args[i + 1];
}

function withArgument(args: string[], name: string, value: string): string[] {
  const copy = [...args];
  copy[copy.indexOf(name) + 1] = value;
  return copy;
}

function findJob(jobs: RenderedJob[], name: string): RenderedJob {
  const job = jobs.find(j => j.name === name);
  if (!job) throw new Error(`demo: the EMR Serverless example defines no '${name}' job (it has: ${jobs.map(j => j.name).join(', ')})`);
  return job;
}

/** PSI per feature from the validation output, whatever its layout (records with a psi field). */
function psiPerFeature(records: any[]): { [feature: string]: number } {
  const out: { [feature: string]: number } = {};
  const visit = (value: any) => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value === null || typeof value !== 'object') return;
    const name = value.feature ?? value.column ?? value.name;
    if (typeof name === 'string' && typeof value.psi === 'number') out[name] = value.psi;
    // A map form: { psi: { amount: 0.12, ... } } or { psi: { amount: { psi: 0.12 } } }.
    if (value.psi && typeof value.psi === 'object' && !Array.isArray(value.psi)) {
      for (const [feature, v] of Object.entries<any>(value.psi)) {
        if (typeof v === 'number') out[feature] = v;
        else if (v && typeof v.psi === 'number') out[feature] = v.psi;
      }
    }
    Object.values(value).forEach(visit);
  };
  visit(records);
  return out;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(eventLogs, { recursive: true });
  const started = Date.now();

  // The jobs run on the Spark line of the EMR example's release unless told otherwise.
  const synthesized = await step('Synthesizing both example apps (scripts/synth-examples.sh)', () => {
    execFileSync('bash', [path.join(root, 'scripts', 'synth-examples.sh')], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    const cdkOut = path.join(root, 'examples', 'emr-serverless', 'cdk.out');
    const k8sOut = path.join(root, 'examples', 'spark-operator', 'dist');
    const templates = fs.readdirSync(cdkOut).filter(f => f.endsWith('.template.json')).map(f => path.join(cdkOut, f));
    const manifests = fs.readdirSync(k8sOut).filter(f => /\.ya?ml$/.test(f)).map(f => path.join(k8sOut, f));
    if (templates.length === 0) throw new Error(`demo: no CloudFormation template in ${cdkOut}`);
    if (manifests.length === 0) throw new Error(`demo: no manifest in ${k8sOut}`);
    const emrJobs = templates.flatMap(emrJobsFromTemplate);
    const operatorJobs = operatorJobsFromManifests(k8sOut);
    templates.forEach(t => info(`EMR Serverless: ${path.relative(root, t)}`));
    manifests.forEach(m => info(`Spark Operator: ${path.relative(root, m)}`));
    info(`jobs: EMR Serverless ${emrJobs.map(j => j.name).join(', ')}; Spark Operator ${operatorJobs.map(j => j.name).join(', ')}`);
    return { templates, manifests, emrJobs, operatorJobs };
  });

  const features = findJob(synthesized.emrJobs, 'features');
  const validate = findJob(synthesized.emrJobs, 'validate');
  const trainingData = findJob(synthesized.emrJobs, 'training-data');
  const line = options.sparkLine ?? resolveEmrRelease(features.sparkVersion!).sparkLine;
  const env = localSparkEnvironment(line);

  const artifact: BuiltJobArtifact = await step('Building the versioned job artifact', () => {
    const built = buildJobArtifact({ outDir: path.join(outDir, 'artifact'), dependencies: exampleJobDependencies() });
    info(`${built.packageName} ${built.version}, content hash ${built.contentHash}: ${built.files.map(f => f.path).join(', ')}`);
    return built;
  });

  // Buckets become directories under out/demo/lake; keys stay as rendered.
  const bucketRoot = (_scheme: string, bucket: string) => path.join(lake, bucket);
  const featuresLocal = localizeJob(features, artifact, bucketRoot);
  const validateLocal = localizeJob(validate, artifact, bucketRoot);
  const trainingLocal = localizeJob(trainingData, artifact, bucketRoot);
  const current = argument(featuresLocal.arguments, '--input');
  const reference = argument(validateLocal.arguments, '--reference');
  const referenceInput = current.replace(/\/?$/, '-reference/');

  const sample = await step(`Generating ${options.rows} sample transactions over 90 days (two periods)`, () => {
    const out: { [period: string]: string } = {};
    for (const [period, dir] of [['first', referenceInput], ['second', current]] as const) {
      out[period] = python(env, ['-m', 'spark_jobs.sample_data', '--rows', String(options.rows), '--seed', String(options.seed),
        '--period', period, '--output', dir.replace(/\/$/, '')]).trim();
      info(out[period]);
    }
    const spec = argument(featuresLocal.arguments, '--spec');
    fs.mkdirSync(path.dirname(spec), { recursive: true });
    fs.copyFileSync(path.join(root, 'jobs', 'examples', 'feature_spec.json'), spec);
    return { first: inspect(env, 'table', referenceInput), second: inspect(env, 'table', current) };
  });

  const localDefaults = (job: RenderedJob) => LocalSparkDefaults.fromProperties(job.properties, env.sparkVersion, {
    storage: { kind: StorageKind.LOCAL },
    additionalProperties: {
      'spark.eventLog.enabled': 'true',
      'spark.eventLog.dir': `file://${eventLogs}`,
      'spark.eventLog.compress': 'false',
      'spark.ui.showConsoleProgress': 'false',
    },
  });
  const runSeconds: { [label: string]: number } = {};
  const runJob = async (label: string, job: RenderedJob, args: string[], entryPoint: string, pyFiles: string[]) => {
    const defaults = localDefaults(job);
    fs.writeFileSync(path.join(outDir, `${label}.spark-defaults.conf`), defaults.toSparkDefaultsConf());
    info(`spark-submit ${path.relative(root, entryPoint)} ${args.map(a => (a.startsWith(root) ? path.relative(root, a) : a)).join(' ')}`);
    info(`${Object.keys(job.properties).length} rendered properties; local changes: ${Object.keys(defaults.localChanges).join(', ')}`);
    const begin = Date.now();
    const result = await runLocal({ env, entryPoint, pyFiles, arguments: args, defaults });
    runSeconds[label] = (Date.now() - begin) / 1000;
    fs.writeFileSync(path.join(outDir, `${label}.log`), `${result.command.join(' ')}\n\n${result.stdout}\n${result.stderr}`);
    if (result.exitCode !== 0) {
      throw new Error(`demo: ${label} failed (exit ${result.exitCode}); see ${path.relative(root, path.join(outDir, `${label}.log`))}:\n${result.stderr.slice(-3000)}`);
    }
    return result;
  };

  // Fit once, apply many: the encoders are fitted on the reference period (its training features get
  // out-of-fold target means), then that period (the validation baseline) and the current one are both
  // encoded with those same encoders, so the PSI of an encoded feature measures drift, not two mappings.
  const training = reference.replace(/\/?$/, '-training/');
  await step(`Feature pipeline on local Spark ${env.sparkVersion}: fit on the reference period, apply to both periods`, async () => {
    const onReference = withArgument(featuresLocal.arguments, '--input', referenceInput);
    await runJob('features-fit', features, withArgument(onReference, '--output', training), featuresLocal.entryPoint, featuresLocal.pyFiles);
    info(`encoders fitted on the reference period: ${path.relative(root, training)} (_encoders.json of its current version)`);
    const applying = ['--encoders', training];
    await runJob('features-reference', features, [...withArgument(onReference, '--output', reference), ...applying],
      featuresLocal.entryPoint, featuresLocal.pyFiles);
    await runJob('features', features, [...featuresLocal.arguments, ...applying], featuresLocal.entryPoint, featuresLocal.pyFiles);
  });
  const featuresOut = inspect(env, 'table', argument(featuresLocal.arguments, '--output'));
  const produced = featuresOut.columns.filter((c: string) => !sample.second.columns.includes(c));
  info(`${featuresOut.rows} rows, ${produced.length} features: ${produced.join(', ')}`);

  // Training data from the same raw transactions: whole users split by a hash of key and seed, fills and
  // scaler fitted on the training users only; the job prints its summary and writes it next to the data.
  const mlTraining = await step('ML training data: window and user features, user split, fills and scaler fitted on train', async () => {
    await runJob('training-data', trainingData, trainingLocal.arguments, trainingLocal.entryPoint, trainingLocal.pyFiles);
    const doc = JSON.parse(fs.readFileSync(path.join(currentVersionDir(argument(trainingLocal.arguments, '--output')), '_summary.json'), 'utf8'));
    for (const [side, s] of Object.entries<any>(doc.splits)) {
      const labels = Object.entries<number>(s.label_share).map(([k, v]) => `${k}: ${(v * 100).toFixed(1)} %`).join(', ');
      info(`${side.padEnd(5)} ${s.rows} rows, ${s.users} users; labels ${labels}`);
    }
    info(`realized test fraction ${(doc.realized_test_fraction.users * 100).toFixed(1)} % of users, ${(doc.realized_test_fraction.rows * 100).toFixed(1)} % of rows (requested ${doc.requested_test_fraction * 100} %)`);
    info(`${doc.features.length} features (scaled with the training mean and std): ${doc.features.join(', ')}`);
    info(`version ${doc.version}: rows, _pipeline/ (PipelineModel), _missing_values.json, _summary.json`);
    return doc;
  });

  await step('Validation: PSI of every feature between the two periods', async () => {
    await runJob('validate', validate, validateLocal.arguments, validateLocal.entryPoint, validateLocal.pyFiles);
  });
  const reportPath = path.join(currentVersionDir(argument(validateLocal.arguments, '--output')), 'report.json');
  if (!fs.existsSync(reportPath)) throw new Error(`demo: the validation wrote no ${path.relative(root, reportPath)}`);
  const psi = psiPerFeature([JSON.parse(fs.readFileSync(reportPath, 'utf8')).psi]);
  if (Object.keys(psi).length === 0) throw new Error('demo: the validation output holds no PSI values (records with feature/column and psi)');

  // The JVM floor: a spark-submit with the same defaults that only starts the session and reads the input.
  await step('JVM floor: a spark-submit that starts the session and reads the input, same configuration', async () => {
    await runJob('session-floor', features, ['--input', current], path.join(root, 'scripts', 'demo', 'session_floor.py'), []);
    for (const [label, seconds] of Object.entries(runSeconds)) {
      if (label !== 'session-floor') info(`${label}: ${seconds.toFixed(1)} s = ${(seconds / runSeconds['session-floor']).toFixed(2)} x the floor (${runSeconds['session-floor'].toFixed(1)} s)`);
    }
  });
  const stages = await step('Metrics: stage times from the Spark event logs', () => stageTimes(eventLogs));
  const top = stages.slice(0, 5);
  for (const s of top) info(`${(s.durationMs / 1000).toFixed(2).padStart(7)} s  ${s.application}  stage ${s.stageId}: ${s.name} (${s.tasks} tasks)`);

  const summary = {
    sparkVersion: env.sparkVersion,
    sparkLine: env.sparkLine,
    rowsIn: { reference: sample.first.rows, current: sample.second.rows, total: sample.first.rows + sample.second.rows },
    rowsOut: { features: featuresOut.rows, trainingData: Object.values<any>(mlTraining.splits).reduce((n, s) => n + s.rows, 0) },
    trainingData: {
      splits: mlTraining.splits,
      realizedTestFraction: mlTraining.realized_test_fraction,
      features: mlTraining.features,
      version: mlTraining.version,
    },
    featuresProduced: produced,
    encoders: {
      fittedOn: 'reference period',
      fittedOutput: path.relative(root, training),
      appliedTo: ['reference period (validation baseline)', 'current period'],
      note: 'both periods are encoded with the same fitted mappings (--encoders), so the PSI of encoded features measures drift',
    },
    psi,
    topStages: top,
    runSeconds: Object.fromEntries(Object.entries(runSeconds).map(([label, seconds]) => [label, {
      seconds: Math.round(seconds * 10) / 10,
      timesJvmFloor: Math.round((seconds / runSeconds['session-floor']) * 100) / 100,
    }])),
    artifact: { version: artifact.version, contentHash: artifact.contentHash, keyPrefix: artifact.keyPrefix, dir: path.relative(root, artifact.outDir) },
    synthesized: {
      emrServerless: synthesized.templates.map(t => path.relative(root, t)),
      sparkOperator: synthesized.manifests.map(m => path.relative(root, m)),
    },
    jobs: {
      emrServerless: synthesized.emrJobs.map(j => j.name),
      sparkOperator: synthesized.operatorJobs.map(j => j.name),
    },
    outputs: {
      features: path.relative(root, argument(featuresLocal.arguments, '--output')),
      featuresReference: path.relative(root, reference),
      featuresTraining: path.relative(root, training),
      validationReport: path.relative(root, reportPath),
      trainingData: path.relative(root, argument(trainingLocal.arguments, '--output')),
      eventLogs: path.relative(root, eventLogs),
      // Each entry point writes its own metrics (jobs, stages, totals) into the version it published.
      jobMetrics: [featuresLocal, validateLocal, trainingLocal].map(j => path.join(currentVersionDir(argument(j.arguments, '--output')), '_metrics.json'))
        .filter(p => fs.existsSync(p)).map(p => path.relative(root, p)),
    },
    elapsedSeconds: Math.round((Date.now() - started) / 100) / 10,
  };
  await step('Summary', () => {
    fs.writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
    info(`rows in ${summary.rowsIn.total} (reference ${summary.rowsIn.reference}, current ${summary.rowsIn.current}), features rows out ${featuresOut.rows}`);
    info(`encoders fitted on the reference period (${summary.encoders.fittedOutput}), applied unchanged to both periods`);
    const split = summary.trainingData.splits;
    info(`training data: train ${split.train?.rows ?? 0} rows / ${split.train?.users ?? 0} users, test ${split.test?.rows ?? 0} rows / ${split.test?.users ?? 0} users, ${summary.trainingData.features.length} scaled features`);
    const width = Math.max(...Object.keys(psi).map(k => k.length));
    for (const [name, value] of Object.entries(psi).sort((a, b) => b[1] - a[1])) {
      const reading = value < 0.1 ? 'stable' : value <= 0.25 ? 'watch' : 'shifted';
      info(`PSI ${name.padEnd(width)}  ${value.toFixed(4)}  ${reading}`);
    }
    info(`wrote ${path.relative(root, path.join(outDir, 'summary.json'))}`);
  });
}

main().catch(err => {
  process.stderr.write(`\n${(err as Error).message}\n`);
  process.exit(1);
});
