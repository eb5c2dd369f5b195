import { ChildProcess, spawn } from 'child_process';
import { existsSync } from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';

/** The moto server of the jobs/ venv (moto[server] is one of its test extras). */
export const MOTO_SERVER_BIN = path.resolve(__dirname, '..', '..', 'jobs', '.venv', 'bin', 'moto_server');

/** A moto server on 127.0.0.1, started for one test file. */
export interface MotoServer {
  /** `http://127.0.0.1:<port>`: pass as the SDK client's `endpoint`. */
  readonly endpoint: string;
  readonly port: number;
  /** Forgets every resource (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** Stops the server and waits for it to exit. */
  stop(): Promise<void>;
}

/**
 * Sets fake AWS credentials and a region in the environment, as the SDK's default chain reads them,
 * so no test ever reads a credentials file or an instance metadata endpoint.
 */
export function useFakeAwsCredentials(region = 'us-east-1'): void {
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  process.env.AWS_SESSION_TOKEN = 'testing';
  process.env.AWS_REGION = region;
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  delete process.env.AWS_PROFILE;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

function request(url: string, method: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method }, res => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Starts `moto_server -H 127.0.0.1 -p <free port>` and waits until it answers. Fails, saying how to
 * create it, when the venv is missing: the tests that need it must not pass silently without it.
 */
export async function startMotoServer(timeoutMs = 30_000, bin = MOTO_SERVER_BIN): Promise<MotoServer> {
  if (!existsSync(bin)) {
    throw new Error(`moto_server not found at ${bin}; run \`npx projen venv\` to create jobs/.venv with the test extras`);
  }
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(bin, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', chunk => { stderr = (stderr + String(chunk)).slice(-4000); });
  let exited = false;
  const exit = new Promise<void>(resolve => child.once('exit', () => { exited = true; resolve(); }));
  const started = Date.now();
  for (;;) {
    if (exited) throw new Error(`moto_server exited before answering:\n${stderr}`);
    try {
      if (await request(`${endpoint}/moto-api/`, 'GET') === 200) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() - started > timeoutMs) {
      child.kill('SIGTERM');
      throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms:\n${stderr}`);
    }
    await new Promise(r => setTimeout(r, 100));
  }
  return {
    endpoint,
    port,
    reset: async () => {
      const status = await request(`${endpoint}/moto-api/reset`, 'POST');
      if (status !== 200) throw new Error(`moto reset answered HTTP ${status}`);
    },
    stop: async () => {
      if (!exited) child.kill('SIGTERM');
      await exit;
    },
  };
}
