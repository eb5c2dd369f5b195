/**
 * Synth cost of the Spark Operator constructs: a chart with N SparkApplications (plus one namespace's RBAC),
 * N = 1, 50, 200. Reports construct + synth time (cdk8s toJson + YAML), manifest size, and the time to
 * validate the manifests against the CRD schema (ajv), each the median of 5 runs. Cost should grow linearly.
 *
 *   npx ts-node --transpile-only -P test/tsconfig.json bench/spark-operator-synth.ts
 */
import { performance } from 'perf_hooks';
import { Testing, Yaml } from 'cdk8s';
import { JobCode, SparkJobDefinition } from '../src';
import { SparkOperatorApplication, SparkOperatorRbac, WorkloadIdentity } from '../src/spark-operator';
import { crdFindings, loadCrdValidators, parseManifestsStrictly } from '../test/support/k8s-validation';

const code = JobCode.fromBucket({
  bucketName: 'spark-deploy-artifacts',
  prefix: 'artifacts/spark_jobs/0.1.0/3f2a9c1e0b7d4a55',
  entryPoints: { features: 'entrypoints/features.py' },
  pyFiles: ['spark_jobs.zip'],
});

function synth(n: number): { synthMs: number; validateMs: number; bytes: number; docs: number } {
  const t0 = performance.now();
  const chart = Testing.chart();
  const rbac = new SparkOperatorRbac(chart, 'Rbac', { namespace: 'spark-jobs', identity: WorkloadIdentity.irsa('arn:aws:iam::123456789012:role/spark') });
  for (let i = 0; i < n; i++) {
    const job = new SparkJobDefinition({ name: `job-${i}`, code, entryPoint: 'features', arguments: ['--input', `s3://data/in/${i}/`] });
    new SparkOperatorApplication(chart, `Job${i}`, { job, rbac, image: 'apache/spark:3.5.6-python3', executor: { cpu: 4, memoryGb: 16 } });
  }
  const yaml = Yaml.stringify(...chart.toJson());
  const t1 = performance.now();
  const docs = parseManifestsStrictly(yaml);
  const findings = crdFindings(docs);
  const t2 = performance.now();
  if (findings.length > 0) throw new Error(`invalid manifests: ${JSON.stringify(findings[0])}`);
  return { synthMs: t1 - t0, validateMs: t2 - t1, bytes: Buffer.byteLength(yaml), docs: docs.length };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

loadCrdValidators(); // compile the CRD schemas once, outside the timings
synth(200); // warm up the JIT on the largest case
console.log('| SparkApplications | manifests | YAML size | synth (median of 5) | synth per app | CRD validation (median of 5) |');
console.log('|---|---|---|---|---|---|');
for (const n of [1, 50, 200]) {
  const runs = Array.from({ length: 5 }, () => synth(n));
  const synthMs = median(runs.map(r => r.synthMs));
  const validateMs = median(runs.map(r => r.validateMs));
  console.log(`| ${n} | ${runs[0].docs} | ${(runs[0].bytes / 1024).toFixed(1)} KiB | ${synthMs.toFixed(0)} ms | ${(synthMs / n).toFixed(1)} ms | ${validateMs.toFixed(0)} ms |`);
}
