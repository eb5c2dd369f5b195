import { Duration } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { ACCEPTED_IAM_FINDINGS, parliamentFindings, unacceptedIamFindings } from './iam-lint';
import { VersionedJobArtifact } from '../../src/artifacts/versioned-job-artifact';
import { EmrServerlessApplication } from '../../src/emr-serverless/application';
import { GlueCatalogAccess, SparkJobExecutionRole } from '../../src/emr-serverless/execution-role';
import { EmrServerlessSparkJob } from '../../src/emr-serverless/spark-job';
import { SparkJobDefinition } from '../../src/job/spark-job-definition';
import { newStack } from '../emr-serverless/fixtures';

/** Every EMR Serverless construct and grant, with KMS-encrypted data and logs, a schedule and a CI role. */
function everyGrant() {
  const { stack } = newStack();
  const key = new kms.Key(stack, 'DataKey', { enableKeyRotation: true });
  const data = new s3.Bucket(stack, 'Data', { encryption: s3.BucketEncryption.KMS, encryptionKey: key, enforceSSL: true });
  const logs = new s3.Bucket(stack, 'Logs', { enforceSSL: true });
  const code = VersionedJobArtifact.fromBucket(stack, 'Code', { bucket: data, keyPrefix: 'artifacts/x/1/abc', entryPoints: { features: 'entrypoints/features.py' } });
  const application = new EmrServerlessApplication(stack, 'App', { s3Logs: { bucket: logs, encryptionKey: key }, cloudWatchLogs: {} });
  const role = new SparkJobExecutionRole(stack, 'Runtime', { application });
  role.grantReadData(data, 'raw');
  role.grantReadWriteData(data, 'curated');
  role.grantGlueCatalog(GlueCatalogAccess.READ_WRITE, ['features']);
  const job = new EmrServerlessSparkJob(stack, 'Features', {
    definition: new SparkJobDefinition({ name: 'features', code: code.code, entryPoint: 'features' }),
    application,
    executionRole: role,
    schedule: scheduler.ScheduleExpression.rate(Duration.hours(1)),
  });
  job.grantStartRunAndWait(new iam.Role(stack, 'Ci', { assumedBy: new iam.AccountRootPrincipal() }));
  return Template.fromStack(stack).toJSON();
}

describe('IAM policies, linted by parliament', () => {
  test('every policy of the constructs: no finding but the accepted kinds, each with its reason', () => {
    const template = everyGrant();
    expect(unacceptedIamFindings([template])).toEqual([]);
    for (const accepted of ACCEPTED_IAM_FINDINGS) expect(accepted.reason.length).toBeGreaterThan(20);
    // Never the prefix CallAwsService would derive: the service's IAM prefix is emr-serverless.
    expect(JSON.stringify(template)).not.toMatch(/"emrserverless:/);
  });

  test('the linter is real: the derived emrserverless: prefix, a wildcard action and a written-out mismatched action are reported, not accepted', () => {
    const policy = (Statement: any[]) => ({ where: 'X.PolicyDocument', document: { Version: '2012-10-17', Statement } });
    const bad = [
      policy([{ Effect: 'Allow', Action: 'emrserverless:StartJobRun', Resource: 'arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00app' }]),
      policy([{ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::b/*' }]),
      policy([{ Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::b/k/*' }]),
    ];
    const issues = parliamentFindings(bad).map(f => f.issue);
    expect(issues).toEqual(expect.arrayContaining(['UNKNOWN_PREFIX', 'RESOURCE_MISMATCH']));
    const template = { Resources: Object.fromEntries(bad.map((p, i) => [`P${i}`, { Type: 'AWS::IAM::Policy', Properties: { PolicyDocument: p.document } }])) };
    const unaccepted = unacceptedIamFindings([template]);
    expect(unaccepted.map(f => f.where)).toEqual(expect.arrayContaining(['P0.PolicyDocument', 'P2.PolicyDocument']));
    expect(unaccepted.find(f => f.where === 'P0.PolicyDocument')?.issue).toBe('UNKNOWN_PREFIX');
  });
});
