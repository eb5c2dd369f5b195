import * as fs from 'fs';
import * as path from 'path';
import { Template, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { VersionedJobArtifact } from '../../src/artifacts/versioned-job-artifact';
import { bucket, newStack, tinyPackage } from '../emr-serverless/fixtures';

describe('VersionedJobArtifact', () => {
  test('uploads under <prefix>/<package>/<version>/<hash>/ without pruning or deleting older versions', () => {
    // GIVEN
    const { stack } = newStack();

    // WHEN
    const artifact = new VersionedJobArtifact(stack, 'Code', { bucket: bucket(stack, 'artifacts-bucket'), sourceDir: tinyPackage(), prefix: 'team/artifacts' });

    // THEN
    expect(artifact.version).toBe('0.3.1');
    expect(artifact.keyPrefix).toBe(`team/artifacts/spark_jobs/0.3.1/${artifact.contentHash}`);
    Template.fromStack(stack).hasResourceProperties('Custom::CDKBucketDeployment', {
      DestinationBucketName: 'artifacts-bucket',
      DestinationBucketKeyPrefix: `team/artifacts/spark_jobs/0.3.1/${artifact.contentHash}/`,
      Prune: false,
      RetainOnDelete: true,
    });
  });

  test('exposes entry point and --py-files URIs under the versioned prefix', () => {
    const { stack } = newStack();
    const artifact = new VersionedJobArtifact(stack, 'Code', { bucket: bucket(stack, 'artifacts-bucket'), sourceDir: tinyPackage() });
    const resolved = (s: string) => JSON.stringify(stack.resolve(s));
    expect(resolved(artifact.entryPointUri('features'))).toContain(`/artifacts/spark_jobs/0.3.1/${artifact.contentHash}/entrypoints/features.py`);
    expect(artifact.pyFilesUris()).toHaveLength(1);
    expect(resolved(artifact.pyFilesUris()[0])).toContain(`/artifacts/spark_jobs/0.3.1/${artifact.contentHash}/spark_jobs.zip`);
    expect(resolved(artifact.manifestUri)).toContain('/manifest.json');
    expect(artifact.code.entryPointNames().sort()).toEqual(['features', 'validate']);
    expect(artifact.code.contentHash).toBe(artifact.contentHash);
  });

  test('grantRead gives read access to this version\'s objects only', () => {
    const { stack } = newStack();
    const artifact = new VersionedJobArtifact(stack, 'Code', { bucket: bucket(stack, 'artifacts-bucket'), sourceDir: tinyPackage() });
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    artifact.grantRead(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Reader') }],
      PolicyDocument: {
        Statement: [Match.objectLike({
          Action: ['s3:GetObject*', 's3:GetBucket*', 's3:List*'],
          Resource: Match.arrayWith([{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::artifacts-bucket/artifacts/spark_jobs/0.3.1/${artifact.contentHash}/*`]] }]),
        })],
      },
    });
  });

  test('fromBucket points at code already in S3 and derives the version from the key', () => {
    const { stack } = newStack();
    const imported = VersionedJobArtifact.fromBucket(stack, 'Pinned', {
      bucket: bucket(stack, 'artifacts-bucket'),
      keyPrefix: 'artifacts/spark_jobs/0.1.0/0123456789abcdef',
      entryPoints: { features: 'entrypoints/features.py' },
    });
    expect(imported.version).toBe('0.1.0');
    expect(imported.entryPointUri('features')).toBe('s3://artifacts-bucket/artifacts/spark_jobs/0.1.0/0123456789abcdef/entrypoints/features.py');
    expect(imported.pyFilesUris()).toEqual(['s3://artifacts-bucket/artifacts/spark_jobs/0.1.0/0123456789abcdef/spark_jobs.zip']);
    // Nothing is uploaded.
    expect(stack.node.findAll().some(c => c instanceof s3deploy.BucketDeployment)).toBe(false);
  });

  test('fails on a prefix with a trailing slash', () => {
    const { stack } = newStack();
    expect(() => new VersionedJobArtifact(stack, 'Code', { bucket: bucket(stack), sourceDir: tinyPackage(), prefix: 'artifacts/' }))
      .toThrow(/prefix: 'artifacts\/' is not valid; expected an S3 key prefix/);
  });

  test('fails on an upload memory outside Lambda limits', () => {
    const { stack } = newStack();
    expect(() => new VersionedJobArtifact(stack, 'Code', { bucket: bucket(stack), sourceDir: tinyPackage(), uploadMemoryLimit: 64 }))
      .toThrow(/uploadMemoryLimit: 64 is not valid; expected whole MiB from 128 to 10240/);
  });

  test('fails on a package without entry points', () => {
    const { stack } = newStack();
    const pkg = tinyPackage();
    fs.rmSync(path.join(pkg, 'entrypoints', 'features.py'));
    fs.rmSync(path.join(pkg, 'entrypoints', 'validate.py'));
    expect(() => new VersionedJobArtifact(stack, 'Code', { bucket: bucket(stack), sourceDir: pkg }))
      .toThrow(/sourceDir: .* the package has no entry-point scripts/);
  });
});
