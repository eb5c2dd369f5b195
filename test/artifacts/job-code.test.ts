import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { JobCode } from '../../src/artifacts/job-code';
import { VersionedJobArtifact } from '../../src/artifacts/versioned-job-artifact';
import { newStack } from '../emr-serverless/fixtures';

const ENTRY = { features: 'entrypoints/features.py' };

function roleIn(stack: Stack): iam.Role {
  return new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('emr-serverless.amazonaws.com') });
}

/** Every statement of the reader's policies, resolved. */
function statements(stack: Stack): any[] {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
  return Object.values(policies).flatMap((p: any) => stack.resolve(p.Properties.PolicyDocument.Statement));
}

describe('JobCode.bind', () => {
  test('fromS3Bucket grants read of the prefix through the bucket, its KMS key included, and returns s3:// URIs', () => {
    const { stack } = newStack();
    const key = new kms.Key(stack, 'CodeKey');
    const bucket = new s3.Bucket(stack, 'CodeBucket', { encryption: s3.BucketEncryption.KMS, encryptionKey: key });
    const role = roleIn(stack);
    const binding = JobCode.fromS3Bucket(bucket, 'code/1.0/abc', { entryPoints: ENTRY, pyFiles: ['spark_jobs.zip'] }).bind(stack, role);

    const actions = statements(stack).flatMap(st => [st.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['s3:GetObject*', 's3:List*', 'kms:Decrypt']));
    expect(binding.grant.success).toBe(true);
    // The bucket's grant holds its S3 statement; the bucket adds the key's statement itself, as aws-cdk-lib does.
    expect(binding.grant.principalStatements.flatMap(st => st.actions)).toEqual(['s3:GetObject*', 's3:GetBucket*', 's3:List*']);
    expect(stack.resolve(binding.entryPointUris.features)).toEqual({ 'Fn::Join': ['', ['s3://', { Ref: expect.stringMatching(/^CodeBucket/) }, '/code/1.0/abc/entrypoints/features.py']] });
    expect(binding.pyFileUris).toHaveLength(1);
  });

  test('fromBucket (a bucket known by name) grants read of the prefix only, through the bucket imported by name', () => {
    const { stack } = newStack();
    const role = roleIn(stack);
    const binding = JobCode.fromBucket({ bucketName: 'code-bucket', prefix: 'code/1.0/abc', entryPoints: ENTRY }).bind(stack, role);
    expect(statements(stack)).toEqual([{
      Action: ['s3:GetObject*', 's3:GetBucket*', 's3:List*'],
      Effect: 'Allow',
      Resource: [
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::code-bucket']] },
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::code-bucket/code/1.0/abc/*']] },
      ],
    }]);
    expect(binding.entryPointUris).toEqual({ features: 's3://code-bucket/code/1.0/abc/entrypoints/features.py' });
  });

  test('fromArtifact grants through the artifact (same statements as artifact.grantRead)', () => {
    const viaBind = newStack().stack;
    const direct = newStack().stack;
    for (const [stack, useBind] of [[viaBind, true], [direct, false]] as const) {
      const artifact = VersionedJobArtifact.fromBucket(stack, 'Code', {
        bucket: s3.Bucket.fromBucketName(stack, 'B', 'code-bucket'), keyPrefix: 'code/1.0/abc', entryPoints: ENTRY,
      });
      const role = roleIn(stack);
      if (useBind) JobCode.fromArtifact(artifact).bind(stack, role);
      else artifact.grantRead(role);
    }
    expect(statements(viaBind)).toEqual(statements(direct));
    expect(statements(viaBind)).toHaveLength(1);
  });

  test('code inside the image needs no grant and binds to local:// URIs', () => {
    const { stack } = newStack();
    const binding = JobCode.fromImage({ root: '/opt/jobs', entryPoints: ENTRY }).bind(stack, roleIn(stack));
    expect(binding.grant.principalStatements).toEqual([]);
    expect(binding.entryPointUris).toEqual({ features: 'local:///opt/jobs/entrypoints/features.py' });
    Template.fromStack(stack).resourceCountIs('AWS::IAM::Policy', 0);
  });
});
