import { connectorPackages, s3aProperties } from '../../src/config/storage-properties';
import { resolveTuning } from '../../src/config/tuning-rules';
import { DeploymentTarget, StorageKind } from '../../src/config/types';

const keys = (release: string, target = DeploymentTarget.EMR_SERVERLESS) =>
  Object.fromEntries(s3aProperties(resolveTuning({ target, release, executor: { cpu: 4, memoryGb: 16 } })).map(e => [e.key, e.reason]));

describe('S3A properties', () => {
  test('say what changes at emr-7.10, where S3A became the default connector', () => {
    expect(keys('emr-7.9.0')['spark.hadoop.fs.s3a.connection.maximum']).toMatch(/applies to s3a:\/\/ URIs; before emr-7.10 s3:\/\/ is EMRFS/);
    expect(keys('emr-7.10.0')['spark.hadoop.fs.s3a.connection.maximum']).toMatch(/S3A serves s3:\/\/, s3n:\/\/ and s3a:\/\/ from emr-7.10/);
  });

  test('map s3:// to S3A on open-source Spark so arguments are the same on every target', () => {
    const k8s = keys('4.0.2', DeploymentTarget.KUBERNETES);
    expect(Object.keys(k8s)).toEqual(expect.arrayContaining(['spark.hadoop.fs.s3.impl', 'spark.hadoop.mapreduce.outputcommitter.factory.scheme.s3']));
    expect(Object.keys(keys('emr-7.12.0'))).not.toContain('spark.hadoop.fs.s3.impl');
  });

  test('never render a key or secret, whatever the storage', () => {
    for (const kind of Object.values(StorageKind)) {
      const endpoint = kind === StorageKind.S3_COMPATIBLE ? 'http://127.0.0.1:1' : undefined;
      const tuning = resolveTuning({ target: DeploymentTarget.KUBERNETES, executor: { cpu: 1, memoryGb: 2 }, storage: { kind, endpoint } });
      const entries = s3aProperties(tuning);
      expect(entries.map(e => e.key).filter(k => /access\.key|secret\.key|session\.token/.test(k))).toEqual([]);
    }
  });

  test('connector packages for an unknown line are empty', () => {
    expect(connectorPackages('9.9', '9.9.0', false)).toEqual([]);
  });
});
