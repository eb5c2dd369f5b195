import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ExitCode, parseArgs, processIo, UsageError } from '../../src/cli/args';
import {
  applicationIdFromFlags, CONNECTION_FLAGS, deployedJobFromFlags, exitCodeFor, isTerminal, jobRunIdFromArgs, reportError,
  retryFromEnvironment, runnerFromFlags, StatusReporter,
} from '../../src/cli/job-run-command';
import { AwsCallError, FailureKind } from '../../src/client/aws-errors';
import { AbortedError } from '../../src/client/backoff';
import { JobRunResult, RunOutcome } from '../../src/client/job-runner';

const parse = (argv: string[]) => parseArgs(argv, { values: [...CONNECTION_FLAGS, 'job-run-id', 'poll-seconds'], booleans: ['json'] });

function outputs(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'spark-deploy-outputs-')), 'outputs.json');
  writeFileSync(file, JSON.stringify({
    S: {
      SparkDeployJobs: JSON.stringify({
        features: { applicationId: 'app1', executionRoleArn: 'arn:aws:iam::123456789012:role/r', entryPoint: 's3://b/x.py' },
      }),
    },
  }));
  return file;
}

describe('flag helpers', () => {
  test('the application id comes from --application-id or the deployed job; the two must agree', () => {
    const file = outputs();
    expect(applicationIdFromFlags(parse(['--application-id', 'app9']), undefined)).toBe('app9');
    const args = parse(['--job', 'features', '--outputs-file', file]);
    expect(applicationIdFromFlags(args, deployedJobFromFlags(args))).toBe('app1');
    const both = parse(['--job', 'features', '--outputs-file', file, '--application-id', 'app2']);
    expect(() => applicationIdFromFlags(both, deployedJobFromFlags(both)))
      .toThrow(/--application-id: 'app2' differs from job 'features' in the outputs file \(app1\)/);
  });

  test('--outputs-file without --job is a usage error', () => {
    expect(() => deployedJobFromFlags(parse(['--outputs-file', 'x.json']))).toThrow(/--outputs-file: only used with --job NAME/);
  });

  test('the job run id is the positional or --job-run-id, validated', () => {
    expect(jobRunIdFromArgs(parse(['run1']), 'status')).toBe('run1');
    expect(jobRunIdFromArgs(parse(['--job-run-id', 'run2']), 'status')).toBe('run2');
    expect(() => jobRunIdFromArgs(parse(['run1', '--job-run-id', 'run2']), 'status')).toThrow(/expected one job run id, got run1 run2/);
    expect(() => jobRunIdFromArgs(parse(['Run 1']), 'status')).toThrow(/jobRunId: 'Run 1' is not valid/);
  });

  test('--endpoint-url and --poll-seconds are checked', () => {
    expect(() => runnerFromFlags(parse(['--endpoint-url', 'localhost:4566']), processIo, true)).toThrow(/--endpoint-url: 'localhost:4566' is not an http\(s\) URL/);
    expect(() => runnerFromFlags(parse(['--poll-seconds', '0']), processIo, true)).toThrow(/--poll-seconds: '0' must be > 0/);
  });

  test('AWS_MAX_ATTEMPTS counts attempts, the first included', () => {
    const saved = process.env.AWS_MAX_ATTEMPTS;
    try {
      process.env.AWS_MAX_ATTEMPTS = '1';
      expect(retryFromEnvironment()).toEqual({ maxRetries: 0 });
      delete process.env.AWS_MAX_ATTEMPTS;
      expect(retryFromEnvironment()).toBeUndefined();
      process.env.AWS_MAX_ATTEMPTS = '0';
      expect(() => retryFromEnvironment()).toThrow(/AWS_MAX_ATTEMPTS: '0' is not valid/);
    } finally {
      if (saved === undefined) delete process.env.AWS_MAX_ATTEMPTS;
      else process.env.AWS_MAX_ATTEMPTS = saved;
    }
  });
});

