/**
 * Values a deployment tool has not resolved yet (CDK tokens) are left unchecked by the model; every other value is
 * validated. config/ must not load aws-cdk-lib for ordinary values (the command line starts without it), yet a CDK
 * app that imports only `spark-deploy/lib/config` must still see its tokens as tokens. So the check is in two steps:
 *
 * 1. A cheap shape test, with no aws-cdk-lib: only values shaped like one of CDK's token encodings can be tokens —
 *    a string holding the `Token[` marker (string tokens `${Token[...]}`, list elements `#{Token[...]}`), a
 *    one-element string list holding that marker (list tokens), a huge negative number (CDK encodes number tokens
 *    as doubles near -1.8e289), or an object with a `resolve` method (an `IResolvable` such as a `Lazy`).
 *    Everything else (plain strings, ordinary numbers, lists, records) answers false at once.
 * 2. For a value of that shape, aws-cdk-lib's own `Token.isUnresolved` decides. aws-cdk-lib is a peer dependency,
 *    required lazily on the first such value; where it is not installed no value can be a CDK token, so none is.
 */

/** The marker every CDK string and list token encoding contains. */
const TOKEN_MARKER = 'Token[';
/** CDK's number tokens are doubles of magnitude about 9.7e288 to 1.9e289, negative; no tuning value comes near. */
const NUMBER_TOKEN_CEILING = -1e288;

type UnresolvedCheck = (value: unknown) => boolean;

/** aws-cdk-lib's check once loaded; null when aws-cdk-lib is not installed; undefined until first needed. */
let cdkCheck: UnresolvedCheck | null | undefined;

function loadCdkCheck(): UnresolvedCheck | null {
  if (cdkCheck === undefined) {
    try {
      // Lazy on purpose: a static import would load aws-cdk-lib with config/ (and with the command line).
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { Token } = require('aws-cdk-lib') as { Token: { isUnresolved(value: unknown): boolean } };
      cdkCheck = value => Token.isUnresolved(value);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
      cdkCheck = null;
    }
  }
  return cdkCheck;
}

/** Whether `value` has the shape of one of CDK's token encodings (no aws-cdk-lib needed to answer). */
export function mayBeToken(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
      return value.includes(TOKEN_MARKER);
    case 'number':
      return value <= NUMBER_TOKEN_CEILING;
    case 'object':
      if (value === null) return false;
      if (Array.isArray(value)) return value.length === 1 && typeof value[0] === 'string' && value[0].includes(TOKEN_MARKER);
      return typeof (value as { resolve?: unknown }).resolve === 'function';
    default:
      return false;
  }
}

/** Whether `value` is a value not resolved until deployment (a CDK token). */
export function isUnresolved(value: unknown): boolean {
  if (!mayBeToken(value)) return false;
  const check = loadCdkCheck();
  return check !== null && check(value);
}
