import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct, IConstruct } from 'constructs';
import { suppressFindings } from './cdk-nag-metadata';
import { ArtifactDependencyArchive, buildJobArtifact, BuiltJobArtifact, defaultJobSourceDir, JobDependencies } from './job-artifact-builder';
import { CodeUriScheme, JobCode } from './job-code';
import { invalidValue } from '../config/errors';
import { isS3KeyPrefix } from '../config/s3-paths';

/** Job code in S3 that a job can run and a role can be granted to read. */
export interface IJobArtifact extends IConstruct {
  /** The code, for `SparkJobDefinition.code`. */
  readonly code: JobCode;
  /** The bucket holding the code. */
  readonly bucket: s3.IBucket;
  /** The full key prefix of this version, e.g. `artifacts/spark_jobs/0.1.0/3f2a9c1e0b7d4a55`. */
  readonly keyPrefix: string;
  /** The version. */
  readonly version: string;
  /** The `s3://` URI of an entry point by name. */
  entryPointUri(name: string): string;
  /** The `s3://` URIs for `--py-files`. */
  pyFilesUris(): string[];
  /** Grants read access to this version's objects (and nothing else in the bucket). */
  grantRead(grantee: iam.IGrantable): iam.Grant;
}

/** Properties for `VersionedJobArtifact`. */
export interface VersionedJobArtifactProps {
  /** The bucket to upload into. Its versioned keys are never overwritten or pruned. */
  readonly bucket: s3.IBucket;
  /**
   * The Python package directory to package.
   * @default - the `spark_jobs` package shipped with spark-deploy (`jobs/src/spark_jobs`)
   */
  readonly sourceDir?: string;
  /**
   * Key prefix in the bucket, without leading or trailing slashes.
   * @default 'artifacts'
   */
  readonly prefix?: string;
  /**
   * The version.
   * @default - `[project] version` of the nearest pyproject.toml above `sourceDir`
   */
  readonly version?: string;
  /**
   * Memory of the upload Lambda, MiB (raise it for large artifacts).
   * @default 256
   */
  readonly uploadMemoryLimit?: number;
  /**
   * Dependency archives to build and upload beside the code, one per runtime the jobs run on
   * (`pythonTargetForEmr({ releaseLabel, architecture })` for an EMR Serverless application).
   * @default - none: the jobs may import only the standard library and what the runtime provides
   */
  readonly dependencies?: JobDependencies;
}

/** Attributes of job code already in S3 (uploaded earlier or by another pipeline). */
export interface JobArtifactAttributes {
  /** The bucket holding the code. */
  readonly bucket: s3.IBucket;
  /** The full key prefix of the version, e.g. `artifacts/spark_jobs/0.1.0/3f2a9c1e0b7d4a55`. */
  readonly keyPrefix: string;
  /** Entry points by name, relative to the prefix: `{ features: 'entrypoints/features.py' }`. */
  readonly entryPoints: { [name: string]: string };
  /**
   * Archives for `--py-files`, relative to the prefix.
   * @default ['spark_jobs.zip']
   */
  readonly pyFiles?: string[];
  /**
   * The version.
   * @default - the segment before the hash in `keyPrefix` when it follows `<package>/<version>/<hash>`, else 'unversioned'
   */
  readonly version?: string;
}


function grantReadUnder(bucket: s3.IBucket, keyPrefix: string, grantee: iam.IGrantable): iam.Grant {
  return bucket.grantRead(grantee, `${keyPrefix}/*`);
}

/** What every job artifact in S3 shares: URIs in the `s3://` scheme and a read grant on its version's prefix. */
export abstract class JobArtifactBase extends Construct implements IJobArtifact {
  public abstract readonly code: JobCode;
  public abstract readonly bucket: s3.IBucket;
  public abstract readonly keyPrefix: string;
  public abstract readonly version: string;

  public entryPointUri(name: string): string {
    return this.code.entryPointUri(name, CodeUriScheme.S3);
  }

  public pyFilesUris(): string[] {
    return this.code.pyFileUris(CodeUriScheme.S3);
  }

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return grantReadUnder(this.bucket, this.keyPrefix, grantee);
  }
}

class ImportedJobArtifact extends JobArtifactBase {
  public readonly code: JobCode;
  public readonly bucket: s3.IBucket;
  public readonly keyPrefix: string;
  public readonly version: string;

  public constructor(scope: Construct, id: string, attrs: JobArtifactAttributes) {
    super(scope, id);
    const version = attrs.version ?? versionFromPrefix(attrs.keyPrefix) ?? 'unversioned';
    // Jobs bind the code through the artifact: read is granted by the bucket itself (its KMS key included).
    this.code = JobCode.fromBucket({
      bucketName: attrs.bucket.bucketName,
      prefix: attrs.keyPrefix,
      entryPoints: attrs.entryPoints,
      pyFiles: attrs.pyFiles ?? ['spark_jobs.zip'],
      version,
    })._readThrough(grantee => this.grantRead(grantee));
    this.bucket = attrs.bucket;
    this.keyPrefix = attrs.keyPrefix;
    this.version = version;
  }
}

function versionFromPrefix(keyPrefix: string): string | undefined {
  if (Token.isUnresolved(keyPrefix)) return undefined;
  const parts = keyPrefix.split('/');
  return parts.length >= 3 && /^[0-9a-f]{16}$/.test(parts[parts.length - 1]) ? parts[parts.length - 2] : undefined;
}

