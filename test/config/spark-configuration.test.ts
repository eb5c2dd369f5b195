import { execFileSync } from 'child_process';
import { Token } from 'aws-cdk-lib';
import { emrWorkerRules } from '../../src/config/emr-serverless-workers';
import { OPERATOR_SPEC_KEYS, SparkConfiguration } from '../../src/config/spark-configuration';
import { DeploymentTarget, DiskType, StorageKind, SparkTuningProps } from '../../src/config/types';

const emr = (extra: Partial<SparkTuningProps> = {}) => SparkConfiguration.tune({
  target: DeploymentTarget.EMR_SERVERLESS, executor: { cpu: 4, memoryGb: 16 }, ...extra,
});
const k8s = (extra: Partial<SparkTuningProps> = {}) => SparkConfiguration.tune({
  target: DeploymentTarget.KUBERNETES, executor: { cpu: 2, memoryGb: 8 }, ...extra,
});
const jvm = (text: string) => Number(/^(\d+)([mg])$/.exec(text)![1]) * (text.endsWith('g') ? 1024 : 1);

describe('every EMR Serverless worker size at its minimum and maximum memory', () => {
  const cases = emrWorkerRules().flatMap(r => [[r.cpu, r.minMemoryGb, r.memoryStepGb], [r.cpu, r.maxMemoryGb, r.memoryStepGb]]);
  test.each(cases)('%i vCPU / %i GB: the executor fits and uses the worker within one step', (cpu, gb, step) => {
    const config = emr({ executor: { cpu, memoryGb: gb } });
    const heap = jvm(config.get('spark.executor.memory')!);
    // EMR Serverless: container = memory + max(384 MiB, 10% of memory) (app-behavior.html).
    const container = heap + Math.max(384, Math.ceil(0.1 * heap));
    expect(container).toBeLessThanOrEqual(gb * 1024);
    expect(gb * 1024 - container).toBeLessThan(step * 1024);
    expect(config.get('spark.executor.cores')).toBe(String(cpu));
  });

  test.each([[4, 30, 27], [8, 60, 54], [16, 120, 108]])('%i vCPU / %i GB holds at least the %ig AWS tooling uses', (cpu, gb, awsGb) => {
    expect(jvm(emr({ executor: { cpu, memoryGb: gb } }).get('spark.executor.memory')!)).toBeGreaterThanOrEqual(awsGb * 1024);
  });
});

