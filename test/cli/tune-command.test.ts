import { main } from '../../src/cli/main';

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: t => { stdout += t; }, stderr: t => { stderr += t; } });
  return { code, stdout, stderr };
}

describe('spark-deploy tune', () => {
  test('--format json prints properties and reasons for every key', async () => {
    const { code, stdout, stderr } = await run(['tune', '--target', 'emr-serverless', '--release', 'emr-spark-8.0.0',
      '--worker-cpu', '4', '--worker-memory-gb', '16', '--input-gb', '50', '--format', 'json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.release).toBe('emr-spark-8.0.0');
    expect(out.sparkVersion).toBe('4.0.2');
    expect(Object.keys(out.reasons).sort()).toEqual(Object.keys(out.properties).sort());
    expect(out.properties['spark.executor.memory']).toBe('14848m');
    for (const v of Object.values(out.properties)) expect(typeof v).toBe('string');
  });

  test('the issue\'s small job: a cap EMR Serverless accepts, the start count within it, and why', async () => {
    // GIVEN the command a new user ran (1 GB on 4 vCPU / 16 GB workers), which used to render maxExecutors=2
    const { code, stdout } = await run(['tune', '--target', 'emr-serverless', '--release', 'emr-7.12.0',
      '--worker-cpu', '4', '--worker-memory-gb', '16', '--input-gb', '1', '--format', 'json']);
    expect(code).toBe(0);
    const { properties, reasons } = JSON.parse(stdout);
    // THEN the service's check min <= max(initialExecutors, minExecutors, executor.instances) <= max holds
    const min = Number(properties['spark.dynamicAllocation.minExecutors']);
    const max = Number(properties['spark.dynamicAllocation.maxExecutors']);
    const start = Math.max(Number(properties['spark.dynamicAllocation.initialExecutors']), min, Number(properties['spark.executor.instances'] ?? 3));
    expect([min <= start, start <= max]).toEqual([true, true]);
    expect(max).toBe(3);
    expect(reasons['spark.dynamicAllocation.maxExecutors']).toMatch(/EMR Serverless starts a run with/);
  });

  test('a --conf that breaks an EMR Serverless rule is a usage error naming the rule and its source', async () => {
    const { code, stdout, stderr } = await run(['tune', '--target', 'emr-serverless', '--worker-cpu', '4', '--worker-memory-gb', '16',
      '--conf', 'spark.dynamicAllocation.maxExecutors=2']);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^spark-deploy tune: overrides\['spark.dynamicAllocation.maxExecutors'\]: '2' is not valid; .*EMR Serverless rule 'dynamic-allocation-bounds'.*aws-emr-utilities\/pull\/175/);
  });

  test('--format conf prints a spark-defaults.conf', async () => {
    const { code, stdout } = await run(['tune', '--target', 'kubernetes', '--worker-cpu', '2', '--worker-memory-gb', '8', '--format', 'conf']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^spark\.executor\.memory 7424m$/m);
    expect(stdout).toMatch(/^spark\.executor\.memoryOverhead 768m$/m);
  });

  test('--format submit prints sparkSubmitParameters, with --conf overrides applied', async () => {
    const { stdout } = await run(['tune', '--target', 'emr-serverless', '--worker-cpu', '2', '--worker-memory-gb', '8',
      '--conf', 'spark.sql.shuffle.partitions=64', '--format', 'submit']);
    expect(stdout).toMatch(/--conf spark.sql.shuffle.partitions=64/);
    expect(stdout.startsWith('--conf spark.executor.cores=2 ')).toBe(true);
  });

  test('the default table shows sizing and reasons', async () => {
    const { stdout } = await run(['tune', '--target', 'emr-serverless', '--worker-cpu', '16', '--worker-memory-gb', '120']);
    expect(stdout).toMatch(/executor: 16 cores, heap 111680m/);
    expect(stdout).toMatch(/spark\.sql\.adaptive\.enabled\s+true\s+adaptive query execution/);
  });

  test.each([
    [['tune', '--target', 'emr-serverless', '--worker-cpu', '3', '--worker-memory-gb', '12'], /executor.cpu: 3 is not valid; EMR Serverless workers have 1, 2, 4, 8, 16 vCPU/],
    [['tune', '--target', 'mesos', '--worker-cpu', '4', '--worker-memory-gb', '16'], /--target: 'mesos' is not valid; expected one of emr-serverless, kubernetes/],
    [['tune', '--worker-cpu', '4', '--worker-memory-gb', '16'], /--target: required/],
    [['tune', '--target', 'kubernetes', '--worker-cpu', 'four', '--worker-memory-gb', '16'], /--worker-cpu: 'four' is not a number/],
    [['tune', '--target', 'emr-serverless', '--worker-cpu', '4', '--worker-memory-gb', '16', '--release', 'emr-5.0.0'], /release: 'emr-5.0.0' is not valid/],
    [['tune', '--target', 'emr-serverless', '--worker-cpu', '4', '--worker-memory-gb', '16', '--format', 'xml'], /--format: 'xml' is not valid; expected one of table, json, conf, submit/],
    [['tune', '--target', 'emr-serverless', '--worker-cpu', '4', '--worker-memory-gb', '16', '--bogus', '1'], /--bogus: unknown flag/],
  ])('invalid input: one line on stderr, exit code 2 (%#)', async (argv, message) => {
    const { code, stdout, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  test('unknown command exits 2', async () => {
    const { code, stderr } = await run(['tuen']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/unknown command 'tuen'/);
  });
});

describe('spark-deploy tune --table-format', () => {
  test('iceberg with the Glue catalog on EMR Serverless: the extension, the catalog and EMR\'s bundled jar, each with a reason', async () => {
    const { code, stdout, stderr } = await run(['tune', '--target', 'emr-serverless', '--release', 'emr-7.12.0',
      '--worker-cpu', '4', '--worker-memory-gb', '16', '--table-format', 'iceberg', '--iceberg-catalog', 'glue',
      '--warehouse', 's3://lake/warehouse', '--format', 'json']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const { properties, reasons } = JSON.parse(stdout);
    expect(properties['spark.sql.extensions']).toBe('org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions');
    expect(properties['spark.sql.catalog.glue.catalog-impl']).toBe('org.apache.iceberg.aws.glue.GlueCatalog');
    expect(reasons['spark.jars']).toContain('1.10.0-amzn-0');
  });

  test('delta on Kubernetes: the pinned jars; an unsupported pair is a usage error naming the field', async () => {
    const ok = await run(['tune', '--target', 'kubernetes', '--release', '4.0.2', '--worker-cpu', '2', '--worker-memory-gb', '8',
      '--table-format', 'delta', '--table-jars-uri', 's3a://art/v1/jars/', '--format', 'json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).properties['spark.jars']).toBe('s3a://art/v1/jars/delta-spark_2.13-4.0.1.jar,s3a://art/v1/jars/delta-storage-4.0.1.jar');
    const bad = await run(['tune', '--target', 'kubernetes', '--worker-cpu', '2', '--worker-memory-gb', '8',
      '--table-format', 'iceberg', '--iceberg-catalog', 'glue', '--warehouse', 's3://w']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/tableFormat.icebergCatalog: 'glue'/);
    const orphan = await run(['tune', '--target', 'kubernetes', '--worker-cpu', '2', '--worker-memory-gb', '8', '--warehouse', 's3://w']);
    expect(orphan.stderr).toMatch(/need --table-format/);
  });
});
