import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { bucket, newStack } from './fixtures';
import { VersionedJobArtifact } from '../../src/artifacts/versioned-job-artifact';
import { EmrServerlessApplication } from '../../src/emr-serverless/application';
import { GlueCatalogAccess, SparkJobExecutionRole } from '../../src/emr-serverless/execution-role';

function statementsOf(template: Template, rolePattern: string): any[] {
  const policies = template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp(rolePattern) }] } });
  return Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

describe('SparkJobExecutionRole', () => {
  test('trusts EMR Serverless for this account and this application only', () => {
    const { stack } = newStack();
    const app = new EmrServerlessApplication(stack, 'App');
    new SparkJobExecutionRole(stack, 'Runtime', { application: app });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'emr-serverless.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': '123456789012' },
            ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('App'), 'Arn'] } },
          },
        }],
      },
    });
  });

  test('without an application, the trust is scoped to this account\'s applications in the region', () => {
    const { stack } = newStack();
    new SparkJobExecutionRole(stack, 'Runtime');
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({
          Condition: {
            StringEquals: { 'aws:SourceAccount': '123456789012' },
            ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':emr-serverless:eu-west-1:123456789012:/applications/*']] } },
          },
        })],
      },
    });
  });

  test('writes the application\'s S3 and CloudWatch logs, reads artifacts, reads and writes data prefixes', () => {
    // GIVEN
    const { stack } = newStack();
    const logGroup = new logs.LogGroup(stack, 'Group');
    const app = new EmrServerlessApplication(stack, 'App', {
      s3Logs: { bucket: bucket(stack, 'log-bucket'), prefix: 'emr' },
      cloudWatchLogs: { logGroup },
    });
    const artifact = VersionedJobArtifact.fromBucket(stack, 'Code', {
      bucket: bucket(stack, 'code-bucket'), keyPrefix: 'artifacts/spark_jobs/0.1.0/0123456789abcdef', entryPoints: { features: 'entrypoints/features.py' },
    });

    // WHEN
    const role = new SparkJobExecutionRole(stack, 'Runtime', { application: app, artifacts: [artifact] });
    role.grantReadData(bucket(stack, 'raw-bucket'), 'events');
    role.grantReadWriteData(bucket(stack, 'curated-bucket'), 'features/v1');
    const statements = statementsOf(Template.fromStack(stack), 'Runtime');
    const text = JSON.stringify(statements);

    // THEN
    expect(text).toContain(':s3:::log-bucket/emr/*');
    expect(text).toContain(':s3:::code-bucket/artifacts/spark_jobs/0.1.0/0123456789abcdef/*');
    expect(text).toContain(':s3:::raw-bucket/events/*');
    expect(text).toContain(':s3:::curated-bucket/features/v1/*');
    const readOnly = statements.find(s => JSON.stringify(s.Resource).includes('raw-bucket/events'));
    expect(readOnly.Action).not.toContain('s3:PutObject');
    const readWrite = statements.find(s => JSON.stringify(s.Resource).includes('curated-bucket/features'));
    expect(readWrite.Action).toEqual(expect.arrayContaining(['s3:PutObject', 's3:DeleteObject*']));
    const putLogs = statements.find(s => Array.isArray(s.Action) && s.Action.includes('logs:PutLogEvents'));
    expect(putLogs.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/Group/), 'Arn'] });
  });

  test('Glue catalog grants name the databases (and default) and only add writes for READ_WRITE', () => {
    const { stack } = newStack();
    const role = new SparkJobExecutionRole(stack, 'Runtime');
    role.grantGlueCatalog(GlueCatalogAccess.READ, ['sales']);
    const [glue] = statementsOf(Template.fromStack(stack), 'Runtime');
    expect(glue.Action).toContain('glue:GetTable');
    expect(glue.Action).not.toContain('glue:CreateTable');
    const resources = JSON.stringify(glue.Resource);
    for (const r of [':glue:eu-west-1:123456789012:catalog', 'database/default', 'database/sales', 'table/sales/*', 'table/default/*']) {
      expect(resources).toContain(r);
    }

    const { stack: stack2 } = newStack();
    new SparkJobExecutionRole(stack2, 'Runtime').grantGlueCatalog(GlueCatalogAccess.READ_WRITE);
    const [rw] = statementsOf(Template.fromStack(stack2), 'Runtime');
    expect(rw.Action).toEqual(expect.arrayContaining(['glue:CreateTable', 'glue:BatchCreatePartition', 'glue:GetPartitions']));
    expect(JSON.stringify(rw.Resource)).toContain('table/*/*');
  });

  test('a bring-your-own role gets the grants and keeps its trust policy', () => {
    const { stack } = newStack();
    const own = new iam.Role(stack, 'Own', { assumedBy: new iam.ServicePrincipal('emr-serverless.amazonaws.com') });
    const role = new SparkJobExecutionRole(stack, 'Runtime', { role: own });
    role.grantReadData(bucket(stack, 'raw-bucket'));
    expect(role.role).toBe(own);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Role', 1);
    expect(JSON.stringify(statementsOf(template, 'Own'))).toContain(':s3:::raw-bucket/*');
  });

  test('fails on a data prefix with a leading slash', () => {
    const { stack } = newStack();
    const role = new SparkJobExecutionRole(stack, 'Runtime');
    expect(() => role.grantReadData(bucket(stack), '/raw')).toThrow(/prefix: '\/raw' is not valid; expected an S3 key prefix/);
  });

  test('fails on a Glue database name with capitals', () => {
    const { stack } = newStack();
    const role = new SparkJobExecutionRole(stack, 'Runtime');
    expect(() => role.grantGlueCatalog(GlueCatalogAccess.READ, ['Sales'])).toThrow(/databases: 'Sales' is not valid; Glue database names/);
  });

  test('fails on an empty database list', () => {
    const { stack } = newStack();
    const role = new SparkJobExecutionRole(stack, 'Runtime');
    expect(() => role.grantGlueCatalog(GlueCatalogAccess.READ, [])).toThrow(/databases: \[\] is not valid/);
  });

  test('fails on a role name with a bring-your-own role', () => {
    const { stack } = newStack();
    const own = new iam.Role(stack, 'Own', { assumedBy: new iam.ServicePrincipal('emr-serverless.amazonaws.com') });
    expect(() => new SparkJobExecutionRole(stack, 'Runtime', { role: own, roleName: 'x' })).toThrow(/roleName: 'x' is not valid; a name applies to a new role only/);
  });
});
