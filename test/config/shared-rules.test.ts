import { Lazy, Token } from 'aws-cdk-lib';
import { EmrWorkers } from '../../src/config/emr-serverless-workers';
import { SparkReleases } from '../../src/config/releases';
import { isS3BucketName, isS3KeyPrefix, parseS3Uri, s3PrefixUri, s3Uri } from '../../src/config/s3-paths';
import { isJvmSize, jvmSizeMiB, MemorySizes } from '../../src/config/sizes';
import { ConnectorPackages } from '../../src/config/storage-properties';
import { isUnresolved, mayBeToken } from '../../src/config/unresolved';

// The rules src/ writes once; each is checked against the service's or Spark's own definition.

describe('JVM sizes (Spark: a whole number and k, m, g, t or p; spark.*.memory reads a bare number as MiB)', () => {
  test.each([
    ['4096m', 4096], ['4g', 4 * 1024], ['4G', 4 * 1024], ['1t', 1024 * 1024], ['1p', 1024 ** 3], ['2048k', 2], ['512', 512], [' 14g ', 14 * 1024], ['7gb', 7 * 1024],
  ])('%p is %d MiB', (text, mib) => {
    expect(isJvmSize(text)).toBe(true);
    expect(jvmSizeMiB(text)).toBe(mib);
  });

  test('a bare number is bytes where Spark reads bytes (byte-string properties)', () => {
    expect(jvmSizeMiB('134217728', 'bytes')).toBe(128);
    expect(jvmSizeMiB('128m', 'bytes')).toBe(128);
  });

  test.each(['4 g', '1.5g', 'lots', '', '4x', '-1g', 'g4'])('%p is not a size Spark memory properties take', text => {
    expect(isJvmSize(text)).toBe(false);
  });

  test('readers of recorded properties take a decimal; text that is no size reads as undefined', () => {
    expect(jvmSizeMiB('1.5g')).toBe(1536);
    expect(jvmSizeMiB('lots')).toBeUndefined();
    expect(jvmSizeMiB(undefined)).toBeUndefined();
  });
});

describe('S3 paths (S3 user guide: bucket naming rules, object key naming guidelines)', () => {
  // The user guide's examples of valid and invalid general purpose bucket names.
  test.each(['docexamplebucket1', 'log-delivery-march-2020', 'my-hosted-content', 'a.b.c'])('%p is a bucket name', name => {
    expect(isS3BucketName(name)).toBe(true);
  });
  test.each(['doc_example_bucket', 'DocExampleBucket', 'doc-example-bucket-', 'ab', 'a'.repeat(64)])('%p is not a bucket name', name => {
    expect(isS3BucketName(name)).toBe(false);
  });

  test.each(['logs', 'team/emr-logs', "a!b_c.d*e'f(g)h-i"])('%p is a key prefix', prefix => {
    expect(isS3KeyPrefix(prefix)).toBe(true);
  });
  test.each(['/logs', 'logs/', 'a//b', '', 'a b', 'dt=2024'])('%p is not a key prefix of safe characters', prefix => {
    expect(isS3KeyPrefix(prefix)).toBe(false);
  });
  test('Hive partition paths (key=value) where allowed', () => {
    expect(isS3KeyPrefix('tables/dt=2024-01-01', { allowEquals: true })).toBe(true);
    expect(isS3KeyPrefix('tables/dt=2024-01-01/', { allowEquals: true })).toBe(false);
  });

  test('URIs parse into bucket and key, and render back', () => {
    expect(parseS3Uri('s3://my-logs/emr/run-1/')).toEqual({ scheme: 's3', bucket: 'my-logs', key: 'emr/run-1/' });
    expect(parseS3Uri('s3://my-logs')).toEqual({ scheme: 's3', bucket: 'my-logs', key: '' });
    expect(parseS3Uri('s3a://b/k')).toBeUndefined();
    expect(parseS3Uri('s3a://b/k', { s3a: true })).toEqual({ scheme: 's3a', bucket: 'b', key: 'k' });
    expect(parseS3Uri('s3://Bad_Bucket/k')?.bucket).toBe('Bad_Bucket');
    expect(parseS3Uri('s3://Bad_Bucket/k', { strictBucket: true })).toBeUndefined();
    expect(parseS3Uri('https://my-logs.s3.amazonaws.com/k')).toBeUndefined();
    expect(s3Uri('b', 'a/c.py')).toBe('s3://b/a/c.py');
    expect(s3PrefixUri('b', 'logs/emr')).toBe('s3://b/logs/emr/');
    const back = parseS3Uri(s3PrefixUri('my-logs', 'emr'))!;
    expect(s3Uri(back.bucket, back.key)).toBe('s3://my-logs/emr/');
  });
});