describe('exit codes and errors', () => {
  test.each([
    [RunOutcome.SUCCEEDED, ExitCode.OK],
    [RunOutcome.FAILED, ExitCode.JOB_FAILED],
    [RunOutcome.CANCELLED, ExitCode.JOB_FAILED],
    [RunOutcome.TIMED_OUT, ExitCode.INTERRUPTED],
    [RunOutcome.INTERRUPTED, ExitCode.INTERRUPTED],
  ])('outcome %s exits %d', (outcome, code) => {
    expect(exitCodeFor({ outcome } as JobRunResult)).toBe(code);
  });

  test('errors map to usage (2), could not (3) or interrupted (130), with one line on stderr', () => {
    const lines: string[] = [];
    const io = { stdout: () => undefined, stderr: (t: string) => { lines.push(t); } };
    expect(reportError(io, 'x', new UsageError('--a: bad'), 'USAGE')).toBe(ExitCode.USAGE);
    expect(reportError(io, 'x', new Error("field: 'v' is not valid; expected w"), 'USAGE')).toBe(ExitCode.USAGE);
    expect(reportError(io, 'x', new AwsCallError('GetJobRun', FailureKind.TRANSIENT, 3, new Error('down')), 'USAGE')).toBe(ExitCode.COULD_NOT_SUBMIT);
    expect(reportError(io, 'x', new AbortedError(), 'USAGE')).toBe(ExitCode.INTERRUPTED);
    expect(lines).toEqual(['spark-deploy x: --a: bad\n', "spark-deploy x: field: 'v' is not valid; expected w\n",
      'spark-deploy x: GetJobRun failed after 3 attempts: down\n', 'spark-deploy x: interrupted\n']);
  });
});

describe('hints for AWS errors (the real SDK, with the environment emptied)', () => {
  const KEYS = ['AWS_REGION', 'AWS_DEFAULT_REGION', 'AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN',
    'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_EC2_METADATA_DISABLED'];
  const saved: { [key: string]: string | undefined } = {};
  beforeEach(() => {
    for (const key of KEYS) {
      saved[key] = process.env[key];
      delete process.env[key];
    }
    // No file is read: the chain is pointed at paths that do not exist, and instance metadata is off.
    process.env.AWS_CONFIG_FILE = '/nonexistent/aws-config';
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/aws-credentials';
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
  });
  afterEach(() => {
    for (const key of KEYS) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });

  async function statusStderr(argv: string[]): Promise<[number, string]> {
    let err = '';
    const io = { stdout: () => undefined, stderr: (t: string) => { err += t; } };
    const runner = runnerFromFlags(parse(['--endpoint-url', 'http://127.0.0.1:9', ...argv]), io, true);
    const code = await runner.describe('app1', 'run1').then(() => 0, e => reportError(io, 'status', e, 'USAGE'));
    return [code, err];
  }

  test('a missing region says to pass --region', async () => {
    process.env.AWS_ACCESS_KEY_ID = 'testing';
    process.env.AWS_SECRET_ACCESS_KEY = 'testing';
    expect(await statusStderr([])).toEqual([ExitCode.COULD_NOT_SUBMIT,
      'spark-deploy status: GetJobRun failed: Region is missing\n  pass --region or set AWS_REGION\n']);
  });

  test('missing credentials say what to set', async () => {
    const [code, err] = await statusStderr(['--region', 'us-east-1']);
    expect(code).toBe(ExitCode.COULD_NOT_SUBMIT);
    expect(err).toMatch(/^spark-deploy status: GetJobRun failed: CredentialsProviderError: Could not load credentials from any providers\n {2}no AWS credentials found: set AWS_PROFILE/);
  });
});

describe('StatusReporter and terminals', () => {
  test('an io says whether it is a terminal; the process io asks stdout', () => {
    expect(isTerminal({ stdout: () => undefined, stderr: () => undefined, isTty: true } as any)).toBe(true);
    expect(isTerminal({ stdout: () => undefined, stderr: () => undefined })).toBe(false);
    expect(isTerminal(processIo)).toBe(process.stdout.isTTY === true);
  });

  test('notes go to stdout for people and nowhere with --json', () => {
    let out = '';
    const io = { stdout: (t: string) => { out += t; }, stderr: () => undefined };
    new StatusReporter(io, false, false).note('hello');
    new StatusReporter(io, true, false).note('hidden');
    expect(out).toBe('hello\n');
  });
});
