import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EMR7_ARM64, wheelDir } from './dependency-wheels';

const SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 'fetch-dependency-wheels.sh');
const SIX = 'six-1.17.0-py2.py3-none-any.whl';
const SIX_SHA256 = '4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274';

/** The script on a one-wheel lock, with the wheel already present; the index is a closed local port (no network). */
function run(hash: string) {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fetch-wheels-'));
  fs.mkdirSync(path.join(work, 'locks'));
  fs.writeFileSync(path.join(work, 'locks', 'cp39-aarch64.txt'), `six==1.17.0 --hash=sha256:${hash}\n`);
  fs.mkdirSync(path.join(work, 'wheels', 'cp39-aarch64'), { recursive: true });
  fs.copyFileSync(path.join(wheelDir(EMR7_ARM64), SIX), path.join(work, 'wheels', 'cp39-aarch64', SIX));
  return spawnSync('bash', [SCRIPT, 'cp39-aarch64'], {
    encoding: 'utf8',
    env: { ...process.env, DEPENDENCY_WHEELS_LOCKS: path.join(work, 'locks'), DEPENDENCY_WHEELS_DIR: path.join(work, 'wheels'), PIP_INDEX_URL: 'http://127.0.0.1:9/simple', PIP_RETRIES: '0' },
  });
}

describe('scripts/fetch-dependency-wheels.sh', () => {
  test('a present wheel with the pinned hash is accepted without any index', () => {
    const result = run(SIX_SHA256);
    expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({ status: 0, stderr: '' });
  });

  test('a wheel whose hash differs from the pin is refused', () => {
    const result = run('0'.repeat(64));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/could not get cp39-aarch64's wheels with the pinned SHA-256/);
  });

  test('an unknown target is refused, listing the pinned ones', () => {
    const result = spawnSync('bash', [SCRIPT, 'cp313-riscv64'], { encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/no pinned wheels for 'cp313-riscv64' \(have: cp310-aarch64 cp311-x86_64 cp39-aarch64 \)/);
  });
});