describe('unresolved values (CDK tokens, recognised by aws-cdk-lib itself once a value has a token\'s shape)', () => {
  // Each token comes from aws-cdk-lib's own encoders; the expectation is aws-cdk-lib's own answer.
  const tokens: Array<[string, unknown]> = [
    ['a string token', Token.asString({ Ref: 'Bucket' })],
    ['a string with a token inside', `s3://${Token.asString({ Ref: 'Bucket' })}/logs/`],
    ['a number token', Token.asNumber({ Ref: 'Count' })],
    ['a list token', Token.asList({ Ref: 'Subnets' })],
    ['a lazy string', Lazy.string({ produce: () => 'later' })],
    ['a lazy number', Lazy.number({ produce: () => 4 })],
    ['a resolvable object', Lazy.any({ produce: () => 'later' })],
  ];
  test.each(tokens)('%s is unresolved', (_name, value) => {
    expect(Token.isUnresolved(value)).toBe(true);
    expect(mayBeToken(value)).toBe(true);
    expect(isUnresolved(value)).toBe(true);
  });

  const ordinary: Array<[string, unknown]> = [
    ['a plain string', 'emr-7.12.0'], ['an empty string', ''], ['a number', 4], ['zero', 0], ['a large negative number', -1e12],
    ['NaN', NaN], ['a list', ['a', 'b']], ['a one-element list', ['a']], ['a record', { cpu: 4 }], ['null', null], ['undefined', undefined],
    ['a boolean', true],
  ];
  test.each(ordinary)('%s answers false without asking aws-cdk-lib', (_name, value) => {
    expect(Token.isUnresolved(value)).toBe(false);
    expect(mayBeToken(value)).toBe(false);
    expect(isUnresolved(value)).toBe(false);
  });

  // Shaped like a token but not one: aws-cdk-lib is asked, and its answer (false) stands.
  test.each([['Token[ in prose', 'see Token[ docs'], ['a broken marker', '${Token[not valid'], ['a list of a broken marker', ['#{Token[x']]])(
    '%s: aws-cdk-lib decides', (_name, value) => {
      expect(mayBeToken(value)).toBe(true);
      expect(Token.isUnresolved(value)).toBe(false);
      expect(isUnresolved(value)).toBe(false);
    });

  test('without aws-cdk-lib installed no value is a token', () => {
    jest.isolateModules(() => {
      jest.doMock('aws-cdk-lib', () => {
        throw Object.assign(new Error("Cannot find module 'aws-cdk-lib'"), { code: 'MODULE_NOT_FOUND' });
      });
      try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const isolated = require('../../src/config/unresolved') as typeof import('../../src/config/unresolved');
        expect(isolated.mayBeToken('${Token[Bucket.Ref.12]}')).toBe(true);
        expect(isolated.isUnresolved('${Token[Bucket.Ref.12]}')).toBe(false);
      } finally {
        jest.dontMock('aws-cdk-lib');
      }
    });
  });
});

describe('the static methods jsii carries to Python', () => {
  // Facts from the EMR release guide (emr-7.12.0 runs Spark 3.5.6; Spark 4 builds on Scala 2.13),
  // the EMR Serverless worker table (1/2/4/8/16 vCPU with their memory ranges and steps) and Spark 3.5's Hadoop.
  test('SparkReleases', () => {
    expect(SparkReleases.emr('emr-7.12.0').sparkVersion).toBe('3.5.6');
    expect(SparkReleases.spark('4.0.1').scalaBinaryVersion).toBe('2.13');
    expect(SparkReleases.knownEmrLabels()).toContain('emr-spark-8.0.0');
    expect(SparkReleases.emrAtLeast('emr-7.10.0', 7, 9)).toBe(true);
    expect(SparkReleases.emrAtLeast('emr-6.15.0', 7, 0)).toBe(false);
    expect(() => SparkReleases.emr('emr-5.0.0')).toThrow(/releaseLabel: 'emr-5.0.0' is not valid/);
  });

  test('EmrWorkers: 7 + 13 + 23 + 12 + 12 shapes', () => {
    const shapes = EmrWorkers.shapes();
    expect(shapes).toHaveLength(7 + 13 + 23 + 12 + 12);
    expect(shapes).toContainEqual({ cpu: 16, memoryGb: 120 });
    expect(shapes).not.toContainEqual({ cpu: 8, memoryGb: 18 });
    expect(EmrWorkers.rules().map(r => r.cpu)).toEqual([1, 2, 4, 8, 16]);
  });

  test('MemorySizes and ConnectorPackages', () => {
    expect(MemorySizes.parseMiB('f', '16 GB')).toBe(16 * 1024);
    expect(MemorySizes.formatJvm(14 * 1024)).toBe('14g');
    expect(MemorySizes.formatKubernetesQuantity(7424.5)).toBe('7424Mi');
    expect(ConnectorPackages.forSpark('3.5', '3.5.6', false)).toContain('org.apache.hadoop:hadoop-aws:3.3.4');
  });
});