describe('both targets and both Spark lines', () => {
  test.each(['emr-7.12.0', 'emr-spark-8.0.0'])('EMR %s: EMR keys, no open-source committer override, no credentials', release => {
    const props = emr({ release, executor: { cpu: 8, memoryGb: 32, diskGb: 100, diskType: DiskType.SHUFFLE_OPTIMIZED } }).properties();
    expect(props['spark.emr-serverless.executor.disk']).toBe('100G');
    expect(props['spark.emr-serverless.executor.disk.type']).toBe('shuffle_optimized');
    expect(props['spark.sql.sources.commitProtocolClass']).toBeUndefined();
    expect(props['spark.hadoop.fs.s3a.aws.credentials.provider']).toBeUndefined();
    expect(props['spark.shuffle.service.enabled']).toBeUndefined();
    expect(props['spark.dynamicAllocation.enabled']).toBe('true');
  });

  test.each([['3.5.6', 'com.amazonaws.auth.WebIdentityTokenCredentialsProvider'], ['4.0.2', 'software.amazon.awssdk.auth.credentials.WebIdentityTokenFileCredentialsProvider']])(
    'Kubernetes Spark %s: pod = heap + overhead exactly, magic committer, identity-only credentials (SDK of the line)', (release, provider) => {
      const config = k8s({ release, executor: { cpu: 4, memoryGb: 15 } });
      const props = config.properties();
      expect(jvm(props['spark.executor.memory']) + jvm(props['spark.executor.memoryOverhead'])).toBe(15 * 1024);
      expect(config.executor.unusedMiB).toBe(0);
      expect(props['spark.kubernetes.executor.request.cores']).toBe(props['spark.kubernetes.executor.limit.cores']);
      expect(props['spark.hadoop.fs.s3a.committer.name']).toBe('magic');
      expect(props['spark.hadoop.fs.s3a.aws.credentials.provider'].split(',')).toContain(provider);
      expect(props['spark.hadoop.fs.s3a.aws.credentials.provider']).not.toMatch(/EnvironmentVariable|Simple/);
      expect(props['spark.dynamicAllocation.shuffleTracking.enabled']).toBe('true');
    });

  test('Python-heavy jobs reserve 40% overhead on both targets', () => {
    const onEmr = emr({ pythonHeavy: true });
    expect(onEmr.get('spark.emr-serverless.memoryOverheadFactor')).toBe('0.4');
    const heap = jvm(onEmr.get('spark.executor.memory')!);
    expect(heap + Math.ceil(0.4 * heap)).toBeLessThanOrEqual(16384);
    const onK8s = k8s({ pythonHeavy: true });
    expect(onK8s.executor.overheadMiB).toBeGreaterThanOrEqual(Math.ceil(0.4 * onK8s.executor.heapMiB));
  });

  test('shuffle partitions grow with input size and stay a multiple of the cores', () => {
    const small = emr({ maxExecutors: 10 });
    expect(small.shufflePartitions).toBe(80);
    const big = emr({ maxExecutors: 10, inputSizeGb: 100 });
    expect(big.shufflePartitions).toBe(800);
    // EMR Serverless starts 3 executors, so its floor is 3 (rule dynamic-allocation-bounds); Kubernetes keeps 2.
    expect(emr({ inputSizeGb: 1 }).maxExecutors).toBe(3);
    expect(k8s({ inputSizeGb: 0.1 }).maxExecutors).toBe(2);
  });

  test('a fixed executor count turns dynamic allocation off', () => {
    const props = k8s({ executorInstances: 3 }).properties();
    expect(props['spark.dynamicAllocation.enabled']).toBe('false');
    expect(props['spark.executor.instances']).toBe('3');
  });

  test('S3-compatible storage renders endpoint, path style, plain http and environment credentials', () => {
    const props = k8s({ storage: { kind: StorageKind.S3_COMPATIBLE, endpoint: 'http://127.0.0.1:9000' } }).properties();
    expect(props['spark.hadoop.fs.s3a.endpoint']).toBe('http://127.0.0.1:9000');
    expect(props['spark.hadoop.fs.s3a.path.style.access']).toBe('true');
    expect(props['spark.hadoop.fs.s3a.connection.ssl.enabled']).toBe('false');
    expect(props['spark.hadoop.fs.s3a.aws.credentials.provider']).toMatch(/^com.amazonaws.auth.EnvironmentVariableCredentialsProvider,/);
  });

  test('local storage renders no S3A keys', () => {
    const keys = Object.keys(k8s({ storage: { kind: StorageKind.LOCAL } }).properties());
    expect(keys.filter(k => k.includes('s3a'))).toEqual([]);
  });

  test('connector packages match the Hadoop of each line', () => {
    expect(k8s({ release: '3.5.6', includeConnectorPackages: true }).get('spark.jars.packages'))
      .toBe('org.apache.hadoop:hadoop-aws:3.3.4,com.amazonaws:aws-java-sdk-bundle:1.12.262,org.apache.spark:spark-hadoop-cloud_2.12:3.5.6');
    expect(k8s({ release: '4.0.2', includeConnectorPackages: true, deltaLake: true }).get('spark.jars.packages'))
      .toMatch(/hadoop-aws:3.4.1,software.amazon.awssdk:bundle:2.24.6,.*spark-hadoop-cloud_2.13:4.0.2,io.delta:delta-spark_2.13:4.0.0$/);
  });

  test('Spark 4.0 lets AQE coalesce the last shuffle of a cached plan; 3.5 keeps its own default', () => {
    // Spark 4.0 turned spark.sql.optimizer.canChangeCachedPlanOutputPartitioning off (SPARK-46995); in 3.5 it is on
    // and means something else (AQE in cached plans at all), so it is left alone there. jobs/tests/optimization
    // shows the effect on real Spark.
    const key = 'spark.sql.optimizer.canChangeCachedPlanOutputPartitioning';
    expect(emr({ release: 'emr-spark-8.0.0' }).get(key)).toBe('true');
    expect(k8s({ release: '4.0.2' }).get(key)).toBe('true');
    expect(emr({ release: 'emr-7.12.0' }).get(key)).toBeUndefined();
    expect(k8s({ release: '3.5.6' }).get(key)).toBeUndefined();
  });

  test('every property has a reason', () => {
    for (const config of [emr({ deltaLake: true }), k8s({ executorOffHeapMemory: '1g' })]) {
      for (const e of config.entries()) expect(e.reason.length).toBeGreaterThan(10);
    }
  });
});

