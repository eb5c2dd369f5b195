import * as path from 'path';
import { RenderedJob } from './rendered-jobs';

/** The part of a built artifact the rewrite needs (`BuiltJobArtifact` fits). */
export interface LocalArtifact {
  readonly outDir: string;
  readonly keyPrefix: string;
  readonly files: ReadonlyArray<{ readonly path: string }>;
}

/**
 * What a rendered job becomes locally. Only bucket URIs change: code URIs (s3://, s3a://, local://) point
 * at the same file of the locally built artifact; data URIs `s3://<bucket>/<key>` become
 * `<bucketRoot(bucket)>/<key>` (a bucket on a local S3 server, or a local directory). A CloudFormation
 * bucket reference `{{Ref.RawBucket12AB}}` first becomes a valid bucket name (`rawbucket12ab`).
 * Keys, flags and properties are passed as rendered.
 */
export interface LocalizedJob {
  readonly job: RenderedJob;
  readonly entryPoint: string;
  readonly pyFiles: string[];
  readonly arguments: string[];
  /** Bucket names the arguments use. */
  readonly buckets: string[];
}

const BUCKET_REF = /\{\{(?:Ref|GetAtt)\.([A-Za-z0-9]+)[^}]*\}\}/g;
const BUCKET_URI = /^(s3a?|s3n):\/\/([^/]+)(\/.*)?$/;

/** The local bucket name of a CloudFormation bucket's logical ID. */
export function localBucketName(logicalId: string): string {
  return logicalId.toLowerCase().replace(/[^a-z0-9-]/g, '').slice(0, 63);
}

/** The artifact file a code URI names, as a local path; fails when the artifact has no such file. */
export function localCodePath(uri: string, artifact: LocalArtifact): string {
  const file = artifact.files.find(f => uri.endsWith(`/${artifact.keyPrefix}/${f.path}`))
    ?? (uri.startsWith('local://') ? artifact.files.find(f => uri.endsWith(`/${f.path}`)) : undefined);
  if (!file) {
    throw new Error(`code URI ${uri} names no file of the artifact ${artifact.keyPrefix} (files: ${artifact.files.map(f => f.path).join(', ')})`);
  }
  return path.join(artifact.outDir, file.path);
}

/**
 * Rewrites a rendered job for a local run (see `LocalizedJob`). `bucketRoot(scheme, bucket)` gives the
 * local root of a bucket; by default the bucket stays a bucket (on the local S3 server the run reaches).
 */
export function localizeJob(job: RenderedJob, artifact: LocalArtifact,
  bucketRoot: (scheme: string, bucket: string) => string = (scheme, bucket) => `${scheme}://${bucket}`): LocalizedJob {
  const buckets = new Set<string>();
  const args = job.arguments.map(raw => {
    const arg = raw.replace(BUCKET_REF, (_m, id: string) => localBucketName(id));
    const m = BUCKET_URI.exec(arg);
    if (!m) return arg;
    buckets.add(m[2]);
    return `${bucketRoot(m[1], m[2])}${m[3] ?? ''}`;
  });
  return {
    job,
    entryPoint: localCodePath(job.entryPoint, artifact),
    pyFiles: job.pyFiles.map(uri => localCodePath(uri, artifact)),
    arguments: args,
    buckets: [...buckets].sort(),
  };
}
