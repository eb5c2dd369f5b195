import { Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CodeUriScheme } from './code-uri-scheme';
import { PythonTarget, validatePythonTarget } from './python-target';
import type { IJobArtifact } from './versioned-job-artifact';
import { invalidValue } from '../config/errors';

/** A dependency archive of the code: a zip of installed packages for one runtime. */
export interface JobCodeDependencyArchive {
  /** Path relative to the code's root, e.g. `dependencies/cp39-manylinux_2_34_aarch64-0123456789abcdef.zip`. */
  readonly path: string;
  /** The runtime it was built for. */
  readonly target: PythonTarget;
  /** Top-level modules it provides (`numpy`, `pandas`, …). */
  readonly topLevel: string[];
}

export { CodeUriScheme } from './code-uri-scheme';

/** What code in S3 holds, wherever its bucket comes from (`JobCode.fromS3Bucket`, `JobCode.fromBucket`). */
export interface JobCodeBucketOptions {
  /** Entry points by name, as paths relative to the prefix: `{ features: 'entrypoints/features.py' }`. */
  readonly entryPoints: { [name: string]: string };
  /**
   * Archives for `--py-files`, relative to the prefix.
   * @default - none
   */
  readonly pyFiles?: string[];
  /**
   * The code's version (package version).
   * @default 'unversioned'
   */
  readonly version?: string;
  /**
   * The content hash of the code.
   * @default - unknown
   */
  readonly contentHash?: string;
  /**
   * Dependency archives, one per runtime (what `buildJobArtifact` lists in the manifest's `dependencies`).
   * @default - none
   */
  readonly dependencyArchives?: JobCodeDependencyArchive[];
  /**
   * Third-party top-level modules the code imports (`pandas`, `pyspark`), checked against the runtime
   * and the archive at synth time.
   * @default - unknown: not checked
   */
  readonly requiredImports?: string[];
}

/** Properties for `JobCode.fromBucket`: code in a bucket known by name. */
export interface JobCodeBucketProps extends JobCodeBucketOptions {
  /** Name of the bucket holding the code (may be a CDK token). */
  readonly bucketName: string;
  /** Key prefix of this version of the code, e.g. `artifacts/spark_jobs/0.1.0/3f2a9c1e`, without a trailing slash. */
  readonly prefix: string;
}

/** What `JobCode.bind` gives a target: the read grant and the code's URIs in the target's scheme. */
export interface JobCodeBinding {
  /** The grant of reading the code (no statement for code inside an image). */
  readonly grant: iam.Grant;
  /** Entry points by name, as URIs (`s3://` for code in S3, `local://` for code in the image). */
  readonly entryPointUris: { [name: string]: string };
  /** The `--py-files` URIs. */
  readonly pyFileUris: string[];
}

/** Properties for `JobCode.fromImage`. */
export interface JobCodeImageProps {
  /** Absolute directory of the code inside the Spark image, e.g. `/opt/spark-jobs`. */
  readonly root: string;
  /** Entry points by name, as paths relative to `root`. */
  readonly entryPoints: { [name: string]: string };
  /**
   * Archives for `--py-files`, relative to `root`.
   * @default - none
   */
  readonly pyFiles?: string[];
  /**
   * The code's version.
   * @default 'unversioned'
   */
  readonly version?: string;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const RELATIVE_PATH = /^(?!\/)(?!.*(^|\/)\.\.(\/|$))[A-Za-z0-9_./-]+$/;

/**
 * Where a job's code lives: an S3 location (a versioned artifact) or a directory inside the Spark image.
 * Targets ask it for URIs in the scheme they need, so one job definition serves EMR Serverless and the
 * Spark Operator.
 */
export class JobCode {
  /** The code of a job artifact: `bind` grants read through the artifact (its bucket's KMS key included). */
  public static fromArtifact(artifact: IJobArtifact): JobCode {
    return artifact.code._readThrough(grantee => artifact.grantRead(grantee));
  }

