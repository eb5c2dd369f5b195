// The container image rules of the library, written once. A reference is pinned when it names a tag or a
// digest; `latest` is a tag that moves, so it does not pin.
const TAG = '[A-Za-z0-9_][A-Za-z0-9_.-]';
const DIGEST = '@sha256:[a-f0-9]{64}';
// Any registry (Docker Hub's `apache/spark`, `host:port/path`): the name, then a tag of up to 128 characters
// (the OCI distribution spec's tag limit) or a digest.
const PINNED = new RegExp(`^[a-z0-9][a-z0-9._/:-]*[a-z0-9](:${TAG}{0,127}|${DIGEST})$`);
// EMR Serverless's imageConfiguration.imageUri pattern (API reference, ImageConfigurationInput): a registry
// and a repository path, then a tag of up to 300 characters or a digest.
const EMR_IMAGE_URI = new RegExp(
  `^([a-z0-9]+[a-z0-9-.]*)/((?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)(?::(${TAG}{0,299})|(${DIGEST}))$`);

/** Whether an image reference is pinned by a tag other than `latest`, or by a digest. */
export function isPinnedImage(reference: string): boolean {
  return PINNED.test(reference) && !/:latest$/.test(reference);
}

/** Whether a URI is an image EMR Serverless accepts (`imageUri`): registry, repository, and a tag or digest. */
export function isEmrImageUri(uri: string): boolean {
  return EMR_IMAGE_URI.test(uri);
}
