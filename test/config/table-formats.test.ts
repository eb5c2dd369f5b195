import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { JobCode } from '../../src/artifacts/job-code';
import { resolveEmrRelease, resolveSparkVersion } from '../../src/config/releases';
import { SparkConfiguration } from '../../src/config/spark-configuration';
import {
  emrBundledTableFormats, GLUE_CATALOG_ACTIONS, IcebergCatalogKind, TABLE_FORMAT_PACKAGES, TableFormat, TableFormats, tableFormatSupport,
} from '../../src/config/table-formats';
import { DeploymentTarget } from '../../src/config/types';
import { SparkJobDefinition } from '../../src/job/spark-job-definition';

const ROOT = path.join(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'fetch-table-jars.sh');

/** The `line|group:artifact:version|sha1` entries of scripts/fetch-table-jars.sh. */
function scriptJars(): Array<{ line: string; coords: string; sha1: string }> {
  const text = fs.readFileSync(SCRIPT, 'utf8');
  return [...text.matchAll(/^\s*"(\d\.\d)\|([^|]+)\|([0-9a-f]{40})"$/gm)].map(m => ({ line: m[1], coords: m[2], sha1: m[3] }));
}

describe('table formats in the configuration model', () => {
  test.each(['3.5', '4.0'])('Spark %s: the pinned jars are exactly what the fetch script downloads and checks', line => {
    const model = Object.values(TABLE_FORMAT_PACKAGES[line]).flat().map(j => ({ line, coords: j.coordinates, sha1: j.sha1 }));
    expect(model.sort((a, b) => a.coords.localeCompare(b.coords)))
      .toEqual(scriptJars().filter(j => j.line === line).sort((a, b) => a.coords.localeCompare(b.coords)));
    // The Scala suffix matches the line's Spark build (2.12 for 3.5, 2.13 for 4.0).
    const scala = resolveSparkVersion(line === '3.5' ? '3.5.6' : '4.0.2').scalaBinaryVersion;
    for (const j of model.filter(m => !m.coords.includes('delta-storage'))) expect(j.coords).toContain(`_${scala}:`);
  });

  test('a fetched jar has the SHA-1 the model pins (when scripts/fetch-table-jars.sh has run)', () => {
    const dir = path.join(ROOT, '.tools', 'table-jars', '4.0');
    const jars = TABLE_FORMAT_PACKAGES['4.0'][TableFormat.DELTA];
    const file = path.join(dir, jars[1].file); // delta-storage: small
    if (!fs.existsSync(file)) return expect(process.env.CI).not.toBe('true');
    expect(createHash('sha1').update(fs.readFileSync(file)).digest('hex')).toBe(jars[1].sha1);
  });

  test('EMR Serverless uses the release\'s bundled Delta jars, with the version the release guide lists', () => {
    const s = tableFormatSupport({ format: TableFormat.DELTA }, DeploymentTarget.EMR_SERVERLESS, resolveEmrRelease('emr-7.12.0'));
    expect(s.version).toBe('3.3.2-amzn-1');
    expect(s.jars).toEqual([]);
    expect(Object.fromEntries(s.entries.map(e => [e.key, e.value]))).toEqual({
      'spark.jars': '/usr/share/aws/delta/lib/delta-spark.jar,/usr/share/aws/delta/lib/delta-storage.jar',
      'spark.sql.extensions': 'io.delta.sql.DeltaSparkSessionExtension',
      'spark.sql.catalog.spark_catalog': 'org.apache.spark.sql.delta.catalog.DeltaCatalog',
    });
    for (const e of s.entries) expect(e.reason.length).toBeGreaterThan(10);
    // Delta 2.x (EMR 6.x) still names its jar delta-core.jar.
    const old = tableFormatSupport({ format: TableFormat.DELTA }, DeploymentTarget.EMR_SERVERLESS, resolveEmrRelease('emr-6.15.0'));
    expect(old.entries.find(e => e.key === 'spark.jars')!.value).toContain('delta-core.jar');
    expect(emrBundledTableFormats('emr-spark-8.0.0')).toEqual({ delta: '4.0.0', iceberg: '1.10.1' });
  });

  test('Iceberg with the Glue catalog on EMR Serverless: catalog keys, the IAM it needs, the runtime jar EMR ships', () => {
    const s = tableFormatSupport({ format: TableFormat.ICEBERG, icebergCatalog: IcebergCatalogKind.GLUE, warehouse: 's3://lake/warehouse' },
      DeploymentTarget.EMR_SERVERLESS, resolveEmrRelease('emr-7.12.0'));
    expect(s.version).toBe('1.10.0-amzn-0');
    expect(s.glueCatalog).toBe(true);
    // The path the EMR Serverless user guide gives (using-iceberg.html).
    expect(s.entries.find(e => e.key === 'spark.jars')!.value).toBe('/usr/share/aws/iceberg/lib/iceberg-spark3-runtime.jar');
    expect(s.confirmed).toBe(true);
    expect(s.unconfirmed).toBeUndefined();
    const props = Object.fromEntries(s.entries.map(e => [e.key, e.value]));
    expect(props).toMatchObject({
      'spark.sql.extensions': 'org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions',
      'spark.sql.catalog.glue': 'org.apache.iceberg.spark.SparkCatalog',
      'spark.sql.catalog.glue.catalog-impl': 'org.apache.iceberg.aws.glue.GlueCatalog',
      'spark.sql.catalog.glue.warehouse': 's3://lake/warehouse',
    });
    expect(GLUE_CATALOG_ACTIONS.every(a => a.startsWith('glue:') && !a.includes('*'))).toBe(true);
  });

  test.each([['3.5.6', '3.5'], ['4.0.2', '4.0']])('Spark Operator %s: the pinned jars from the artifact, checksummed, no download', (version, line) => {
    const s = tableFormatSupport({ format: TableFormat.ICEBERG, jarsUri: 's3a://art/v1/jars/' }, DeploymentTarget.KUBERNETES, resolveSparkVersion(version));
    expect(s.jars).toEqual(TABLE_FORMAT_PACKAGES[line][TableFormat.ICEBERG]);
    expect(s.entries.find(e => e.key === 'spark.jars')!.value).toBe(`s3a://art/v1/jars/${s.jars[0].file}`);
    expect(s.entries.some(e => e.key === 'spark.jars.packages')).toBe(false);
    expect(s.glueCatalog).toBe(false);
    expect(s.confirmed).toBe(true);
  });

  test.each([
    [{ format: TableFormat.ICEBERG, icebergCatalog: IcebergCatalogKind.GLUE, warehouse: 's3://w' }, DeploymentTarget.KUBERNETES, '3.5.6', /icebergCatalog: 'glue'.*EMR Serverless/],
    [{ format: TableFormat.ICEBERG, icebergCatalog: IcebergCatalogKind.GLUE }, DeploymentTarget.EMR_SERVERLESS, 'emr-7.12.0', /tableFormat.warehouse: undefined.*s3:\/\//],
    [{ format: TableFormat.DELTA, warehouse: 's3://w' }, DeploymentTarget.EMR_SERVERLESS, 'emr-7.12.0', /tableFormat.warehouse.*Iceberg tables only/],
    [{ format: TableFormat.ICEBERG, catalogName: 'spark_catalog', warehouse: 's3://w' }, DeploymentTarget.KUBERNETES, '3.5.6', /catalogName/],
    [{ format: 'hudi' as TableFormat }, DeploymentTarget.KUBERNETES, '3.5.6', /tableFormat.format: 'hudi'.*delta, iceberg/],
    [{ format: TableFormat.DELTA, jarsUri: 'ftp://x/' }, DeploymentTarget.KUBERNETES, '3.5.6', /jarsUri/],
  ])('an unsupported combination fails at synth, naming the field (%#)', (options, target, release, message) => {
    const r = target === DeploymentTarget.EMR_SERVERLESS ? resolveEmrRelease(release) : resolveSparkVersion(release);
    expect(() => tableFormatSupport(options, target, r)).toThrow(message);
  });

  test('a Kubernetes Spark line without pinned jars fails at synth', () => {
    const r = { ...resolveSparkVersion('3.5.6'), sparkLine: '3.4', sparkVersion: '3.4.1' };
    expect(() => tableFormatSupport({ format: TableFormat.DELTA }, DeploymentTarget.KUBERNETES, r)).toThrow(/release: '3.4.1'.*3.5, 4.0/);
  });
});

describe('a job\'s table format in the tuned configuration', () => {
  test('EMR Serverless: the Iceberg Glue catalog keys pass the service rules, each with its reason; an override still wins', () => {
    const config = SparkConfiguration.tune({
      target: DeploymentTarget.EMR_SERVERLESS,
      release: 'emr-7.12.0',
      executor: { cpu: 4, memoryGb: 16 },
      tableFormat: { format: TableFormat.ICEBERG, icebergCatalog: IcebergCatalogKind.GLUE, warehouse: 's3://lake/wh' },
      overrides: { 'spark.sql.catalog.glue.warehouse': 's3://lake/other' },
    });
    const props = config.properties();
    expect(props['spark.sql.extensions']).toBe('org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions');
    expect(props['spark.sql.catalog.glue.warehouse']).toBe('s3://lake/other');
    expect(config.reasons()['spark.sql.catalog.glue.catalog-impl']).toContain('Glue');
  });

  test('SparkJobDefinition: workload.tableFormat renders on both targets; an unsupported pair fails when tuned', () => {
    const job = new SparkJobDefinition({
      name: 'nightly-merge',
      code: JobCode.fromImage({ root: '/opt/spark-jobs', entryPoints: { table: 'spark_jobs/entrypoints/table.py' } }),
      entryPoint: 'table',
      workload: { tableFormat: { format: TableFormat.DELTA } },
    });
    const emr = job.tune({ target: DeploymentTarget.EMR_SERVERLESS, release: 'emr-7.12.0', executor: { cpu: 4, memoryGb: 16 } }).properties();
    expect(emr['spark.jars']).toContain('/usr/share/aws/delta/lib/delta-spark.jar');
    const k8s = job.tune({ target: DeploymentTarget.KUBERNETES, release: '4.0.2', executor: { cpu: 2, memoryGb: 8 } }).properties();
    expect(k8s['spark.jars']).toBe('local:///opt/spark/table-jars/delta-spark_2.13-4.0.1.jar,local:///opt/spark/table-jars/delta-storage-4.0.1.jar');
    expect(k8s['spark.sql.catalog.spark_catalog']).toBe('org.apache.spark.sql.delta.catalog.DeltaCatalog');
    expect(() => job.tune({ target: DeploymentTarget.KUBERNETES, release: '3.4.1', executor: { cpu: 2, memoryGb: 8 } })).toThrow(/release/);
  });
});

describe('TableFormats (the static face jsii languages call)', () => {
  test('gives what the functions give, and fails the same way', () => {
    const release = resolveSparkVersion('4.0.1');
    expect(TableFormats.support({ format: TableFormat.ICEBERG }, DeploymentTarget.KUBERNETES, release))
      .toEqual(tableFormatSupport({ format: TableFormat.ICEBERG }, DeploymentTarget.KUBERNETES, release));
    expect(TableFormats.emrBundled('emr-7.12.0')).toEqual(emrBundledTableFormats('emr-7.12.0'));
    expect(TableFormats.emrBundled('emr-5.36.0')).toBeUndefined();
    expect(() => TableFormats.support({ format: 'hudi' as TableFormat }, DeploymentTarget.KUBERNETES, release)).toThrow(/tableFormat\.format.*hudi/);
  });
});
