import { gzipSync } from 'zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DriverLogNotFoundError, DriverLogStream, driverLogLocation, readDriverLog } from '../../src/client/driver-logs';
import { MotoServer, startMotoServer, useFakeAwsCredentials } from '../support/moto-server';

describe('driverLogLocation', () => {
  test('follows <logUri>/applications/<app>/jobs/<run>/SPARK_DRIVER/<stream>.gz, with or without a prefix or slash', () => {
    expect(driverLogLocation('s3://logs/emr/', 'app1', 'run1', DriverLogStream.STDOUT))
      .toEqual({ bucket: 'logs', key: 'emr/applications/app1/jobs/run1/SPARK_DRIVER/stdout.gz' });
    expect(driverLogLocation('s3://logs/a/b', 'app1', 'run1', DriverLogStream.STDERR))
      .toEqual({ bucket: 'logs', key: 'a/b/applications/app1/jobs/run1/SPARK_DRIVER/stderr.gz' });
    expect(driverLogLocation('s3://logs', 'app1', 'run1', DriverLogStream.STDOUT))
      .toEqual({ bucket: 'logs', key: 'applications/app1/jobs/run1/SPARK_DRIVER/stdout.gz' });
  });

  test('fails naming the field for a non-S3 URI or a bad id', () => {
    expect(() => driverLogLocation('/tmp/logs', 'app1', 'run1', DriverLogStream.STDOUT)).toThrow(/logUri: '\/tmp\/logs' is not valid; expected an S3 URI/);
    expect(() => driverLogLocation('s3://logs', 'app1', '../x', DriverLogStream.STDOUT)).toThrow(/jobRunId: '..\/x' is not valid/);
  });
});

describe('readDriverLog against moto S3', () => {
  let moto: MotoServer;
  let s3: S3Client;
  beforeAll(async () => {
    useFakeAwsCredentials();
    moto = await startMotoServer();
    s3 = new S3Client({ endpoint: moto.endpoint, region: 'us-east-1', forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: 'logs' }));
  });
  afterAll(async () => {
    s3?.destroy();
    await moto?.stop();
  });

  test('unzips a gzipped log and reads a plain one as is', async () => {
    await s3.send(new PutObjectCommand({ Bucket: 'logs', Key: 'a.gz', Body: gzipSync(Buffer.from('héllo\n')) }));
    await s3.send(new PutObjectCommand({ Bucket: 'logs', Key: 'b.gz', Body: 'plain text' }));
    expect(await readDriverLog({ bucket: 'logs', key: 'a.gz' }, { endpoint: moto.endpoint, region: 'us-east-1' })).toBe('héllo\n');
    expect(await readDriverLog({ bucket: 'logs', key: 'b.gz' }, { client: s3 })).toBe('plain text');
  });

  test('a missing object is a DriverLogNotFoundError naming the URI', async () => {
    const err = await readDriverLog({ bucket: 'logs', key: 'nope.gz' }, { client: s3 }).catch(e => e);
    expect(err).toBeInstanceOf(DriverLogNotFoundError);
    expect(err.message).toMatch(/^no driver log at s3:\/\/logs\/nope.gz/);
  });
});
