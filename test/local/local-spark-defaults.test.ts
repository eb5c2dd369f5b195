import { DeploymentTarget, SparkConfiguration, StorageKind } from '../../src/config';
import { LocalSparkDefaults } from '../../src/local';

const emr = () => SparkConfiguration.tune({
  target: DeploymentTarget.EMR_SERVERLESS,
  release: 'emr-7.12.0',
  executor: { cpu: 4, memoryGb: 16 },
  deltaLake: true,
});
const k8s = (over: Partial<Parameters<typeof SparkConfiguration.tune>[0]> = {}) => SparkConfiguration.tune({
  target: DeploymentTarget.KUBERNETES,
  release: '4.0.2',
  executor: { cpu: 2, memoryGb: 8 },
  storage: { kind: StorageKind.S3_COMPATIBLE, endpoint: 'http://127.0.0.1:9000' },
  ...over,
});

/** Reads a spark-defaults.conf the way java.util.Properties does for `key value` lines. */
function parseConf(text: string): { [key: string]: string } {
  const out: { [key: string]: string } = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const space = line.indexOf(' ');
    out[line.slice(0, space)] = line.slice(space + 1);
  }
  return out;
}

describe('LocalSparkDefaults', () => {
  test('keeps every rendered property and changes only master and the driver heap', () => {
    // GIVEN an EMR Serverless rendering with a 4 vCPU / 16 GB driver
    const config = emr();
    // WHEN it is made local
    const local = LocalSparkDefaults.fromConfiguration(config);
    // THEN only the local changes differ, each with its reason
    const rendered = config.properties();
    const changed = Object.keys(local.properties).filter(k => local.properties[k] !== rendered[k]).sort();
    expect(changed).toEqual(['spark.driver.memory', 'spark.master']);
    expect(Object.keys(local.localChanges).sort()).toEqual(changed);
    expect(local.properties['spark.master']).toBe('local[*]');
    expect(local.properties['spark.driver.memory']).toBe('2g');
    expect(local.localChanges['spark.driver.memory']).toMatch(new RegExp(`rendered: ${rendered['spark.driver.memory']}`));
  });

  test('leaves a driver heap below the cap as rendered', () => {
    const config = k8s({ executor: { cpu: 1, memoryGb: 2 } });
    const local = LocalSparkDefaults.fromConfiguration(config, { maxDriverMemoryMiB: 4096 });
    expect(local.properties['spark.driver.memory']).toBe(config.properties()['spark.driver.memory']);
    expect(local.localChanges['spark.driver.memory']).toBeUndefined();
  });

  test('the rendered file reads back as the properties, local changes marked', () => {
    const local = LocalSparkDefaults.fromConfiguration(k8s(), { master: 'local[2]' });
    const text = local.toSparkDefaultsConf();
    expect(parseConf(text)).toEqual(local.properties);
    expect(text).toMatch(/# local run: a local run: driver and executors in one JVM\nspark.master local\[2\]/);
    // The model's own reasons stay above their keys
    expect(text).toMatch(/# adaptive query execution re-plans from runtime statistics\nspark.sql.adaptive.enabled true/);
  });

  test('local jars replace spark.jars.packages and join an existing spark.jars', () => {
    const withPackages = LocalSparkDefaults.fromConfiguration(k8s({ includeConnectorPackages: true }), { jars: ['/j/hadoop-aws.jar', '/j/bundle.jar'] });
    expect(withPackages.properties['spark.jars.packages']).toBeUndefined();
    expect(withPackages.removed['spark.jars.packages']).toMatch(/nothing is downloaded/);
    expect(withPackages.properties['spark.jars']).toBe('/j/hadoop-aws.jar,/j/bundle.jar');
    expect(withPackages.toSparkDefaultsConf()).toMatch(/# local run: removed spark.jars.packages/);

    const delta = LocalSparkDefaults.fromConfiguration(emr(), { jars: ['/j/a.jar'] });
    expect(delta.properties['spark.jars']).toBe('/usr/share/aws/delta/lib/delta-spark.jar,/usr/share/aws/delta/lib/delta-storage.jar,/j/a.jar');
  });

  test('a local store adds the open-source S3A properties the model renders, on any target', () => {
    // GIVEN an EMR rendering (no S3A committer: EMR brings its own)
    const config = emr();
    expect(config.properties()['spark.sql.sources.commitProtocolClass']).toBeUndefined();
    // WHEN it runs locally against a local S3 server on Spark 3.5.9
    const local = LocalSparkDefaults.fromConfiguration(config, {
      storage: { kind: StorageKind.S3_COMPATIBLE, endpoint: 'http://127.0.0.1:5000' },
      sparkVersion: '3.5.9',
    });
    // THEN the model's S3A properties for open-source Spark 3.5 are there: committer, endpoint, SDK v1 providers
    const expected = SparkConfiguration.tune({
      target: DeploymentTarget.KUBERNETES,
      release: '3.5.9',
      executor: { cpu: 1, memoryGb: 4 },
      storage: { kind: StorageKind.S3_COMPATIBLE, endpoint: 'http://127.0.0.1:5000' },
    }).properties();
    for (const key of ['spark.sql.sources.commitProtocolClass', 'spark.hadoop.fs.s3a.committer.name', 'spark.hadoop.fs.s3a.endpoint',
      'spark.hadoop.fs.s3a.path.style.access', 'spark.hadoop.fs.s3.impl', 'spark.hadoop.fs.s3a.aws.credentials.provider']) {
      expect([key, local.properties[key]]).toEqual([key, expected[key]]);
    }
    expect(local.properties['spark.hadoop.fs.s3a.aws.credentials.provider']).toMatch(/^com\.amazonaws\.auth\.EnvironmentVariableCredentialsProvider,/);
    // AND the workload's own properties are still EMR's
    expect(local.properties['spark.executor.memory']).toBe(config.properties()['spark.executor.memory']);
    expect(local.properties['spark.emr-serverless.executor.disk']).toBe('20G');
  });

  test('local files drop the cloud committer bindings, which need the spark-hadoop-cloud jar', () => {
    const config = k8s();
    expect(config.properties()['spark.sql.sources.commitProtocolClass']).toBe('org.apache.spark.internal.io.cloud.PathOutputCommitProtocol');
    const local = LocalSparkDefaults.fromConfiguration(config, { storage: { kind: StorageKind.LOCAL } });
    expect(local.properties['spark.sql.sources.commitProtocolClass']).toBeUndefined();
    expect(local.properties['spark.sql.parquet.output.committer.class']).toBeUndefined();
    expect(Object.keys(local.removed).sort()).toEqual(['spark.sql.parquet.output.committer.class', 'spark.sql.sources.commitProtocolClass']);
  });

  test('additional properties win and are listed as local changes', () => {
    const local = LocalSparkDefaults.fromConfiguration(k8s(), { additionalProperties: { 'spark.eventLog.enabled': 'true', 'spark.sql.adaptive.enabled': 'false' } });
    expect(local.properties['spark.eventLog.enabled']).toBe('true');
    expect(local.properties['spark.sql.adaptive.enabled']).toBe('false');
    expect(local.localChanges['spark.sql.adaptive.enabled']).toBe('requested for this local run');
  });

  test('fromProperties takes properties read back from a synthesized output', () => {
    const local = LocalSparkDefaults.fromProperties({ 'spark.executor.cores': '4', 'spark.driver.memory': '1g' }, '4.0.2');
    expect(local.properties).toEqual({ 'spark.executor.cores': '4', 'spark.driver.memory': '1g', 'spark.master': 'local[*]' });
  });

  test('fails for a cluster master', () => {
    expect(() => LocalSparkDefaults.fromConfiguration(k8s(), { master: 'yarn' })).toThrow(/master.*yarn.*local\[N\]/);
  });

  test('fails for a driver cap below 512 MiB', () => {
    expect(() => LocalSparkDefaults.fromConfiguration(k8s(), { maxDriverMemoryMiB: 100 })).toThrow(/maxDriverMemoryMiB.*100.*at least 512/);
  });

  test('fails for a jar that is not a .jar', () => {
    expect(() => LocalSparkDefaults.fromConfiguration(k8s(), { jars: ['/j/readme.txt'] })).toThrow(/jars.*readme\.txt.*\.jar/);
  });
});
