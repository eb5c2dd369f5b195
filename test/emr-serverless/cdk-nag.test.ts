import { Aspects, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { AwsSolutionsChecks } from 'cdk-nag';
import { newStack, tinyPackage } from './fixtures';
import { VersionedJobArtifact } from '../../src/artifacts/versioned-job-artifact';
import { EmrServerlessApplication } from '../../src/emr-serverless/application';
import { GlueCatalogAccess, SparkJobExecutionRole } from '../../src/emr-serverless/execution-role';
import { EmrServerlessSparkJob } from '../../src/emr-serverless/spark-job';
import { SparkJobDefinition } from '../../src/job/spark-job-definition';

// Every construct with its optional parts on (VPC, KMS, CloudWatch logs, Glue, schedule), beyond the example.
test('cdk-nag AwsSolutions: no unsuppressed finding on every construct with its options on', () => {
  // GIVEN
  const { app, stack } = newStack();
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const secureBucket = (id: string) => new s3.Bucket(stack, id, {
    encryption: s3.BucketEncryption.KMS,
    encryptionKey: key,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    serverAccessLogsPrefix: 'access/',
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1, flowLogs: { all: {} } });
  const platform = secureBucket('Platform');
  const data = secureBucket('Data');
  const artifact = new VersionedJobArtifact(stack, 'Code', { bucket: platform, sourceDir: tinyPackage() });
  const application = new EmrServerlessApplication(stack, 'App', {
    vpc,
    s3Logs: { bucket: platform, encryptionKey: key },
    cloudWatchLogs: { logGroup: new logs.LogGroup(stack, 'JobLogs', { encryptionKey: key }), encryptionKey: key },
    managedPersistenceKey: key,
    initialCapacity: { driverWorkers: 1, executorWorkers: 1 },
  });
  const role = new SparkJobExecutionRole(stack, 'Runtime', { application, artifacts: [artifact] });
  role.grantReadWriteData(data, 'curated');
  role.grantGlueCatalog(GlueCatalogAccess.READ_WRITE, ['analytics']);
  new EmrServerlessSparkJob(stack, 'Job', {
    definition: new SparkJobDefinition({ name: 'features', code: artifact.code, entryPoint: 'features' }),
    application,
    executionRole: role,
    schedule: scheduler.ScheduleExpression.rate(Duration.hours(6)),
  });

  // WHEN
  Aspects.of(app).add(new AwsSolutionsChecks());
  app.synth();

  // THEN
  const findings = [
    ...Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*')),
    ...Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')),
  ].map(f => `${f.id}: ${String(f.entry.data).split('\n')[0]}`);
  expect(findings).toEqual([]);
});

test('the same checks do report what is not suppressed (a bucket without TLS or access logs)', () => {
  const { app, stack } = newStack();
  new s3.Bucket(stack, 'Plain', { blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL });
  Aspects.of(app).add(new AwsSolutionsChecks());
  app.synth();
  const ids = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*')).map(f => String(f.entry.data).split(':')[0]);
  expect(ids).toEqual(expect.arrayContaining(['AwsSolutions-S1', 'AwsSolutions-S10']));
});
