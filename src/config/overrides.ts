import { describeViolation, EMR_SERVERLESS_RULES } from './emr-serverless-rules';
import { invalidValue } from './errors';
import { isJvmSize, parseSizeMiB, requireInteger } from './sizes';
import { DeploymentTarget, PropertyKind } from './types';
import { isUnresolved } from './unresolved';

/** An override with its key as Spark reads it. */
export interface NormalizedOverride {
  readonly key: string;
  readonly value: string;
  readonly kind: PropertyKind;
}

const KEY_PATTERN = /^[A-Za-z][A-Za-z0-9_.\-\[\]]*$/;
// Static credentials never go into configuration: they would be readable by anyone who can read the
// job definition, the manifest or the Spark UI. Identity comes from the runtime (role, IRSA, pod identity).
const CREDENTIAL_KEY = /^fs\.s3a\.(bucket\.[^.]+\.)?(access\.key|secret\.key|session\.token)$|^fs\.s3[n]?\.aws(AccessKeyId|SecretAccessKey)$/;
const JVM_SIZE_KEYS = /^spark\.(driver|executor)\.(memory|memoryOverhead)$|^spark\.(memory\.offHeap\.size|executor\.pyspark\.memory|kryoserializer\.buffer\.max)$/;
const COUNT_KEYS = /^spark\.(driver\.cores|executor\.cores|executor\.instances|sql\.shuffle\.partitions|dynamicAllocation\.(min|max|initial)Executors)$/;
const BOOLEAN_KEYS = /\.enabled$|^spark\.sql\.adaptive\.coalescePartitions\.parallelismFirst$|^fs\.s3a\.path\.style\.access$/;

/**
 * Validates one user override and normalizes its key: Hadoop keys (`fs.*`, `spark.hadoop.fs.*`) become
 * `spark.hadoop.fs.*`. Values of known keys are checked; unresolved tokens are left alone.
 */
export function validateOverride(rawKey: string, rawValue: unknown, target: DeploymentTarget): NormalizedOverride {
  const field = `overrides['${rawKey}']`;
  if (typeof rawKey !== 'string' || !KEY_PATTERN.test(rawKey)) {
    throw invalidValue('overrides', rawKey, 'property names are dotted identifiers such as spark.sql.shuffle.partitions');
  }
  if (typeof rawValue !== 'string') {
    throw invalidValue(field, rawValue, 'override values are strings, e.g. "true" or "400"');
  }
  const isHadoop = rawKey.startsWith('spark.hadoop.') || /^(fs|mapreduce|parquet|hadoop|yarn)\./.test(rawKey);
  const hadoopKey = rawKey.startsWith('spark.hadoop.') ? rawKey.slice('spark.hadoop.'.length) : rawKey;
  if (!isHadoop && !rawKey.startsWith('spark.')) {
    throw invalidValue('overrides', rawKey, 'expected a Spark property (spark.*) or a Hadoop property (fs.*, spark.hadoop.*)');
  }
  if (isHadoop && CREDENTIAL_KEY.test(hadoopKey)) {
    throw invalidValue('overrides', rawKey,
      'static credentials are never rendered; grant access to the job role (EMR), or use IRSA / EKS Pod Identity (Kubernetes)');
  }
  const key = isHadoop ? `spark.hadoop.${hadoopKey}` : rawKey;
  if (isUnresolved(rawValue)) return { key, value: rawValue, kind: isHadoop ? PropertyKind.HADOOP : PropertyKind.SPARK };
  if (rawValue.trim() === '') {
    throw invalidValue(field, rawValue, 'an override needs a value');
  }
  if (JVM_SIZE_KEYS.test(key) && !isJvmSize(rawValue)) {
    throw invalidValue(field, rawValue, 'expected a JVM size such as 4096m or 4g');
  }
  if (JVM_SIZE_KEYS.test(key)) parseSizeMiB(field, rawValue);
  if (COUNT_KEYS.test(key)) {
    const min = key.endsWith('Executors') || key.endsWith('instances') ? 0 : 1;
    if (!/^\d+$/.test(rawValue)) throw invalidValue(field, rawValue, `expected a whole number >= ${min}`);
    requireInteger(field, Number(rawValue), min);
  }
  if (BOOLEAN_KEYS.test(isHadoop ? hadoopKey : key) && !/^(true|false)$/.test(rawValue)) {
    throw invalidValue(field, rawValue, 'expected true or false');
  }
  if (target === DeploymentTarget.EMR_SERVERLESS && key === 'spark.shuffle.service.enabled' && rawValue === 'true') {
    throw describeViolation({ rule: EMR_SERVERLESS_RULES.noShuffleService, key, value: rawValue, detail: 'leave it false' }, field);
  }
  return { key, value: rawValue, kind: isHadoop ? PropertyKind.HADOOP : PropertyKind.SPARK };
}
