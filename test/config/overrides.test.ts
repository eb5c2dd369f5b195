import { validateOverride } from '../../src/config/overrides';
import { DeploymentTarget, PropertyKind } from '../../src/config/types';

describe('validateOverride', () => {
  test.each([
    ['fs.s3a.threads.max', 'spark.hadoop.fs.s3a.threads.max', PropertyKind.HADOOP],
    ['spark.hadoop.fs.s3a.threads.max', 'spark.hadoop.fs.s3a.threads.max', PropertyKind.HADOOP],
    ['parquet.block.size', 'spark.hadoop.parquet.block.size', PropertyKind.HADOOP],
    ['spark.sql.ansi.enabled', 'spark.sql.ansi.enabled', PropertyKind.SPARK],
  ])('normalizes %s to %s', (key, full, kind) => {
    const value = key.endsWith('enabled') ? 'true' : '10';
    expect(validateOverride(key, value, DeploymentTarget.KUBERNETES)).toEqual({ key: full, value, kind });
  });

  test('allows the external shuffle service on Kubernetes but not on EMR Serverless', () => {
    expect(() => validateOverride('spark.shuffle.service.enabled', 'true', DeploymentTarget.KUBERNETES)).not.toThrow();
    expect(() => validateOverride('spark.shuffle.service.enabled', 'true', DeploymentTarget.EMR_SERVERLESS)).toThrow(/no external shuffle service/);
  });

  test.each(['fs.s3a.access.key', 'fs.s3a.session.token', 'fs.s3.awsSecretAccessKey'])('refuses the credential key %s', key => {
    expect(() => validateOverride(key, 'x', DeploymentTarget.KUBERNETES)).toThrow(/static credentials are never rendered/);
  });
});
