import { InternalServerException, ResourceNotFoundException, ValidationException } from '@aws-sdk/client-emr-serverless';
import { AwsCallError, callWithRetries, classifyAwsError, describeAwsError, FailureKind, RetryEvent } from '../../src/client/aws-errors';
import { AbortedError } from '../../src/client/backoff';
import { EmrServerlessJobRunner } from '../../src/client/job-runner';
import { freePort, useFakeAwsCredentials } from '../support/moto-server';

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });
const FAST = { initialDelayMs: 1, maxDelayMs: 2 };

describe('classifyAwsError', () => {
  test('SDK service exceptions: server faults are transient, client faults permanent', () => {
    expect(classifyAwsError(new InternalServerException({ message: 'boom', ...meta(500) }))).toBe(FailureKind.TRANSIENT);
    expect(classifyAwsError(new ResourceNotFoundException({ message: 'no app', ...meta(400) }))).toBe(FailureKind.PERMANENT);
    expect(classifyAwsError(new ValidationException({ message: 'bad', ...meta(400) }))).toBe(FailureKind.PERMANENT);
  });

  test('HTTP 429 and throttling names are throttling; other 5xx transient', () => {
    expect(classifyAwsError(Object.assign(new Error('x'), { name: 'ThrottlingException' }))).toBe(FailureKind.THROTTLING);
    expect(classifyAwsError(Object.assign(new Error('x'), meta(429)))).toBe(FailureKind.THROTTLING);
    expect(classifyAwsError(Object.assign(new Error('x'), meta(503)))).toBe(FailureKind.TRANSIENT);
    expect(classifyAwsError(new Error('plain'))).toBe(FailureKind.PERMANENT);
  });

  test('a refused connection through the real SDK is transient and retried, then reported', async () => {
    useFakeAwsCredentials();
    const port = await freePort();
    const retries: RetryEvent[] = [];
    const runner = new EmrServerlessJobRunner({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      retry: { maxRetries: 1, backoff: FAST },
      onRetry: e => retries.push(e),
    });
    const err = await runner.describe('app1', 'run1').catch(e => e);
    expect(err).toBeInstanceOf(AwsCallError);
    expect(err.kind).toBe(FailureKind.TRANSIENT);
    expect(err.attempts).toBe(2);
    expect(err.message).toMatch(/^GetJobRun failed after 2 attempts: .*ECONNREFUSED/);
    expect(retries.map(r => r.kind)).toEqual([FailureKind.TRANSIENT]);
  });
});

describe('describeAwsError', () => {
  test('names the error, its message and the HTTP status', () => {
    expect(describeAwsError(new ResourceNotFoundException({ message: 'Application x does not exist', ...meta(400) })))
      .toBe('ResourceNotFoundException: Application x does not exist (HTTP 400)');
  });

  test('does not echo bodies that were not an AWS response', () => {
    const err = Object.assign(new SyntaxError('Unexpected token \'<\', "<!doctype "... is not valid JSON\n  Deserialization error'), meta(404));
    expect(describeAwsError(err)).toBe('the endpoint answered with something that is not an AWS API response (HTTP 404)');
  });
});

describe('callWithRetries', () => {
  test('retries transient failures up to maxRetries, then fails with the attempt count', async () => {
    let calls = 0;
    const err = await callWithRetries('Op', async () => {
      calls++;
      throw new InternalServerException({ message: 'boom', ...meta(500) });
    }, { options: { maxRetries: 2, backoff: FAST } }).catch(e => e);
    expect(calls).toBe(3);
    expect(err).toBeInstanceOf(AwsCallError);
    expect(err.message).toBe('Op failed after 3 attempts: InternalServerException: boom (HTTP 500)');
    expect(err.errorName).toBe('InternalServerException');
  });

  test('returns the first success', async () => {
    let calls = 0;
    const value = await callWithRetries('Op', async () => {
      if (++calls < 3) throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
      return 'ok';
    }, { options: { maxRetries: 5, backoff: FAST } });
    expect([value, calls]).toEqual(['ok', 3]);
  });

  test('does not retry permanent failures', async () => {
    let calls = 0;
    const err = await callWithRetries('Op', async () => {
      calls++;
      throw new ValidationException({ message: 'bad', ...meta(400) });
    }, { options: { maxRetries: 5, backoff: FAST } }).catch(e => e);
    expect(calls).toBe(1);
    expect(err.kind).toBe(FailureKind.PERMANENT);
    expect(err.message).toBe('Op failed: ValidationException: bad (HTTP 400)');
  });

  test('an abort during the backoff stops the retries', async () => {
    const controller = new AbortController();
    const promise = callWithRetries('Op', async () => {
      throw Object.assign(new Error('x'), meta(503));
    }, { options: { maxRetries: 5, backoff: { initialDelayMs: 60_000, maxDelayMs: 60_000 } }, signal: controller.signal });
    setTimeout(() => controller.abort(), 10);
    await expect(promise).rejects.toBeInstanceOf(AbortedError);
  });
});
