import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildExampleApp as buildEmrApp } from '../../examples/emr-serverless/app';
import { exampleJobDependencies } from '../../examples/example-dependencies';
import { buildExampleApp as buildOperatorApp } from '../../examples/spark-operator/app';
import { localizeJob } from '../../scripts/demo/local-rewrite';
import { emrJobsFromTemplate, operatorJobsFromManifests, RenderedJob } from '../../scripts/demo/rendered-jobs';
import { buildJobArtifact, BuiltJobArtifact } from '../../src/artifacts/job-artifact-builder';
import { resolveEmrRelease, StorageKind } from '../../src/config';
import { localSparkEnvironment, s3aJars, sparkLineOf } from '../../src/local/local-environment';
import { runLocal } from '../../src/local/local-runner';
import { LocalSparkDefaults } from '../../src/local/local-spark-defaults';
import { tableJarsForProperties } from '../../src/local/table-jars';
import { LocalS3Server } from '../local/support/local-s3';

// The TypeScript → Python contract: every job the example apps define (EMR Serverless and the Spark
// Operator) runs on local Spark with exactly the rendered entry point, arguments and properties.
// Rewritten, and only these: bucket names (CloudFormation references become bucket names on a local
// moto S3 server; literal names stay), code URIs (the same file of the locally built artifact), and the
// local-run changes LocalSparkDefaults lists (master, driver heap, local S3A endpoint and jars).
// Inputs the jobs expect are put where the arguments say: the sample transactions at `--input` (and a
// merge's `--source`), the example feature spec at `--spec`, a copy of the features output at
// `--reference`, and version 0 of a Delta table, written by hand, at a Delta merge's `--target`. The
// table format's jars are the pinned local files of the same version in place of the rendered ones
// (EMR's bundled jars, the image's), as `spark-deploy local run` uses them. The merge's result is read
// back without Spark (its Delta log replayed) and compared with the upsert done in pandas.

const RUN_TIMEOUT = 900_000;
const describeContract = process.env.SPARK_DEPLOY_SKIP_S3A === '1' ? describe.skip : describe;
const FEATURE_SPEC = path.join(__dirname, '..', '..', 'jobs', 'examples', 'feature_spec.json');
const MERGE_CHECK = path.join(__dirname, 'merge_check.py');

/** The rendered jobs of both examples, synthesized now from the current source. */
function renderedJobs(work: string): RenderedJob[] {
  const emrAssembly = buildEmrApp(path.join(work, 'cdk.out')).synth();
  const operatorDir = path.join(work, 'dist');
  buildOperatorApp(operatorDir).synth();
  return [
    ...emrAssembly.stacks.flatMap(s => emrJobsFromTemplate(s.templateFullPath)),
    ...operatorJobsFromManifests(operatorDir),
  ];
}

/** `--name value` of an argument list. */
function argument(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function bucketAndKey(uri: string): [string, string] {
  const m = /^s3a?:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!m) throw new Error(`not a bucket URI: ${uri}`);
  return [m[1], m[2]];
}