describe('renderers', () => {
  test('sparkSubmitParameters: bash reads back every key=value pair', () => {
    const config = emr({ overrides: { 'spark.executor.extraJavaOptions': '-XX:+UseG1GC -Dx=\'y z\'' } });
    const words = execFileSync('bash', ['-c', `printf '%s\\0' ${config.toSparkSubmitParameters()}`]).toString().split('\0').slice(0, -1);
    const pairs: Record<string, string> = {};
    for (let i = 0; i < words.length; i += 2) {
      expect(words[i]).toBe('--conf');
      const eq = words[i + 1].indexOf('=');
      pairs[words[i + 1].slice(0, eq)] = words[i + 1].slice(eq + 1);
    }
    expect(pairs).toEqual(config.properties());
  });

  test('EMR spark-defaults classification carries every property', () => {
    const config = emr();
    expect(config.toEmrSparkDefaults()).toEqual({ classification: 'spark-defaults', properties: config.properties() });
  });

  test('Spark Operator conf: Hadoop keys without prefix, spec keys left to the spec, all strings', () => {
    const config = k8s({ storage: { kind: StorageKind.S3 } });
    const { sparkConf, hadoopConf } = config.toSparkOperatorConf();
    expect(hadoopConf['fs.s3a.committer.name']).toBe('magic');
    expect(Object.keys(hadoopConf).some(k => k.startsWith('spark.'))).toBe(false);
    for (const key of OPERATOR_SPEC_KEYS) expect(sparkConf[key]).toBeUndefined();
    const all = { ...sparkConf, ...Object.fromEntries(Object.entries(hadoopConf).map(([k, v]) => [`spark.hadoop.${k}`, v])) };
    for (const [k, v] of Object.entries(config.properties())) {
      if (!OPERATOR_SPEC_KEYS.includes(k)) expect(all[k]).toBe(v);
    }
    for (const v of [...Object.values(sparkConf), ...Object.values(hadoopConf)]) expect(typeof v).toBe('string');
  });

  test('spark-defaults.conf: one "key value" line per property, each under its reason', () => {
    const config = k8s();
    const lines = config.toSparkDefaultsConf().trimEnd().split('\n');
    const body = lines.filter(l => !l.startsWith('#'));
    expect(body).toHaveLength(config.entries().length);
    for (const e of config.entries()) {
      const i = lines.indexOf(`${e.key} ${e.value}`);
      expect(i).toBeGreaterThan(0);
      expect(lines[i - 1]).toBe(`# ${e.reason}`);
    }
  });
});

