import { CreateApplicationCommand, EMRServerlessClient } from '@aws-sdk/client-emr-serverless';
import { CliIo } from '../../src/cli/args';
import { TerminalIo } from '../../src/cli/job-run-command';
import { main } from '../../src/cli/main';
import { FaultProxy } from '../client/fault-proxy';
import { MotoServer, startMotoServer, useFakeAwsCredentials } from '../support/moto-server';

export const ROLE = 'arn:aws:iam::123456789012:role/spark-job';
export const ENTRY = 's3://artifacts/spark_jobs/0.1.0/3f2a9c1e/entrypoints/features.py';

/** A moto server, a fault proxy in front of it, and a direct client for setup and checks. */
export interface EmrFixture {
  readonly moto: MotoServer;
  readonly proxy: FaultProxy;
  readonly direct: EMRServerlessClient;
  /** Flags pointing the CLI at the proxy. */
  readonly aws: string[];
}

export async function startEmrFixture(): Promise<EmrFixture> {
  useFakeAwsCredentials();
  const moto = await startMotoServer();
  const proxy = await FaultProxy.start(moto.endpoint);
  const direct = new EMRServerlessClient({ endpoint: moto.endpoint, region: 'us-east-1' });
  return { moto, proxy, direct, aws: ['--endpoint-url', proxy.endpoint, '--region', 'us-east-1'] };
}

export async function stopEmrFixture(f: EmrFixture | undefined): Promise<void> {
  f?.direct.destroy();
  await f?.proxy.close();
  await f?.moto.stop();
}

/** Resets moto and the proxy and creates a fresh application; returns its id. */
export async function freshApplication(f: EmrFixture): Promise<string> {
  await f.moto.reset();
  f.proxy.clear();
  const app = await f.direct.send(new CreateApplicationCommand({ name: 'spark', releaseLabel: 'emr-7.5.0', type: 'SPARK' }));
  return app.applicationId!;
}

/** Runs the CLI in-process and captures what it writes. */
export async function runCli(argv: string[], options: { isTty?: boolean } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: TerminalIo & CliIo = {
    stdout: t => { stdout += t; },
    stderr: t => { stderr += t; },
    isTty: options.isTty ?? false,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

/** Makes GetJobRun report these states, one per poll (moto ends every run SUCCESS at once). */
export function scriptStates(proxy: FaultProxy, states: Array<string | { state: string; stateDetails?: string; attempt?: number }>): void {
  proxy.rewrite('GetJobRun', (body, count) => {
    const step = states[Math.min(count, states.length) - 1];
    return { jobRun: { ...body.jobRun, ...(typeof step === 'string' ? { state: step } : step) } };
  });
}

/** Makes GetJobRun report RUNNING until a CancelJobRun went through (then moto's CANCELLED shows). */
export function runningUntilCancelled(proxy: FaultProxy): void {
  proxy.rewrite('GetJobRun', body => (proxy.of('CancelJobRun').length > 0 ? body : { jobRun: { ...body.jobRun, state: 'RUNNING' } }));
}