  /**
   * Code in a bucket under a version-specific prefix: `bind` grants read of the prefix through the bucket's
   * own `grantRead` (its KMS key included).
   */
  public static fromS3Bucket(bucket: s3.IBucket, prefix: string, options: JobCodeBucketOptions): JobCode {
    return JobCode.fromBucket({ ...options, bucketName: bucket.bucketName, prefix })
      ._readThrough(grantee => bucket.grantRead(grantee, `${prefix}/*`));
  }

  /**
   * Code in a bucket known by name, under a version-specific prefix (what `VersionedJobArtifact` uploads).
   * `bind` grants read of the prefix through the bucket imported by name (no KMS key is known): prefer
   * `fromS3Bucket` or `fromArtifact` for a bucket with a customer-managed key.
   */
  public static fromBucket(props: JobCodeBucketProps): JobCode {
    if (!Token.isUnresolved(props.bucketName) && !BUCKET_NAME.test(props.bucketName)) {
      throw invalidValue('bucketName', props.bucketName, 'expected an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens');
    }
    if (!Token.isUnresolved(props.prefix) && (props.prefix.startsWith('/') || props.prefix.endsWith('/') || props.prefix.includes('//'))) {
      throw invalidValue('prefix', props.prefix, 'expected a key prefix without leading or trailing slashes, e.g. artifacts/spark_jobs/0.1.0/3f2a9c1e');
    }
    const archives = (props.dependencyArchives ?? []).map((a, i) => {
      if (!RELATIVE_PATH.test(a.path) || !a.path.endsWith('.zip')) {
        throw invalidValue(`dependencyArchives[${i}].path`, a.path, 'expected a relative path to a .zip inside the code, without ..');
      }
      return { path: a.path, target: validatePythonTarget(a.target, `dependencyArchives[${i}].target`), topLevel: [...a.topLevel] };
    });
    return new JobCode({ kind: 'bucket', bucketName: props.bucketName, root: props.prefix }, props.entryPoints, props.pyFiles ?? [], props.version ?? 'unversioned', props.contentHash,
      archives, props.requiredImports ? [...props.requiredImports].sort() : undefined);
  }

  /** Code baked into the Spark image (Spark Operator only): URIs are `local://`. */
  public static fromImage(props: JobCodeImageProps): JobCode {
    if (!props.root.startsWith('/') || props.root.endsWith('/')) {
      throw invalidValue('root', props.root, 'expected an absolute directory without a trailing slash, e.g. /opt/spark-jobs');
    }
    return new JobCode({ kind: 'image', root: props.root }, props.entryPoints, props.pyFiles ?? [], props.version ?? 'unversioned', undefined);
  }

  /** The code's version. */
  public readonly version: string;
  /** The content hash, when known. */
  public readonly contentHash?: string;
  /** The bucket, for S3 code. */
  public readonly bucketName?: string;
  /** Dependency archives, one per runtime (S3 code only). */
  public readonly dependencyArchives: JobCodeDependencyArchive[];
  /** Third-party modules the code imports, when known. */
  public readonly requiredImports?: string[];
  /** The key prefix (S3) or directory (image). */
  public readonly root: string;

  private readonly entryPoints: { [name: string]: string };
  private readonly pyFiles: string[];
  private readonly kind: 'bucket' | 'image';
  private reader?: (grantee: iam.IGrantable) => iam.Grant;

