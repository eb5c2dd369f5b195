// scripts/side-by-side.sh runs test stages at once and fails when any one of them fails.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 'side-by-side.sh');

function run(...stages: string[]) {
  const logs = fs.mkdtempSync(path.join(os.tmpdir(), 'side-by-side-'));
  const r = spawnSync('bash', [SCRIPT, ...stages], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, SIDE_BY_SIDE_LOGS: logs } });
  const files = Object.fromEntries(fs.readdirSync(logs).map(f => [f, fs.readFileSync(path.join(logs, f), 'utf8')]));
  fs.rmSync(logs, { recursive: true, force: true });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, files };
}

describe('scripts/side-by-side.sh', () => {
  test('runs the stages at the same time and passes when all pass', () => {
    // Each stage waits for the other's marker: run one after another, both would time out and fail.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'side-by-side-sync-'));
    const waitFor = (mark: string) => `for i in $(seq 100); do [ -e ${dir}/${mark} ] && exit 0; sleep 0.1; done; exit 9`;
    const r = run(`a=touch ${dir}/a; ${waitFor('b')}`, `b=touch ${dir}/b; ${waitFor('a')}`);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/all 2 stages passed/);
  });

  test('a failing stage fails the run, after the others finished, with every log printed', () => {
    const r = run('slow=sleep 1; echo slow done', 'broken=echo about to fail; exit 3');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/failed: broken \(exit 3\)/);
    expect(r.stdout).toMatch(/=== broken: exit 3 after \d+ s ===\nabout to fail\n/);
    expect(r.stdout).toMatch(/=== slow: exit 0 after \d+ s ===\nslow done\n/);
    expect(r.files).toEqual({ 'broken.log': 'about to fail\n', 'slow.log': 'slow done\n' });
  });

  test('a stage that is not name=command is refused before anything runs', () => {
    const r = run('ok=true', 'no-command-here');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/'no-command-here' is not name=command/);
    expect(r.files).toEqual({});
  });
});
