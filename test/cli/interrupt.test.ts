import { spawn } from 'child_process';
import { join } from 'path';
import { EmrFixture, ENTRY, freshApplication, ROLE, runningUntilCancelled, startEmrFixture, stopEmrFixture } from './emr-fixture';
import { ExitCode } from '../../src/cli/args';

// Ctrl-C is a real SIGINT to a real process: the CLI runs in a child (ts-node, transpile only).
const ROOT = join(__dirname, '..', '..');
const CHILD = "require('./src/cli/main').main(process.argv.slice(1)).then(c => { process.exitCode = c; })";

let f: EmrFixture;
beforeAll(async () => { f = await startEmrFixture(); });
afterAll(async () => stopEmrFixture(f));

test('Ctrl-C during submit --wait cancels the run and exits 130', async () => {
  // GIVEN a run that stays RUNNING until cancelled
  const app = await freshApplication(f);
  runningUntilCancelled(f.proxy);
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', CHILD, '--',
    'submit', ...f.aws, '--application-id', app, '--execution-role-arn', ROLE, '--entry-point', ENTRY,
    '--wait', '--poll-seconds', '0.05'], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', d => { stderr += String(d); });
  const exited = new Promise<number | null>(resolve => child.once('exit', code => resolve(code)));
  // WHEN it has reported RUNNING, press Ctrl-C
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no RUNNING line within 60 s; stdout: ${stdout} stderr: ${stderr}`)), 60_000);
    child.stdout.on('data', d => {
      stdout += String(d);
      if (/ RUNNING\n/.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  child.kill('SIGINT');
  const code = await exited;
  // THEN
  expect(code).toBe(ExitCode.INTERRUPTED);
  const jobRunId = /Started job run (\w+)/.exec(stdout)![1];
  expect(stderr).toContain(`Interrupted: cancelling job run ${jobRunId}`);
  expect(stderr).toContain(`interrupted; cancelled job run ${jobRunId} (now CANCELLED)`);
  expect(f.proxy.of('CancelJobRun').map(r => r.path)).toEqual([`/applications/${app}/jobruns/${jobRunId}`]);
});
