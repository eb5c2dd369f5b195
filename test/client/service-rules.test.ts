import { CreateApplicationCommand, EMRServerlessClient, StartJobRunCommand, ValidationException } from '@aws-sdk/client-emr-serverless';
import { FaultProxy } from './fault-proxy';
import { ExitCode } from '../../src/cli/args';
import { EmrServerlessJobRunner } from '../../src/client/job-runner';
import { DeploymentTarget, SparkConfiguration } from '../../src/config';
import { runCli } from '../cli/emr-fixture';
import { MotoServer, startMotoServer, useFakeAwsCredentials } from '../support/moto-server';

const ROLE = 'arn:aws:iam::123456789012:role/spark-job';
const ENTRY = 's3://artifacts/spark_jobs/0.1.0/3f2a9c1e/entrypoints/features.py';

let moto: MotoServer;
let proxy: FaultProxy;
let direct: EMRServerlessClient;
let viaProxy: EMRServerlessClient;
let applicationId: string;

beforeAll(async () => {
  useFakeAwsCredentials();
  moto = await startMotoServer();
  proxy = await FaultProxy.start(moto.endpoint);
  direct = new EMRServerlessClient({ endpoint: moto.endpoint, region: 'us-east-1' });
  viaProxy = new EMRServerlessClient({ endpoint: proxy.endpoint, region: 'us-east-1', maxAttempts: 1 });
});

afterAll(async () => {
  direct?.destroy();
  viaProxy?.destroy();
  await proxy?.close();
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
  proxy.clear();
  applicationId = (await direct.send(new CreateApplicationCommand({ name: 'spark', releaseLabel: 'emr-7.12.0', type: 'SPARK' }))).applicationId!;
});

const runner = () => new EmrServerlessJobRunner({ endpoint: proxy.endpoint, region: 'us-east-1', retry: { maxRetries: 0 } });
const rawStart = (sparkSubmitParameters: string, client = viaProxy) => client.send(new StartJobRunCommand({
  applicationId,
  executionRoleArn: ROLE,
  clientToken: `t-${Math.random()}`,
  jobDriver: { sparkSubmit: { entryPoint: ENTRY, sparkSubmitParameters } },
}));

// Per-run --conf that EMR Serverless refuses, each with the rule the client names.
const REFUSED: Array<[string, { [key: string]: string }, string]> = [
  ['a cap below the start count (the issue: maxExecutors=2, initialExecutors 3)', { 'spark.dynamicAllocation.maxExecutors': '2' }, 'dynamic-allocation-bounds'],
  ['minExecutors above the cap', { 'spark.dynamicAllocation.minExecutors': '30' }, 'dynamic-allocation-bounds'],
  ['cores that are no worker size', { 'spark.executor.cores': '6' }, 'worker-cores'],
  ['memory the largest 4-vCPU worker cannot hold', { 'spark.executor.memory': '29g' }, 'worker-memory'],
  ['a standard disk over 200G', { 'spark.emr-serverless.executor.disk': '300G' }, 'worker-disk'],
  ['an unknown disk type', { 'spark.emr-serverless.driver.disk.type': 'io2' }, 'disk-type'],
  ['the external shuffle service', { 'spark.shuffle.service.enabled': 'true' }, 'no-shuffle-service'],
];

describe('the local EMR Serverless API (moto) behind a stand-in for the service\'s StartJobRun checks', () => {
  test('moto alone accepts a run the service refuses; through the proxy it is refused with the service\'s message', async () => {
    // GIVEN the configuration: a cap of 2 with the service's start count of 3
    const params = '--conf spark.dynamicAllocation.minExecutors=1 --conf spark.dynamicAllocation.maxExecutors=2';
    // THEN moto starts it (it checks nothing), which is why the tests need the stand-in...
    await expect(rawStart(params, direct)).resolves.toMatchObject({ jobRunId: expect.any(String) });
    // ...and the proxy answers as EMR Serverless does, before moto sees it
    const refused = rawStart(params);
    await expect(refused).rejects.toBeInstanceOf(ValidationException);
    await expect(rawStart(params)).rejects.toThrow(
      'Maximum value of spark.dynamicAllocation.initialExecutors: 3 must be between spark.dynamicAllocation.minExecutor 1 and spark.dynamicAllocation.maxExecutors 2.');
    expect(proxy.of('StartJobRun').every(r => r.status === 400 && r.refused)).toBe(true);
  });

  test.each(REFUSED)('the stand-in refuses %s', async (_name, conf) => {
    const base = SparkConfiguration.tune({ target: DeploymentTarget.EMR_SERVERLESS, executor: { cpu: 4, memoryGb: 16 } }).toSparkSubmitParameters();
    const extra = Object.entries(conf).map(([k, v]) => `--conf ${k}=${v}`).join(' ');
    await expect(rawStart(`${base} ${extra}`)).rejects.toBeInstanceOf(ValidationException);
  });

  test('every tuned configuration is accepted: worker shapes x inputs 0.01-5000 GB x both release lines', async () => {
    const shapes = [{ cpu: 1, memoryGb: 2 }, { cpu: 2, memoryGb: 16 }, { cpu: 4, memoryGb: 16 }, { cpu: 8, memoryGb: 60 }, { cpu: 16, memoryGb: 64 }];
    let started = 0;
    for (const release of ['emr-7.12.0', 'emr-spark-8.0.0']) {
      for (const executor of shapes) {
        for (const inputSizeGb of [0.01, 1, 50, 5000]) {
          const config = SparkConfiguration.tune({ target: DeploymentTarget.EMR_SERVERLESS, release, executor, inputSizeGb });
          const run = await runner().start({ applicationId, executionRoleArn: ROLE, entryPoint: ENTRY, sparkSubmitParameters: config });
          expect(run.jobRunId).toMatch(/^\w+$/);
          started++;
        }
      }
    }
    expect(started).toBe(40);
    expect(proxy.of('StartJobRun').filter(r => r.status === 200)).toHaveLength(40);
  });
});