  private constructor(location: { kind: 'bucket' | 'image'; bucketName?: string; root: string },
    entryPoints: { [name: string]: string }, pyFiles: string[], version: string, contentHash?: string,
    dependencyArchives: JobCodeDependencyArchive[] = [], requiredImports?: string[]) {
    if (!entryPoints || Object.keys(entryPoints).length === 0) {
      throw invalidValue('entryPoints', entryPoints, 'expected at least one entry point, e.g. { features: \'entrypoints/features.py\' }');
    }
    for (const [name, path] of Object.entries(entryPoints)) {
      if (!RELATIVE_PATH.test(path) || !path.endsWith('.py')) {
        throw invalidValue(`entryPoints.${name}`, path, 'expected a relative path to a .py file inside the code, without ..');
      }
    }
    for (const path of pyFiles) {
      if (!RELATIVE_PATH.test(path) || !/\.(zip|egg|py)$/.test(path)) {
        throw invalidValue('pyFiles', path, 'expected relative paths to .zip, .egg or .py files inside the code');
      }
    }
    this.kind = location.kind;
    this.bucketName = location.bucketName;
    this.root = location.root;
    this.entryPoints = { ...entryPoints };
    this.pyFiles = [...pyFiles];
    this.version = version;
    this.contentHash = contentHash;
    this.dependencyArchives = dependencyArchives;
    this.requiredImports = requiredImports;
  }

  /**
   * Grants `grantee` reading the code and returns its URIs in the scheme of its location: a target calls it
   * once per job, with the job's runtime identity.
   */
  public bind(scope: Construct, grantee: iam.IGrantable): JobCodeBinding {
    const scheme = this.kind === 'image' ? CodeUriScheme.LOCAL : CodeUriScheme.S3;
    let grant: iam.Grant;
    if (this.kind === 'image') {
      grant = iam.Grant.drop(grantee, 'read job code inside the Spark image');
    } else if (this.reader) {
      grant = this.reader(grantee);
    } else {
      const id = 'JobCodeBucket';
      const bucket = (scope.node.tryFindChild(id) as s3.IBucket | undefined) ?? s3.Bucket.fromBucketName(scope, id, this.bucketName!);
      grant = bucket.grantRead(grantee, `${this.root}/*`);
    }
    return {
      grant,
      entryPointUris: Object.fromEntries(this.entryPointNames().map(name => [name, this.entryPointUri(name, scheme)])),
      pyFileUris: this.pyFileUris(scheme),
    };
  }

  /**
   * A copy of this code whose `bind` grants read with `reader`.
   * @internal
   */
  public _readThrough(reader: (grantee: iam.IGrantable) => iam.Grant): JobCode {
    const copy = Object.create(JobCode.prototype) as JobCode;
    Object.assign(copy, this);
    copy.reader = reader;
    return copy;
  }

  /** Names of the entry points. */
  public entryPointNames(): string[] {
    return Object.keys(this.entryPoints);
  }

  /** The URI of an entry point in a scheme; an unknown name or an impossible scheme is an error. */
  public entryPointUri(name: string, scheme: CodeUriScheme): string {
    const path = this.entryPoints[name];
    if (path === undefined) {
      throw invalidValue('entryPoint', name, `expected one of the code's entry points: ${this.entryPointNames().join(', ')}`);
    }
    return this.uriFor(path, scheme);
  }

  /** The `--py-files` URIs in a scheme. */
  public pyFileUris(scheme: CodeUriScheme): string[] {
    return this.pyFiles.map(p => this.uriFor(p, scheme));
  }

  /** The URI of any file of the code, by its path relative to the code's root. */
  public uriFor(relativePath: string, scheme: CodeUriScheme): string {
    if (this.kind === 'image') {
      if (scheme !== CodeUriScheme.LOCAL) {
        throw invalidValue('scheme', scheme, 'code inside an image is only reachable as local://; upload a versioned artifact for EMR Serverless');
      }
      return `local://${this.root}/${relativePath}`;
    }
    if (scheme === CodeUriScheme.LOCAL) {
      throw invalidValue('scheme', scheme, 'code in S3 is reachable as s3:// or s3a://');
    }
    return `${scheme}://${this.bucketName}/${this.root}/${relativePath}`;
  }

  /** Whether the code is in S3 (true) or inside the image (false). */
  public get isInBucket(): boolean {
    return this.kind === 'bucket';
  }
}
