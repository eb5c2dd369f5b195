/**
 * Synth scale of the EMR Serverless constructs: one application, one runtime role and N jobs, for
 * N = 1, 50, 200, in two shapes:
 *  - cli:       jobs started by the CLI (no state machine): one stack, whatever N;
 *  - scheduled: every job with a state machine, a nightly schedule and a failure alarm; at most 50 jobs
 *               per stack, because CloudFormation allows 500 resources per stack.
 * Reports construct+synth time (median of 3 runs, CDK's built-in template validation off: it costs a
 * one-time ~13 s load whatever the app) and template bytes, then the per-job cost between sizes.
 *
 *   npx ts-node --transpile-only -P test/tsconfig.json bench/emr-serverless-synth-scale.ts
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { VersionedJobArtifact } from '../src/artifacts';
import { EmrServerlessApplication, EmrServerlessSparkJob, SparkJobExecutionRole } from '../src/emr-serverless';
import { SparkJobDefinition } from '../src/job';

const SIZES = [1, 50, 200];
const RUNS = 3;
const JOBS_PER_SCHEDULED_STACK = 50;

function buildApp(jobs: number, scheduled: boolean): App {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'emr-bench-'));
  const app = new App({ outdir, builtinCloudFormationValidation: false });
  const perStack = scheduled ? JOBS_PER_SCHEDULED_STACK : jobs;
  for (let first = 0; first < jobs; first += perStack) {
    const stack = new Stack(app, `Jobs${first / perStack}`, { env: { account: '123456789012', region: 'eu-west-1' } });
    const code = VersionedJobArtifact.fromBucket(stack, 'Code', {
      bucket: s3.Bucket.fromBucketName(stack, 'CodeBucket', 'code-bucket'),
      keyPrefix: 'artifacts/spark_jobs/0.1.0/0123456789abcdef',
      entryPoints: { features: 'entrypoints/features.py' },
    });
    const application = new EmrServerlessApplication(stack, 'App');
    const role = new SparkJobExecutionRole(stack, 'Runtime', { application, artifacts: [code] });
    for (let i = first; i < Math.min(jobs, first + perStack); i++) {
      const definition = new SparkJobDefinition({
        name: `job-${String(i).padStart(4, '0')}`,
        code: code.code,
        entryPoint: 'features',
        arguments: ['--input', `s3://raw/t${i}/`, '--output', `s3://curated/f${i}/`, '--spec', 's3://specs/features.json'],
        workload: { inputSizeGb: 10 + (i % 50) },
      });
      new EmrServerlessSparkJob(stack, `Job${i}`, {
        definition, application, executionRole: role,
        schedule: scheduled ? scheduler.ScheduleExpression.rate(Duration.days(1)) : undefined,
      });
    }
  }
  return app;
}

function measure(jobs: number, scheduled: boolean): { ms: number; bytes: number; stacks: number; resources: number } {
  const times: number[] = [];
  let bytes = 0;
  let stacks = 0;
  let resources = 0;
  for (let r = 0; r < RUNS; r++) {
    const start = process.hrtime.bigint();
    const assembly = buildApp(jobs, scheduled).synth();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    bytes = assembly.stacks.reduce((sum, s) => sum + fs.statSync(path.join(assembly.directory, s.templateFile)).size, 0);
    stacks = assembly.stacks.length;
    resources = assembly.stacks.reduce((sum, s) => sum + Object.keys(s.template.Resources).length, 0);
    fs.rmSync(assembly.directory, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(RUNS / 2)], bytes, stacks, resources };
}

buildApp(1, true).synth(); // warm-up: module loading and JIT
const lines = ['| shape | jobs | stacks | resources | synth time (median of 3) | template bytes | bytes per job | ms per job |', '|---|---|---|---|---|---|---|---|'];
for (const scheduled of [false, true]) {
  const rows = SIZES.map(n => ({ n, ...measure(n, scheduled) }));
  for (const row of rows) {
    lines.push(`| ${scheduled ? 'scheduled' : 'cli'} | ${row.n} | ${row.stacks} | ${row.resources} | ${row.ms.toFixed(0)} ms | ${row.bytes} | ${(row.bytes / row.n).toFixed(0)} | ${(row.ms / row.n).toFixed(1)} |`);
  }
  // Marginal cost per added job between sizes: flat when growth is linear.
  const [a, b, c] = rows;
  lines.push(`| ${scheduled ? 'scheduled' : 'cli'} marginal | 1→50: ${((b.bytes - a.bytes) / 49).toFixed(0)} B/job, ${((b.ms - a.ms) / 49).toFixed(1)} ms/job | 50→200: ${((c.bytes - b.bytes) / 150).toFixed(0)} B/job, ${((c.ms - b.ms) / 150).toFixed(1)} ms/job | | | | | |`);
}
console.log(lines.join('\n'));
