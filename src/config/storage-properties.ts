import { ResolvedTuning } from './tuning-rules';
import { ConfigEntry, DeploymentTarget, PropertyKind, StorageKind } from './types';

// S3A keys and values: hadoop-aws performance.md, committers.md, authentication.md; Spark docs
// cloud-integration.md for the committer bindings.

/** Maven coordinates of the S3A connector, its AWS SDK and Spark's cloud committers, per Spark line (the Hadoop each Spark build bundles, and the AWS SDK its hadoop-aws depends on, per Maven Central). */
const CONNECTOR_PACKAGES: Record<string, (sparkVersion: string) => string[]> = {
  '3.5': v => ['org.apache.hadoop:hadoop-aws:3.3.4', 'com.amazonaws:aws-java-sdk-bundle:1.12.262', `org.apache.spark:spark-hadoop-cloud_2.12:${v}`],
  '4.0': v => ['org.apache.hadoop:hadoop-aws:3.4.1', 'software.amazon.awssdk:bundle:2.24.6', `org.apache.spark:spark-hadoop-cloud_2.13:${v}`],
  '4.1': v => ['org.apache.hadoop:hadoop-aws:3.4.2', 'software.amazon.awssdk:bundle:2.29.52', `org.apache.spark:spark-hadoop-cloud_2.13:${v}`],
};

/** Delta Lake packages for open-source Spark, per line. */
const DELTA_PACKAGES: Record<string, string> = {
  '3.5': 'io.delta:delta-spark_2.12:3.2.1',
  '4.0': 'io.delta:delta-spark_2.13:4.0.0',
  '4.1': 'io.delta:delta-spark_2.13:4.0.0',
};

/** The Maven packages a local (open-source) run needs for S3A and, optionally, Delta Lake. */
export function connectorPackages(sparkLine: string, sparkVersion: string, deltaLake: boolean): string[] {
  const packages = [...(CONNECTOR_PACKAGES[sparkLine]?.(sparkVersion) ?? [])];
  if (deltaLake && DELTA_PACKAGES[sparkLine]) packages.push(DELTA_PACKAGES[sparkLine]);
  return packages;
}

/** Credential providers that read only the runtime's identity, never keys in configuration. */
function credentialProviders(hadoopVersion: string, withEnvironment: boolean): string {
  const sdkV2 = !hadoopVersion.startsWith('3.3');
  const providers = sdkV2
    ? [
      'software.amazon.awssdk.auth.credentials.WebIdentityTokenFileCredentialsProvider', // IRSA
      // The node role, or container credentials (EKS Pod Identity) when AWS_CONTAINER_CREDENTIALS_* is set.
      // (The SDK's ContainerCredentialsProvider has no create() or public constructor: S3A cannot load it.)
      'org.apache.hadoop.fs.s3a.auth.IAMInstanceCredentialsProvider',
    ]
    : [
      'com.amazonaws.auth.WebIdentityTokenCredentialsProvider',
      'org.apache.hadoop.fs.s3a.auth.IAMInstanceCredentialsProvider',
    ];
  if (withEnvironment) {
    providers.unshift(sdkV2
      ? 'software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider'
      : 'com.amazonaws.auth.EnvironmentVariableCredentialsProvider');
  }
  return providers.join(',');
}

