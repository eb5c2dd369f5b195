import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EXAMPLE_IMAGE_PYTHON, exampleJobDependencies } from '../../examples/example-dependencies';
import { buildExampleApp, EXAMPLE_AWS } from '../../examples/spark-operator/app';
import { buildJobArtifact } from '../../src/artifacts/job-artifact-builder';
import { wheelIncompatibility } from '../../src/artifacts/python-target';
import { TABLE_FORMAT_PACKAGES, TableFormat } from '../../src/config/table-formats';
import { pinnedWheels } from '../artifacts/dependency-wheels';
import { expectValidManifests, parseManifestsStrictly } from '../support/k8s-validation';

describe('examples/spark-operator', () => {
  // GIVEN the example synthesized as `npx ts-node examples/spark-operator/app.ts` does, into a scratch dir
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'spark-operator-example-'));
  buildExampleApp(outdir).synth();
  const files = fs.readdirSync(outdir).filter(f => /\.ya?ml$/.test(f)).sort();
  const docs = files.flatMap(f => parseManifestsStrictly(fs.readFileSync(path.join(outdir, f), 'utf8'), f));
  const byKind = (kind: string) => docs.filter(d => d.kind === kind);

  afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

  test('is a real cdk8s app: `npx cdk8s synth` in the folder (cdk8s.yaml) writes the same manifests', () => {
    const cliOut = fs.mkdtempSync(path.join(os.tmpdir(), 'spark-operator-cli-'));
    execFileSync('npx', ['cdk8s', 'synth', '--output', cliOut], { cwd: path.join(__dirname, '..', '..', 'examples', 'spark-operator'), stdio: 'pipe' });
    const cliFiles = fs.readdirSync(cliOut).filter(f => /\.ya?ml$/.test(f)).sort();
    expect(cliFiles).toEqual(files);
    for (const f of files) expect(fs.readFileSync(path.join(cliOut, f), 'utf8')).toBe(fs.readFileSync(path.join(outdir, f), 'utf8'));
    fs.rmSync(cliOut, { recursive: true, force: true });
  }, 600_000);

  test('writes one strictly parseable YAML file with the namespace, RBAC and the four jobs', () => {
    expect(files).toEqual(['spark-features.k8s.yaml']);
    expect(docs.map(d => d.kind)).toEqual([
      'Namespace', 'ServiceAccount', 'ServiceAccount', 'Role', 'RoleBinding', 'SparkApplication', 'SparkApplication',
      'ScheduledSparkApplication', 'ScheduledSparkApplication',
    ]);
    expect(byKind('ScheduledSparkApplication').map(d => d.metadata.name)).toEqual(['validate', 'customer-latest']);
    expect(byKind('SparkApplication').map(d => d.metadata.name)).toEqual(['features', 'training-data']);
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

  test('the table-maintenance job merges into a Delta table nightly, with the pinned Delta jars the image holds', () => {
    const merge = byKind('ScheduledSparkApplication').find(d => d.metadata.name === 'customer-latest')!;
    expect(merge.spec).toMatchObject({ schedule: '0 3 * * *', timeZone: 'UTC', concurrencyPolicy: 'Forbid' });
    const app = merge.spec.template;
    expect(app.mainApplicationFile).toMatch(/\/entrypoints\/table\.py$/);
    expect(app.arguments).toEqual([
      'merge',
      '--target', `s3://${EXAMPLE_AWS.buckets.curated}/tables/customer-latest/`,
      '--source', `s3://${EXAMPLE_AWS.buckets.raw}/transactions/`,
      '--key', 'customer_id', '--order-by', 'event_time', '--format', 'delta',
    ]);
    // The jars of the same pins scripts/fetch-table-jars.sh checks, for the image's Spark 3.5 (Scala 2.12);
    // referenced by spark.jars, never resolved from Maven at job start.
    const pinned = TABLE_FORMAT_PACKAGES['3.5'][TableFormat.DELTA];
    expect(pinned.map(j => j.coordinates)).toEqual(['io.delta:delta-spark_2.12:3.3.2', 'io.delta:delta-storage:3.3.2']);
    expect(app.sparkConf['spark.jars']).toBe(pinned.map(j => `local:///opt/spark/table-jars/${j.file}`).join(','));
    expect(app.sparkConf['spark.jars.packages']).toBeUndefined();
    expect(app.deps.packages).toBeUndefined();
    expect(app.sparkConf).toMatchObject({
      'spark.sql.extensions': 'io.delta.sql.DeltaSparkSessionExtension',
      'spark.sql.catalog.spark_catalog': 'org.apache.spark.sql.delta.catalog.DeltaCatalog',
    });
    // The other jobs load no table format.
    for (const other of [...byKind('SparkApplication'), byKind('ScheduledSparkApplication')[0]]) {
      const conf = other.spec.sparkConf ?? other.spec.template.sparkConf;
      expect(conf['spark.sql.extensions']).toBeUndefined();
    }
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

  test('both jobs ship the dependency archive built for the image\'s Python (CPython 3.10, aarch64, glibc 2.35) and run on arm64 nodes', () => {
    // GIVEN the archive the example artifact built for the image's declared Python
    const built = buildJobArtifact({ outDir: path.join(outdir, 'artifact'), dependencies: exampleJobDependencies() });
    const archive = built.dependencyArchives.find(a => a.target.pythonVersion === EXAMPLE_IMAGE_PYTHON.pythonVersion)!;
    expect(archive.target).toEqual({ pythonVersion: '3.10', architecture: 'aarch64', glibc: '2.35' });
    // the wheels are the pinned cp310-aarch64 set: Spark 3.5 bounds (numpy<2)
    const pinned = pinnedWheels(EXAMPLE_IMAGE_PYTHON);
    expect(Object.fromEntries(archive.wheels.map(w => [w.name, w.version]))).toEqual(pinned);
    expect(archive.wheels.map(w => wheelIncompatibility(w.fileName, EXAMPLE_IMAGE_PYTHON))).toEqual(archive.wheels.map(() => undefined));
    for (const spec of [byKind('SparkApplication')[0].spec, byKind('ScheduledSparkApplication')[0].spec.template]) {
      // THEN the rendered application unpacks it as ./deps on the driver and every executor
      // (beside the code: the prefix the rendered main file has; the archive's name is addressed by its wheels)
      const codePrefix = spec.mainApplicationFile.replace(/entrypoints\/\w+\.py$/, '');
      expect(spec.deps.archives).toEqual([`${codePrefix}${archive.path}#deps`]);
      expect(codePrefix).toMatch(new RegExp(`^s3a://${EXAMPLE_AWS.buckets.platform}/artifacts/spark_jobs/${built.version}/[0-9a-f]{16}/$`));
      expect(spec.sparkConf['spark.kubernetes.driverEnv.PYTHONPATH']).toBe('./deps');
      expect(spec.sparkConf['spark.executorEnv.PYTHONPATH']).toBe('./deps');
      // and its pods are held to the archive's architecture
      expect([spec.driver.template.spec.nodeSelector['kubernetes.io/arch'], spec.executor.template.spec.nodeSelector['kubernetes.io/arch']]).toEqual(['arm64', 'arm64']);
    }
  });

  test('the code key carries the artifact\'s version and content hash, as on EMR Serverless', () => {
    const [features] = byKind('SparkApplication');
    const hash = features.metadata.annotations['spark-deploy.io/code-content-hash'];
    expect(features.spec.mainApplicationFile).toContain(`/${features.metadata.labels['app.kubernetes.io/version']}/${hash}/`);
  });

  test('the rendered arguments parse with each entry point\'s own command line (spark_jobs argparse)', () => {
    // GIVEN the entry point named by each rendered main file, with its rendered arguments
    const [featuresApp, trainingApp] = byKind('SparkApplication');
    const runs = [featuresApp.spec, byKind('ScheduledSparkApplication')[0].spec.template, trainingApp.spec].map(spec => ({
      module: /entrypoints\/(\w+)\.py$/.exec(spec.mainApplicationFile)![1],
      args: spec.arguments,
    }));
    // WHEN the package's parsers read them (argparse exits 2 on an unknown or missing option)
    const script = [
      'import importlib, json, sys',
      'out = []',
      'for run in json.load(sys.stdin):',
      '    ns = importlib.import_module("spark_jobs.entrypoints." + run["module"]).build_parser().parse_args(run["args"])',
      '    out.append(vars(ns))',
      'json.dump(out, sys.stdout)',
    ].join('\n');
    const parsed = JSON.parse(execFileSync('bash', [path.join(__dirname, '..', '..', 'jobs', 'scripts', 'in-venv.sh'), 'python', '-c', script], {
      input: JSON.stringify(runs), encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'],
    }));
    // THEN
    expect(parsed[0]).toMatchObject({
      input: `s3://${EXAMPLE_AWS.buckets.raw}/transactions/`,
      output: `s3://${EXAMPLE_AWS.buckets.curated}/features/`,
      spec: `s3://${EXAMPLE_AWS.buckets.platform}/specs/features.json`,
      input_format: 'parquet',
    });
    expect(parsed[1]).toMatchObject({
      input: `s3://${EXAMPLE_AWS.buckets.curated}/features/`,
      reference: `s3://${EXAMPLE_AWS.buckets.curated}/features-reference/`,
      output: `s3://${EXAMPLE_AWS.buckets.curated}/validation/`,
    });
    expect(parsed[2]).toMatchObject({
      input: `s3://${EXAMPLE_AWS.buckets.raw}/transactions/`,
      output: `s3://${EXAMPLE_AWS.buckets.curated}/training-data/`,
      windows: '7d,30d',
      test_fraction: 0.2,
      seed: 42,
    });
  });
});
