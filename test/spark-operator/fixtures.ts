import { Chart, Testing } from 'cdk8s';
import { JobCode, SparkJobDefinition, SparkJobDefinitionProps } from '../../src';
import { SparkOperatorRbac, SparkOperatorRbacProps, WorkloadIdentity } from '../../src/spark-operator';

/** The versioned artifact layout `VersionedJobArtifact` uploads (version and content hash in the key). */
export function bucketCode(): JobCode {
  return JobCode.fromBucket({
    bucketName: 'spark-deploy-artifacts',
    prefix: 'artifacts/spark_jobs/0.1.0/3f2a9c1e',
    entryPoints: { features: 'entrypoints/features.py', validate: 'entrypoints/validate.py' },
    pyFiles: ['spark_jobs.zip'],
    version: '0.1.0',
    contentHash: '3f2a9c1e',
  });
}

/** The same code baked into the Spark image. */
export function imageCode(): JobCode {
  return JobCode.fromImage({
    root: '/opt/spark-jobs',
    entryPoints: { features: 'entrypoints/features.py', validate: 'entrypoints/validate.py' },
    pyFiles: ['spark_jobs.zip'],
    version: '0.1.0',
  });
}

/** The feature pipeline job. */
export function featuresJob(overrides: Partial<SparkJobDefinitionProps> = {}): SparkJobDefinition {
  return new SparkJobDefinition({
    name: 'customer-features',
    code: bucketCode(),
    entryPoint: 'features',
    arguments: ['--input', 's3://data/transactions/', '--output', 's3://data/features/', '--spec', 'default'],
    workload: { inputSizeGb: 50 },
    timeoutMinutes: 90,
    retry: { maxAttempts: 3 },
    ...overrides,
  });
}

export const IMAGE = 'apache/spark:3.5.6-python3';
export const ROLE_ARN = 'arn:aws:iam::123456789012:role/spark-jobs';

/** A chart with the namespace, service accounts and RBAC. */
export function chartWithRbac(props: Partial<SparkOperatorRbacProps> = {}): { chart: Chart; rbac: SparkOperatorRbac } {
  const chart = Testing.chart();
  const rbac = new SparkOperatorRbac(chart, 'Rbac', {
    namespace: 'spark-jobs', createNamespace: true, identity: WorkloadIdentity.irsa(ROLE_ARN), ...props,
  });
  return { chart, rbac };
}

/** The one object of a kind among the manifests. */
export function only(docs: any[], kind: string): any {
  const found = docs.filter(d => d.kind === kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0];
}