describe('the client refuses first, naming the rule, and sends nothing', () => {
  test.each(REFUSED)('per-run sparkConf with %s', async (_name, sparkConf, ruleId) => {
    // GIVEN the submit parameters a deployment wrote (a ready string), as the CLI passes them
    const base = SparkConfiguration.tune({ target: DeploymentTarget.EMR_SERVERLESS, executor: { cpu: 4, memoryGb: 16 } }).toSparkSubmitParameters();
    // WHEN a run adds the --conf
    const start = runner().start({ applicationId, executionRoleArn: ROLE, entryPoint: ENTRY, sparkSubmitParameters: base, sparkConf });
    // THEN it fails before any request, naming the per-run key and the rule with its source
    await expect(start).rejects.toThrow(new RegExp(`EMR Serverless rule '${ruleId}'.*\\(source: https://`));
    expect(proxy.of('StartJobRun')).toHaveLength(0);
  });

  test('the field named is the one the user set', async () => {
    const start = runner().start({
      applicationId,
      executionRoleArn: ROLE,
      entryPoint: ENTRY,
      sparkSubmitParameters: '--conf spark.executor.cores=4',
      sparkConf: { 'spark.dynamicAllocation.maxExecutors': '2' },
    });
    await expect(start).rejects.toThrow(/^sparkConf\['spark.dynamicAllocation.maxExecutors'\]: '2' is not valid; the run would start max\(initialExecutors 3/);
    const fromDefaults = runner().start({
      applicationId,
      executionRoleArn: ROLE,
      entryPoint: ENTRY,
      applicationConfiguration: [{ classification: 'spark-defaults', properties: { 'spark.emr-serverless.executor.disk': '10G' } }],
    });
    await expect(fromDefaults).rejects.toThrow(/^applicationConfiguration spark-defaults spark.emr-serverless.executor.disk: '10G' is not valid/);
    expect(proxy.of('StartJobRun')).toHaveLength(0);
  });

  test('StartJobRun size limits: submit parameters, entry point, arguments', async () => {
    const long = `--conf spark.app.name=${'x'.repeat(102400)}`;
    await expect(runner().start({ applicationId, executionRoleArn: ROLE, entryPoint: ENTRY, sparkSubmitParameters: long }))
      .rejects.toThrow(`sparkSubmitParameters: '${long.length} characters' is not valid; at most 102400 characters; EMR Serverless rule 'submit-parameters-length'`);
    await expect(runner().start({ applicationId, executionRoleArn: ROLE, entryPoint: ENTRY, entryPointArguments: new Array(1025).fill('a') }))
      .rejects.toThrow(/EMR Serverless rule 'entry-point-arguments'/);
    await expect(runner().start({ applicationId, executionRoleArn: ROLE, entryPoint: `s3://b/${'k'.repeat(4100)}` }))
      .rejects.toThrow(/EMR Serverless rule 'entry-point-length'/);
    expect(proxy.of('StartJobRun')).toHaveLength(0);
    // The stand-in refuses the first the same way.
    await expect(rawStart(long)).rejects.toThrow(/Member must have length less than or equal to 102400/);
  });

  test('spark-deploy submit with an extra --conf the service refuses exits with a usage error and starts nothing', async () => {
    const { code, stderr } = await runCli(['submit', '--endpoint-url', proxy.endpoint, '--region', 'us-east-1', '--application-id', applicationId,
      '--execution-role-arn', ROLE, '--entry-point', ENTRY, '--spark-submit-parameters', '--conf spark.executor.cores=4',
      '--conf', 'spark.dynamicAllocation.maxExecutors=2']);
    expect(code).not.toBe(ExitCode.OK);
    expect(stderr).toMatch(/sparkConf\['spark.dynamicAllocation.maxExecutors'\]: '2' is not valid.*rule 'dynamic-allocation-bounds'/);
    expect(proxy.of('StartJobRun')).toHaveLength(0);
  });
});
