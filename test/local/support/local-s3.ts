import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as http from 'http';
import * as path from 'path';
import { freePort } from '../../support/moto-server';

/** Credentials for the local S3 server, handed to jobs through the environment only. */
export const LOCAL_S3_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'local-test-key',
  AWS_SECRET_ACCESS_KEY: 'local-test-secret',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
};

/** A moto S3 server on 127.0.0.1, started and stopped by a test. */
export class LocalS3Server {
  /** Starts moto_server of the venv on a free port and waits until it answers. */
  public static async start(venvDir: string): Promise<LocalS3Server> {
    const port = await freePort();
    const child = spawn(path.join(venvDir, 'bin', 'moto_server'), ['-H', '127.0.0.1', '-p', String(port)], {
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...LOCAL_S3_CREDENTIALS },
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const endpoint = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    while (!(await answers(endpoint))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        process.kill(-child.pid!, 'SIGKILL');
        throw new Error(`moto_server did not start on ${endpoint}: ${stderr}`);
      }
      await new Promise(r => setTimeout(r, 200));
    }
    return new LocalS3Server(child, endpoint, venvDir);
  }

  private constructor(private readonly child: ChildProcess, public readonly endpoint: string, private readonly venvDir: string) {}

  /** The environment a job needs to reach the server: credentials only (the endpoint is configuration). */
  public get environment(): { [name: string]: string } {
    return { ...LOCAL_S3_CREDENTIALS };
  }

  /** Runs test/local/support/s3_tool.py against the server and parses its JSON answer. */
  public tool(...args: string[]): any {
    const out = execFileSync(path.join(this.venvDir, 'bin', 'python'), [path.join(__dirname, 's3_tool.py'), ...args], {
      env: { ...process.env, ...LOCAL_S3_CREDENTIALS, S3_ENDPOINT: this.endpoint },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    return JSON.parse(out);
  }

  /** Stops the server (its whole process group). */
  public async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.pid === undefined) return;
    const exited = new Promise(r => this.child.once('exit', r));
    process.kill(-this.child.pid, 'SIGTERM');
    await Promise.race([exited, new Promise(r => setTimeout(r, 5000))]);
    if (this.child.exitCode === null) process.kill(-this.child.pid, 'SIGKILL');
    this.child.stderr?.destroy();
    this.child.unref();
  }
}

function answers(endpoint: string): Promise<boolean> {
  return new Promise(resolve => {
    const req = http.get(endpoint, res => {
      res.resume();
      resolve(res.statusCode !== undefined && res.statusCode < 500);
    });
    req.on('error', () => resolve(false));
    req.setTimeout(1000, () => {
      req.destroy();
      resolve(false);
    });
  });
}
