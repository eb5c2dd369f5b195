import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildExampleApp, EXAMPLE_AWS } from '../../examples/spark-operator/app';
import { expectValidManifests, parseManifestsStrictly } from '../support/k8s-validation';

describe('examples/spark-operator', () => {
  // GIVEN the example synthesized as `npx ts-node examples/spark-operator/app.ts` does, into a scratch dir
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'spark-operator-example-'));
  buildExampleApp(outdir).synth();
  const files = fs.readdirSync(outdir).filter(f => /\.ya?ml$/.test(f)).sort();
  const docs = files.flatMap(f => parseManifestsStrictly(fs.readFileSync(path.join(outdir, f), 'utf8'), f));
  const byKind = (kind: string) => docs.filter(d => d.kind === kind);

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('writes one strictly parseable YAML file with the namespace, RBAC and both jobs', () => {
    expect(files).toEqual(['spark-features.k8s.yaml']);
    expect(docs.map(d => d.kind)).toEqual([
      'Namespace', 'ServiceAccount', 'ServiceAccount', 'Role', 'RoleBinding', 'SparkApplication', 'ScheduledSparkApplication',
    ]);
    expect(new Set(docs.filter(d => d.kind !== 'Namespace').map(d => d.metadata.namespace))).toEqual(new Set(['spark-features']));
  });

  test('every manifest passes the CRD, core-schema and security checks', () => {
    expectValidManifests(docs);
  });

  test('the feature pipeline runs the features entry point with its CLI', () => {
    const [features] = byKind('SparkApplication');
    expect(features.metadata.name).toBe('features');
    expect(features.spec.mainApplicationFile).toMatch(/^s3a:\/\/example-spark-platform\/artifacts\/spark_jobs\/[^/]+\/[0-9a-f]{16}\/entrypoints\/features\.py$/);
    expect(features.spec.deps.pyFiles[0]).toMatch(/\/spark_jobs\.zip$/);
    const args: string[] = features.spec.arguments;
    expect(args).toEqual([
      '--input', `s3://${EXAMPLE_AWS.buckets.raw}/transactions/`,
      '--output', `s3://${EXAMPLE_AWS.buckets.curated}/features/`,
      '--spec', `s3://${EXAMPLE_AWS.buckets.platform}/specs/features.json`,
      '--input-format', 'parquet',
    ]);
  });

  test('the validation job is scheduled nightly with Forbid, from the validate entry point', () => {
    const [scheduled] = byKind('ScheduledSparkApplication');
    expect(scheduled.metadata.name).toBe('validate');
    expect(scheduled.spec).toMatchObject({ schedule: '0 4 * * *', timeZone: 'UTC', concurrencyPolicy: 'Forbid' });
    expect(scheduled.spec.template.mainApplicationFile).toMatch(/\/entrypoints\/validate\.py$/);
    expect(scheduled.spec.template.arguments).toEqual([
      '--input', `s3://${EXAMPLE_AWS.buckets.curated}/features/`,
      '--reference', `s3://${EXAMPLE_AWS.buckets.curated}/features-reference/`,
      '--output', `s3://${EXAMPLE_AWS.buckets.curated}/validation/`,
    ]);
  });

  test('the code key carries the artifact\'s version and content hash, as on EMR Serverless', () => {
    const [features] = byKind('SparkApplication');
    const hash = features.metadata.annotations['spark-deploy.io/code-content-hash'];
    expect(features.spec.mainApplicationFile).toContain(`/${features.metadata.labels['app.kubernetes.io/version']}/${hash}/`);
  });
});