describe('overrides', () => {
  test('win, and show "user override" as their reason', () => {
    const config = emr({ overrides: { 'spark.sql.shuffle.partitions': '999', 'fs.s3a.threads.max': '10', 'spark.hadoop.fs.s3a.multipart.size': '64M' } });
    expect(config.get('spark.sql.shuffle.partitions')).toBe('999');
    expect(config.reasons()['spark.sql.shuffle.partitions']).toBe('user override');
    expect(config.get('spark.hadoop.fs.s3a.threads.max')).toBe('10');
    expect(config.get('fs.s3a.multipart.size')).toBe('64M');
  });

  test('a heap override on Kubernetes keeps the pod exact', () => {
    const config = k8s({ overrides: { 'spark.executor.memory': '6g' } });
    expect(config.executor.heapMiB + config.executor.overheadMiB).toBe(8192);
  });

  test('withOverrides layers a job\'s overrides on the application\'s', () => {
    const base = emr({ overrides: { 'spark.sql.shuffle.partitions': '100' } });
    const job = base.withOverrides({ 'spark.sql.adaptive.enabled': 'false' });
    expect(job.get('spark.sql.shuffle.partitions')).toBe('100');
    expect(job.get('spark.sql.adaptive.enabled')).toBe('false');
  });

  test('unresolved tokens are not validated', () => {
    const token = Token.asString({ Ref: 'Something' });
    expect(() => emr({ overrides: { 'spark.executor.memory': token, 'spark.sql.shuffle.partitions': token } })).not.toThrow();
    expect(() => emr({ storage: { kind: StorageKind.S3_COMPATIBLE, endpoint: token } })).not.toThrow();
  });
});

