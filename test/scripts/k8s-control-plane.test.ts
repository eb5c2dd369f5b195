// scripts/k8s-control-plane.sh tells what to install when it cannot build the control plane.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 'k8s-control-plane.sh');

function run(args: string[], env: { [key: string]: string }) {
  const tools = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-tools-'));
  try {
    const r = spawnSync('bash', [SCRIPT, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, K8S_TOOLS_DIR: tools, ...env } });
    return { status: r.status, stderr: r.stderr };
  } finally {
    fs.rmSync(tools, { recursive: true, force: true });
  }
}

describe('scripts/k8s-control-plane.sh', () => {
  test('without a Go toolchain, build fails saying which Go to install', () => {
    const r = run(['build'], { PATH: '/usr/bin:/bin' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/ERROR: no Go toolchain on PATH\. Install Go >= 1\.26/);
  });

  test('when the build fails, it shows the log and says what the build needs', () => {
    // no module proxy and an empty module cache: the go build cannot fetch k8s.io/kubernetes
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'empty-gomodcache-'));
    const r = run(['build'], { GOPROXY: 'off', GOMODCACHE: cache, GOFLAGS: '-mod=mod' });
    fs.rmSync(cache, { recursive: true, force: true });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/module lookup disabled by GOPROXY=off/);
    expect(r.stderr).toMatch(/ERROR: building Kubernetes v1\.37\.2 failed .* It needs Go >= 1\.26/);
  });

  test('env and status say it is not running before start', () => {
    expect(run(['env'], {}).stderr).toMatch(/not running/);
    expect(run(['status'], {}).status).toBe(1);
  });

  test('an unknown command prints the usage', () => {
    const r = run(['launch'], {});
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage: .* build\|start\|stop\|status\|env\|run -- COMMAND/);
  });
});
