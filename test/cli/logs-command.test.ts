import { gzipSync } from 'zlib';
import { StartJobRunCommand } from '@aws-sdk/client-emr-serverless';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { EmrFixture, ENTRY, freshApplication, ROLE, runCli, startEmrFixture, stopEmrFixture } from './emr-fixture';
import { ExitCode } from '../../src/cli/args';

let f: EmrFixture;
let s3: S3Client;
let app: string;
let run: string;

beforeAll(async () => {
  f = await startEmrFixture();
  s3 = new S3Client({ endpoint: f.moto.endpoint, region: 'us-east-1', forcePathStyle: true });
});
afterAll(async () => {
  s3?.destroy();
  await stopEmrFixture(f);
});
beforeEach(async () => {
  app = await freshApplication(f);
  const started = await f.direct.send(new StartJobRunCommand({
    applicationId: app,
    clientToken: 't',
    executionRoleArn: ROLE,
    jobDriver: { sparkSubmit: { entryPoint: ENTRY } },
    configurationOverrides: { monitoringConfiguration: { s3MonitoringConfiguration: { logUri: 's3://run-logs/emr/' } } },
  }));
  run = started.jobRunId!;
  await s3.send(new CreateBucketCommand({ Bucket: 'run-logs' }));
});

async function putLog(key: string, text: string): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: 'run-logs', Key: key, Body: gzipSync(Buffer.from(text)) }));
}

describe('spark-deploy logs', () => {
  test('prints the driver stdout from the run\'s own log location', async () => {
    await putLog(`emr/applications/${app}/jobs/${run}/SPARK_DRIVER/stdout.gz`, 'rows written: 42\n');
    const { code, stdout, stderr } = await runCli(['logs', run, '--application-id', app, ...f.aws]);
    expect(stderr).toBe('');
    expect(code).toBe(ExitCode.OK);
    expect(stdout).toBe('rows written: 42\n');
  });

  test('--stream stderr with --log-uri reads the other stream under that prefix', async () => {
    await putLog(`other/applications/${app}/jobs/${run}/SPARK_DRIVER/stderr.gz`, 'WARN something\nERROR boom');
    const { code, stdout } = await runCli(['logs', run, '--application-id', app, '--stream', 'stderr',
      '--log-uri', 's3://run-logs/other', ...f.aws]);
    expect(code).toBe(ExitCode.OK);
    expect(stdout).toBe('WARN something\nERROR boom\n');
  });

  test('fails with exit 3 naming the object when the log is not there', async () => {
    const { code, stderr } = await runCli(['logs', run, '--application-id', app, ...f.aws]);
    expect(code).toBe(ExitCode.COULD_NOT_SUBMIT);
    expect(stderr).toBe(`spark-deploy logs: no driver log at s3://run-logs/emr/applications/${app}/jobs/${run}/SPARK_DRIVER/stdout.gz` +
      ' (the run may not have started, may not log to S3, or its logs are not uploaded yet)\n');
  });

  test('fails with exit 2 on an unknown stream or a non-S3 log URI', async () => {
    const stream = await runCli(['logs', run, '--application-id', app, '--stream', 'syslog', ...f.aws]);
    expect(stream.code).toBe(ExitCode.USAGE);
    expect(stream.stderr).toMatch(/--stream: 'syslog' is not valid; expected one of stdout, stderr/);
    const uri = await runCli(['logs', run, '--application-id', app, '--log-uri', 'https://logs', ...f.aws]);
    expect(uri.code).toBe(ExitCode.USAGE);
    expect(uri.stderr).toMatch(/logUri: 'https:\/\/logs' is not valid; expected an S3 URI/);
  });

  test('fails with exit 2 when neither the flags nor the run say where logs are', async () => {
    const plain = await f.direct.send(new StartJobRunCommand({
      applicationId: app, clientToken: 'u', executionRoleArn: ROLE, jobDriver: { sparkSubmit: { entryPoint: ENTRY } },
    }));
    const { code, stderr } = await runCli(['logs', plain.jobRunId!, '--application-id', app, ...f.aws]);
    expect(code).toBe(ExitCode.USAGE);
    expect(stderr).toMatch(/--log-uri: required; neither job run \w+ nor application \w+ sets an S3 log location/);
  });

  test('falls back to the application\'s default log location', async () => {
    // moto keeps no monitoring configuration on applications: the proxy adds the one the service would return
    f.proxy.rewrite('GetApplication', body => ({
      application: {
        ...body.application,
        monitoringConfiguration: { s3MonitoringConfiguration: { logUri: 's3://run-logs/app-default/' } },
      },
    }));
    const plain = await f.direct.send(new StartJobRunCommand({
      applicationId: app, clientToken: 'v', executionRoleArn: ROLE, jobDriver: { sparkSubmit: { entryPoint: ENTRY } },
    }));
    await putLog(`app-default/applications/${app}/jobs/${plain.jobRunId}/SPARK_DRIVER/stdout.gz`, 'from the app default\n');
    const { code, stdout } = await runCli(['logs', plain.jobRunId!, '--application-id', app, ...f.aws]);
    expect(code).toBe(ExitCode.OK);
    expect(stdout).toBe('from the app default\n');
    expect(f.proxy.of('GetApplication')).toHaveLength(1);
  });
});