describe('bad input fails with the field, the value and what is allowed', () => {
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['an unknown target', () => SparkConfiguration.tune({ target: 'yarn' as any, executor: { cpu: 4, memoryGb: 16 } }), /target: 'yarn' is not valid; expected one of emr-serverless, kubernetes/],
    ['an invalid vCPU', () => emr({ executor: { cpu: 3, memoryGb: 12 } }), /executor.cpu: 3 is not valid; EMR Serverless workers have 1, 2, 4, 8, 16 vCPU/],
    ['memory above the range', () => emr({ executor: { cpu: 4, memoryGb: 32 } }), /executor.memoryGb: 32 is not valid; a 4-vCPU EMR Serverless worker takes 8-30 GB/],
    ['memory below the range', () => emr({ executor: { cpu: 16, memoryGb: 16 } }), /executor.memoryGb: 16 is not valid; a 16-vCPU .* 32-120 GB/],
    ['memory off its step', () => emr({ executor: { cpu: 8, memoryGb: 22 } }), /executor.memoryGb: 22 is not valid; .* steps of 4 GB/],
    ['a driver off its step', () => emr({ driver: { cpu: 16, memoryGb: 44 } }), /driver.memoryGb: 44 is not valid/],
    ['an unknown release label', () => emr({ release: 'emr-7.99.0' }), /release: 'emr-7.99.0' is not valid; expected a known EMR Serverless release label/],
    ['an unsupported Spark version on Kubernetes', () => k8s({ release: '2.4.8' }), /release: '2.4.8' is not valid; expected a Spark version of a supported line/],
    ['shuffle-optimized disk before 7.1', () => emr({ release: 'emr-7.0.0', executor: { cpu: 4, memoryGb: 16, diskType: DiskType.SHUFFLE_OPTIMIZED } }), /executor.diskType: 'shuffle-optimized' is not valid; shuffle-optimized disks need EMR 7.1.0 or later/],
    ['a standard disk over 200 GB', () => emr({ executor: { cpu: 4, memoryGb: 16, diskGb: 500 } }), /executor.diskGb: 500 is not valid; standard disks take 20-200 GB/],
    ['a pod with less than one vCPU', () => k8s({ executor: { cpu: 0.5, memoryGb: 4 } }), /executor.cpu: 0.5 is not valid; a pod needs at least 1 vCPU/],
    ['a pod too small for a JVM', () => k8s({ executor: { cpu: 1, memoryGb: 0.5 } }), /executor.memoryGb: '512MiB' is not valid; a container must hold at least a 450 MiB heap/],
    ['a disk on a pod', () => k8s({ executor: { cpu: 1, memoryGb: 4, diskGb: 50 } }), /executor.diskGb: 50 is not valid; disk size and type apply to EMR Serverless workers only/],
    ['a negative input size', () => emr({ inputSizeGb: -5 }), /inputSizeGb: -5 is not valid; expected a size in GB, zero or more/],
    ['a negative executor count', () => k8s({ executorInstances: -1 }), /executorInstances: -1 is not valid; expected a whole number >= 1/],
    ['a fractional executor cap', () => emr({ maxExecutors: 2.5 }), /maxExecutors: 2.5 is not valid/],
    ['both instances and a cap', () => k8s({ executorInstances: 2, maxExecutors: 4 }), /maxExecutors: 4 is not valid; set either executorInstances .* or maxExecutors, not both/],
    ['a malformed off-heap size', () => k8s({ executorOffHeapMemory: 'a lot' }), /executorOffHeapMemory: 'a lot' is not valid; expected a positive size/],
    ['an executor heap override that does not fit', () => emr({ executor: { cpu: 4, memoryGb: 30 }, overrides: { 'spark.executor.memory': '28g' } }), /overrides\['spark.executor.memory'\]: '28672m' is not valid; heap 28672 MiB \+ overhead 2868 MiB = 31540 MiB exceeds the 30720 MiB container; at most 27904m fits/],
    ['a malformed memory override', () => emr({ overrides: { 'spark.driver.memory': '14 gigs' } }), /overrides\['spark.driver.memory'\]: '14 gigs' is not valid; expected a JVM size such as 4096m or 4g/],
    ['a non-integer core override', () => emr({ overrides: { 'spark.executor.cores': 'four' } }), /overrides\['spark.executor.cores'\]: 'four' is not valid; expected a whole number >= 1/],
    ['more cores than the worker', () => emr({ overrides: { 'spark.executor.cores': '8' } }), /overrides\['spark.executor.cores'\]: '8' is not valid; at most the executor worker's 4 vCPU/],
    ['a non-boolean flag', () => emr({ overrides: { 'spark.sql.adaptive.enabled': 'yes' } }), /overrides\['spark.sql.adaptive.enabled'\]: 'yes' is not valid; expected true or false/],
    ['a static S3 key', () => k8s({ overrides: { 'spark.hadoop.fs.s3a.secret.key': 'x' } }), /overrides: 'spark.hadoop.fs.s3a.secret.key' is not valid; static credentials are never rendered/],
    ['a per-bucket static key', () => k8s({ overrides: { 'fs.s3a.bucket.data.access.key': 'AKIA' } }), /static credentials are never rendered/],
    ['an external shuffle service on EMR', () => emr({ overrides: { 'spark.shuffle.service.enabled': 'true' } }), /EMR Serverless has no external shuffle service/],
    ['a key that is not Spark or Hadoop', () => emr({ overrides: { 'executor.memory': '4g' } }), /overrides: 'executor.memory' is not valid; expected a Spark property \(spark.\*\) or a Hadoop property/],
    ['a key with spaces', () => emr({ overrides: { 'spark.sql shuffle': '1' } }), /overrides: 'spark.sql shuffle' is not valid; property names are dotted identifiers/],
    ['an empty value', () => emr({ overrides: { 'spark.app.name': ' ' } }), /overrides\['spark.app.name'\]: ' ' is not valid; an override needs a value/],
    ['a non-string value', () => emr({ overrides: { 'spark.sql.shuffle.partitions': 200 as any } }), /overrides\['spark.sql.shuffle.partitions'\]: 200 is not valid; override values are strings/],
    ['an S3-compatible store without endpoint', () => k8s({ storage: { kind: StorageKind.S3_COMPATIBLE } }), /storage.endpoint: undefined is not valid; an S3-compatible store needs its endpoint URL/],
    ['a malformed endpoint', () => k8s({ storage: { kind: StorageKind.S3_COMPATIBLE, endpoint: 'minio:9000' } }), /storage.endpoint: 'minio:9000' is not valid; expected an http:\/\/ or https:\/\/ URL/],
    ['a malformed region', () => k8s({ storage: { kind: StorageKind.S3, region: 'Frankfurt' } }), /storage.region: 'Frankfurt' is not valid; expected an AWS region name/],
    ['an unknown storage kind', () => k8s({ storage: { kind: 'hdfs' as any } }), /storage.kind: 'hdfs' is not valid; expected one of s3, s3-compatible, local/],
  ];
  test.each(cases)('fails for %s', (_name, make, message) => {
    expect(make).toThrow(message);
  });
});
