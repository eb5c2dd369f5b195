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