/** The storage properties of a tuning: S3A tuning, committer, identity and endpoint. */
export function s3aProperties(t: ResolvedTuning): ConfigEntry[] {
  const out: ConfigEntry[] = [];
  const spark = (key: string, value: string | boolean, reason: string) =>
    out.push({ key, value: String(value), reason, kind: PropertyKind.SPARK });
  const hadoop = (key: string, value: string | number | boolean, reason: string) =>
    out.push({ key: `spark.hadoop.${key}`, value: String(value), reason, kind: PropertyKind.HADOOP });

  const storage = t.storage;
  const isEmr = t.target === DeploymentTarget.EMR_SERVERLESS;
  const oss = !isEmr;

  // Parquet on object stores (Spark cloud-integration.md).
  hadoop('parquet.enable.summary-metadata', false, 'no _metadata summary files: slow to write on object stores');
  spark('spark.sql.parquet.mergeSchema', false, 'do not read every footer to merge schemas');
  if (storage.kind === StorageKind.LOCAL) return finish();

  const scope = isEmr && !t.emr!.s3aDefaultConnector
    ? ' (applies to s3a:// URIs; before emr-7.10 s3:// is EMRFS)'
    : isEmr ? ' (S3A serves s3://, s3n:// and s3a:// from emr-7.10)' : '';
  hadoop('fs.s3a.connection.maximum', 200, `a pool larger than the upload/prefetch threads avoids "Timeout waiting for connection from pool"${scope}`);
  hadoop('fs.s3a.threads.max', 64, `parallel uploads and reads per filesystem instance, below the connection pool${scope}`);
  hadoop('fs.s3a.fast.upload.buffer', 'disk', 'buffer multipart blocks on local disk, not heap: no OOM on large writes');
  hadoop('fs.s3a.fast.upload.active.blocks', 4, 'blocks in flight per output stream (Hadoop default, made explicit)');
  hadoop('fs.s3a.multipart.size', '128M', 'fewer, larger parts (EMR sets 128M from 7.4; Hadoop defaults to 64M)');

  if (oss) {
    // Zero-rename commit on S3: the magic committer, bound through spark-hadoop-cloud.
    hadoop('fs.s3a.committer.name', 'magic', 'the magic committer writes task output as pending multipart uploads: no rename, no partial output on failure');
    hadoop('fs.s3a.committer.magic.enabled', true, 'needed by the magic committer (default true from Hadoop 3.3.x; explicit for older images)');
    spark('spark.sql.sources.commitProtocolClass', 'org.apache.spark.internal.io.cloud.PathOutputCommitProtocol',
      'route Spark SQL commits through the S3A committer factory (spark-hadoop-cloud)');
    spark('spark.sql.parquet.output.committer.class', 'org.apache.spark.internal.io.cloud.BindingParquetOutputCommitter',
      'let Parquet writes use the S3A committer instead of the rename-based one');
    // One job definition serves both targets: s3:// URIs (EMR's scheme) read through S3A here too.
    hadoop('fs.s3.impl', 'org.apache.hadoop.fs.s3a.S3AFileSystem', 's3:// URIs go through S3A, as on EMR from 7.10, so job arguments are the same on every target');
    hadoop('fs.AbstractFileSystem.s3.impl', 'org.apache.hadoop.fs.s3a.S3A', 'the FileContext binding of s3:// to S3A');
    hadoop('mapreduce.outputcommitter.factory.scheme.s3', 'org.apache.hadoop.fs.s3a.commit.S3ACommitterFactory',
      'the S3A committers for s3:// output too (Hadoop binds only s3a:// by default)');
    hadoop('fs.s3a.aws.credentials.provider', credentialProviders(t.release.hadoopVersion ?? '3.4', storage.kind === StorageKind.S3_COMPATIBLE),
      storage.kind === StorageKind.S3_COMPATIBLE
        ? 'identity from the environment only (environment variables of the runner, IRSA, pod identity, node role); never keys in config'
        : 'identity from the pod only: IRSA web identity, EKS Pod Identity, then the node role; never keys in config');
  } else {
    // EMR Serverless provides the job role's credentials and its S3-optimized committer: keep them.
  }

  if (storage.kind === StorageKind.S3_COMPATIBLE) {
    const endpoint = storage.endpoint!;
    hadoop('fs.s3a.endpoint', endpoint, 'the S3-compatible store\'s endpoint');
    hadoop('fs.s3a.endpoint.region', storage.region ?? 'us-east-1', 'signing region for the store (SDK v2 needs one)');
    hadoop('fs.s3a.path.style.access', storage.pathStyleAccess ?? true, 'S3-compatible stores address buckets by path, not by DNS name');
    if (endpoint.startsWith('http://')) {
      hadoop('fs.s3a.connection.ssl.enabled', false, 'the endpoint is plain http');
    }
  } else if (storage.region !== undefined) {
    hadoop('fs.s3a.endpoint.region', storage.region, 'the buckets\' region');
  }
  return finish();

  function finish(): ConfigEntry[] {
    if (t.includeConnectorPackages && oss) {
      const packages = connectorPackages(t.release.sparkLine, t.release.sparkVersion, t.deltaLake);
      if (packages.length > 0) {
        spark('spark.jars.packages', packages.join(','),
          `S3A connector${t.deltaLake ? ', Delta Lake' : ''} and cloud committers matching Hadoop ${t.release.hadoopVersion} of Spark ${t.release.sparkVersion} (never mix versions)`);
      }
    }
    return out;
  }
}

/** The connector packages as a static method (jsii carries classes; `connectorPackages` is TypeScript-only). */
export class ConnectorPackages {
  /** The Maven packages a local (open-source) run on a Spark line needs for S3A and, optionally, Delta Lake. */
  public static forSpark(sparkLine: string, sparkVersion: string, deltaLake: boolean): string[] {
    return connectorPackages(sparkLine, sparkVersion, deltaLake);
  }

  private constructor() {}
}