/**
 * Our PySpark code as an immutable, versioned artifact in S3, packaged without Docker.
 *
 * The package is zipped for `--py-files` and its entry-point scripts are copied beside it, under
 * `<prefix>/<package>/<version>/<contentHash>/`, with a `manifest.json` listing every file and its
 * SHA-256. A new version or a code change lands under a new key; older versions stay (no prune, retained
 * on delete), so pinning and rollback are a matter of pointing a job at an older prefix
 * (`VersionedJobArtifact.fromBucket`).
 *
 * @example
 * const artifact = new VersionedJobArtifact(this, 'Code', { bucket: artifactsBucket });
 * artifact.entryPointUri('features'); // s3://<bucket>/artifacts/spark_jobs/0.1.0/<hash>/entrypoints/features.py
 */
export class VersionedJobArtifact extends JobArtifactBase {
  /** Job code already in S3: no upload, same URIs and grants. */
  public static fromBucket(scope: Construct, id: string, attrs: JobArtifactAttributes): IJobArtifact {
    return new ImportedJobArtifact(scope, id, attrs);
  }

  public readonly code: JobCode;
  public readonly bucket: s3.IBucket;
  public readonly keyPrefix: string;
  public readonly version: string;
  /** The content hash (16 hex digits of the SHA-256 over the source files). */
  public readonly contentHash: string;
  /** The `s3://` URI of the manifest. */
  public readonly manifestUri: string;
  /** The upload. */
  public readonly deployment: s3deploy.BucketDeployment;
  /** The dependency archives uploaded beside the code (their wheels, names, versions and tags). */
  public readonly dependencyArchives: ArtifactDependencyArchive[];

  public constructor(scope: Construct, id: string, props: VersionedJobArtifactProps) {
    super(scope, id);
    const prefix = props.prefix ?? 'artifacts';
    if (!isS3KeyPrefix(prefix)) {
      throw invalidValue('prefix', prefix, 'expected an S3 key prefix without leading or trailing slashes, e.g. artifacts or team/artifacts');
    }
    const memory = props.uploadMemoryLimit ?? 256;
    if (!Number.isInteger(memory) || memory < 128 || memory > 10240) {
      throw invalidValue('uploadMemoryLimit', memory, 'expected whole MiB from 128 to 10240 (Lambda limits)');
    }
    const built = stage(props);
    if (Object.keys(built.entryPoints).length === 0) {
      throw invalidValue('sourceDir', props.sourceDir ?? defaultJobSourceDir(), 'the package has no entry-point scripts in entrypoints/ (files not named __init__.py or _*.py)');
    }
    this.bucket = props.bucket;
    this.version = built.version;
    this.contentHash = built.contentHash;
    this.keyPrefix = `${prefix}/${built.keyPrefix}`;

    this.deployment = new s3deploy.BucketDeployment(this, 'Upload', {
      sources: [s3deploy.Source.asset(built.outDir)],
      destinationBucket: props.bucket,
      destinationKeyPrefix: `${this.keyPrefix}/`,
      // Never delete what earlier versions uploaded, and keep the objects when the stack goes.
      prune: false,
      retainOnDelete: true,
      // The object list would only bloat the custom resource response (4 KB limit).
      outputObjectKeys: false,
      memoryLimit: memory,
    });
    // Jobs must not start before the upload finished: read the bucket name through the deployment.
    const deployedBucket = this.deployment.deployedBucket;
    this.code = JobCode.fromBucket({
      bucketName: deployedBucket.bucketName,
      prefix: this.keyPrefix,
      entryPoints: built.entryPoints,
      pyFiles: built.pyFiles,
      version: built.version,
      contentHash: built.contentHash,
      dependencyArchives: built.dependencyArchives.map(a => ({ path: a.path, target: a.target, topLevel: a.topLevel })),
      requiredImports: built.imports ? Object.keys(built.imports) : undefined,
    })._readThrough(grantee => this.grantRead(grantee));
    this.dependencyArchives = built.dependencyArchives;
    this.manifestUri = this.code.uriFor('manifest.json', CodeUriScheme.S3);
    suppressUploadHandlerFindings(this);
  }
}

function stage(props: VersionedJobArtifactProps): BuiltJobArtifact {
  // A fresh directory per synth: the asset hash comes from the contents, not the path.
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spark-deploy-artifact-'));
  return buildJobArtifact({ sourceDir: props.sourceDir, outDir, version: props.version, dependencies: props.dependencies });
}

/**
 * BucketDeployment's handler is a stack-wide singleton we do not control: record, on its resources, why
 * cdk-nag's findings are accepted.
 */
function suppressUploadHandlerFindings(artifact: VersionedJobArtifact): void {
  const reasons = [
    { id: 'AwsSolutions-IAM4', reason: 'aws-s3-deployment\'s upload handler uses AWSLambdaBasicExecutionRole for its own CloudWatch logs' },
    { id: 'AwsSolutions-IAM5', reason: 'aws-s3-deployment reads every object of the staged asset and writes the artifact\'s objects into the destination bucket (object wildcards by design)' },
    { id: 'AwsSolutions-L1', reason: 'the upload handler\'s runtime is pinned by aws-cdk-lib\'s aws-s3-deployment, not by this library' },
  ];
  for (const child of Stack.of(artifact).node.children) {
    if (child.node.id.startsWith('Custom::CDKBucketDeployment')) suppressFindings(child, reasons);
  }
  suppressFindings(artifact.deployment.handlerRole, reasons.slice(0, 2));
}
