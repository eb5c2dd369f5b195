import { invalidValue } from './errors';

// The S3 rules of the library, written once: key prefixes, bucket names, s3:// URIs.
// Safe key characters: the S3 user guide's object key naming guidelines (letters, digits and ! - _ . * ' ( )).
const SAFE_SEGMENT = "[A-Za-z0-9!_.*'()-]+";
const SAFE_SEGMENT_WITH_EQUALS = "[A-Za-z0-9!_.*'()=-]+";
const PREFIX = new RegExp(`^${SAFE_SEGMENT}(/${SAFE_SEGMENT})*$`);
const PREFIX_WITH_EQUALS = new RegExp(`^${SAFE_SEGMENT_WITH_EQUALS}(/${SAFE_SEGMENT_WITH_EQUALS})*$`);
// General purpose bucket names: 3-63 lowercase letters, digits, dots and hyphens, a letter or digit at each end.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const S3_URI = /^(s3a?):\/\/([^/]+)(?:\/(.*))?$/;

/** How `isS3KeyPrefix` reads a prefix. */
export interface S3KeyPrefixOptions {
  /**
   * Allow `=` in segments (Hive-style `key=value` partition paths).
   * @default false
   */
  readonly allowEquals?: boolean;
}

/** Whether `prefix` is an S3 key prefix of safe characters, without leading, trailing or doubled slashes. */
export function isS3KeyPrefix(prefix: string, options: S3KeyPrefixOptions = {}): boolean {
  return (options.allowEquals ? PREFIX_WITH_EQUALS : PREFIX).test(prefix);
}

/** Whether `name` is a general purpose S3 bucket name. */
export function isS3BucketName(name: string): boolean {
  return BUCKET_NAME.test(name);
}

/** A bucket and key read from an `s3://` (or `s3a://`) URI. */
export interface S3Location {
  /** `s3` or `s3a`. */
  readonly scheme: string;
  /** The bucket. */
  readonly bucket: string;
  /** The key or key prefix (empty for the bucket's root). */
  readonly key: string;
}

/** How `parseS3Uri` reads a URI. */
export interface ParseS3UriOptions {
  /**
   * Accept `s3a://` too (Hadoop's S3A scheme).
   * @default false
   */
  readonly s3a?: boolean;
  /**
   * Require a general purpose bucket name (otherwise any bucket up to the first `/`).
   * @default false
   */
  readonly strictBucket?: boolean;
}

/** The bucket and key of an `s3://` URI, or undefined when `uri` is not one. */
export function parseS3Uri(uri: string, options: ParseS3UriOptions = {}): S3Location | undefined {
  const m = S3_URI.exec(uri);
  if (!m || (m[1] === 's3a' && !options.s3a) || (options.strictBucket && !isS3BucketName(m[2]))) return undefined;
  return { scheme: m[1], bucket: m[2], key: m[3] ?? '' };
}

/** `s3://bucket/key`. */
export function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** `s3://bucket/prefix/`: the URI of a key prefix, with its trailing slash. */
export function s3PrefixUri(bucket: string, prefix: string): string {
  return s3Uri(bucket, `${prefix}/`);
}

/** Throws naming `field` unless `prefix` is an S3 key prefix (see `isS3KeyPrefix`). */
export function checkS3KeyPrefix(field: string, prefix: string, options: S3KeyPrefixOptions = {}): string {
  if (!isS3KeyPrefix(prefix, options)) {
    throw invalidValue(field, prefix, 'expected an S3 key prefix without leading or trailing slashes');
  }
  return prefix;
}
