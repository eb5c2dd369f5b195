import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * A stack with a fixed environment, so ARNs and conditions render with real values. CDK's built-in
 * template validation is off here (it costs ~13 s per test file to load); the example test runs it, and
 * cfn-lint, on the full example app.
 */
export function newStack(id = 'Test'): { app: App; stack: Stack } {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, id, { env: { account: '123456789012', region: 'eu-west-1' } });
  return { app, stack };
}

/** An imported bucket (no resources of its own). */
export function bucket(stack: Stack, name = 'data-bucket'): s3.IBucket {
  return s3.Bucket.fromBucketName(stack, `Bucket-${name}`, name);
}

/** A tiny package with `features` and `validate` entry points (fast to package). */
export function tinyPackage(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'emr-pkg-'));
  const pkg = path.join(root, 'spark_jobs');
  fs.mkdirSync(path.join(pkg, 'entrypoints'), { recursive: true });
  fs.writeFileSync(path.join(root, 'pyproject.toml'), '[project]\nname = "spark-jobs"\nversion = "0.3.1"\n');
  fs.writeFileSync(path.join(pkg, '__init__.py'), '');
  fs.writeFileSync(path.join(pkg, 'entrypoints', '__init__.py'), '');
  fs.writeFileSync(path.join(pkg, 'entrypoints', 'features.py'), 'print("features")\n');
  fs.writeFileSync(path.join(pkg, 'entrypoints', 'validate.py'), 'print("validate")\n');
  return pkg;
}