describeContract('the jobs the constructs define run on local Spark as rendered', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-'));
  const jobs = renderedJobs(work);
  // Built right after the synthesis, from the same package, so that both name the same content hash.
  const artifact: BuiltJobArtifact = buildJobArtifact({ outDir: path.join(work, 'artifact'), dependencies: exampleJobDependencies() });
  const servers: LocalS3Server[] = [];
  afterAll(async () => {
    for (const s of servers) await s.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  test('both targets define the same jobs', () => {
    const names = (target: string) => jobs.filter(j => j.target === target).map(j => j.name).sort();
    expect(names('emr-serverless').length).toBeGreaterThan(0);
    expect(names('spark-operator')).toEqual(names('emr-serverless'));
  });

  describe.each(['emr-serverless', 'spark-operator'])('%s', target => {
    let server: LocalS3Server;
    const ordered = () => {
      // A job that reads another's output (`--reference`, or an --input another writes) runs after it.
      // SPARK_DEPLOY_CONTRACT_JOBS=name,... runs only those jobs (while working on one); CI runs them all.
      const only = process.env.SPARK_DEPLOY_CONTRACT_JOBS?.split(',');
      const mine = jobs.filter(j => j.target === target && (!only || only.includes(j.name)));
      return mine.sort((a, b) => Number(argument(a.arguments, '--reference') !== undefined) - Number(argument(b.arguments, '--reference') !== undefined));
    };

    beforeAll(async () => {
      const mine = ordered();
      server = await LocalS3Server.start(localSparkEnvironment(lineOf(mine[0])).venvDir);
      servers.push(server);
    }, RUN_TIMEOUT);

    test('every job runs with its rendered invocation', async () => {
      const outputs: { [uri: string]: boolean } = {};
      for (const job of ordered()) {
        // GIVEN the job localized: its buckets on the local server, its code from the artifact
        const local = localizeJob(job, artifact);
        // Each job runs on the Spark line of its target's release.
        const env = localSparkEnvironment(lineOf(job));
        local.buckets.forEach(bucket => ensureBucket(server, bucket));
        provideInputs(server, env.python, local.arguments, work, outputs);
        const merge = deltaMerge(job, local.arguments);
        const seed = path.join(work, `${target}-merge-seed.parquet`);
        if (merge) mergeCheck(server, env.python, 'seed-delta', ...bucketAndKey(merge.target), seed);
        const defaults = LocalSparkDefaults.fromProperties(job.properties, env.sparkVersion, {
          storage: { kind: StorageKind.S3_COMPATIBLE, endpoint: server.endpoint },
          jars: s3aJars(env),
          tableJars: tableJarsForProperties(env, job.properties),
          master: 'local[2]',
        });
        // WHEN it runs
        const run = await runLocal({
          env,
          entryPoint: local.entryPoint,
          pyFiles: local.pyFiles,
          arguments: local.arguments,
          defaults,
          environment: server.environment,
        });
        // THEN it succeeds and writes its output
        if (run.exitCode !== 0) {
          throw new Error(`${job.target} job ${job.name} failed (exit ${run.exitCode}): ${run.command.join(' ')}\n${run.stdout.slice(-2000)}\n${run.stderr.slice(-8000)}`);
        }
        if (merge) {
          // AND a merge committed version 1, equal to the upsert in pandas, over data with every case of it
          const check = mergeCheck(server, env.python, 'check', ...bucketAndKey(merge.target), seed,
            path.join(work, 'transactions'), merge.key, merge.orderBy);
          expect({ job: job.name, version: check.version, equal: check.equal, difference: check.difference, rows: check.rows })
            .toEqual({ job: job.name, version: 1, equal: true, difference: '', rows: check.expectedRows });
          for (const kind of ['updatedFromSource', 'keptNewerInTarget', 'insertedFromSource', 'untouchedInTarget']) {
            expect({ kind, present: check[kind] > 0 }).toEqual({ kind, present: true });
          }
          continue;
        }
        const output = argument(local.arguments, '--output');
        expect(output).toBeDefined();
        const [bucket, key] = bucketAndKey(output!);
        const written = Object.keys(server.tool('list', bucket, key).objects);
        expect({ job: job.name, written: written.length > 0 }).toEqual({ job: job.name, written: true });
        outputs[output!] = true;
      }
    }, RUN_TIMEOUT);
  });
});

/** The Spark line of a job's release (EMR release labels through the model's release catalog). */
function lineOf(job: RenderedJob): string {
  if (!job.sparkVersion) throw new Error(`${job.target} job ${job.name}: the rendering names no release or Spark version`);
  return job.sparkVersion.startsWith('emr-') ? resolveEmrRelease(job.sparkVersion).sparkLine : sparkLineOf(job.sparkVersion);
}

/** A rendered `table merge` into a Delta table: its target, key and order column. */
function deltaMerge(job: RenderedJob, args: string[]): { target: string; key: string; orderBy: string } | undefined {
  if (!/\/table\.py$/.test(job.entryPoint) || args[0] !== 'merge') return undefined;
  const format = argument(args, '--format');
  const [target, key, orderBy] = [argument(args, '--target'), argument(args, '--key'), argument(args, '--order-by')];
  if (format !== 'delta' || !target || !key || !orderBy || key.includes(',')) {
    throw new Error(`${job.name}: the contract checks a Delta merge with one --key and --order-by; got ${args.join(' ')}`);
  }
  return { target, key, orderBy };
}

/** Runs test/contract/merge_check.py against the local S3 server. */
function mergeCheck(server: LocalS3Server, python: string, ...args: string[]): any {
  const out = execFileSync(python, [MERGE_CHECK, ...args], {
    env: { ...process.env, ...server.environment, S3_ENDPOINT: server.endpoint },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out);
}

function ensureBucket(server: LocalS3Server, bucket: string): void {
  try {
    server.tool('mkbucket', bucket);
  } catch {
    // Already there.
  }
}

/** Puts what a job reads where its arguments say, unless an earlier job wrote it. */
function provideInputs(server: LocalS3Server, python: string, args: string[], work: string, written: { [uri: string]: boolean }): void {
  const input = argument(args, '--input') ?? argument(args, '--source');
  const spec = argument(args, '--spec');
  const reference = argument(args, '--reference');
  if (input && !written[input]) {
    const data = path.join(work, 'transactions');
    if (!fs.existsSync(data)) {
      execFileSync(python, ['-m', 'spark_jobs.sample_data', '--rows', '3000', '--output', data, '--seed', '5']);
    }
    const [bucket, key] = bucketAndKey(input);
    server.tool('upload-dir', data, bucket, key);
  }
  if (spec) {
    if (!fs.existsSync(FEATURE_SPEC)) throw new Error(`the job needs a feature spec and ${FEATURE_SPEC} does not exist`);
    const [bucket, key] = bucketAndKey(spec);
    server.tool('put', FEATURE_SPEC, bucket, key);
  }
  if (reference) {
    const source = input && written[input] ? input : undefined;
    if (!source) throw new Error(`--reference ${reference}: no earlier job wrote ${input} to copy as the reference`);
    const [bucket, key] = bucketAndKey(source);
    const [refBucket, refKey] = bucketAndKey(reference);
    if (refBucket !== bucket) throw new Error(`--reference ${reference}: expected it in the bucket of ${source}`);
    server.tool('copy-prefix', bucket, key, refKey);
  }
}
