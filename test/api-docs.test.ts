import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

// API.md is what jsii-docgen renders from the jsii assembly (.jsii) that `npx projen compile` writes from src/.
// The build regenerates it (`npx projen build`: compile, then post-compile spawns docgen); this check fails when
// the committed API.md is not what the current assembly renders. CI compiles right before the tests (.ci/run),
// so there the assembly is the current source's.
const ROOT = path.resolve(__dirname, '..');
const FIX = 'run `npx projen compile && npx projen docgen` and commit API.md';

function newestSource(dir: string): { file: string; mtimeMs: number } {
  let newest = { file: '', mtimeMs: 0 };
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    const candidate = entry.isDirectory() ? newestSource(full)
      : entry.name.endsWith('.ts') ? { file: full, mtimeMs: fs.statSync(full).mtimeMs } : newest;
    if (candidate.mtimeMs > newest.mtimeMs) newest = candidate;
  }
  return newest;
}

test('the committed API.md is what jsii-docgen renders from the current source', () => {
  const assembly = path.join(ROOT, '.jsii');
  if (!fs.existsSync(assembly)) throw new Error(`no jsii assembly (.jsii): ${FIX}`);
  const source = newestSource(path.join(ROOT, 'src'));
  if (source.mtimeMs > fs.statSync(assembly).mtimeMs) {
    throw new Error(`.jsii is older than ${path.relative(ROOT, source.file)}, so it may not be the current source's API: ${FIX}`);
  }
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'api-docs-')), 'API.md');
  execFileSync(process.execPath, [require.resolve('jsii-docgen/bin/jsii-docgen'), '-o', out], { cwd: ROOT, stdio: 'pipe' });
  const generated = fs.readFileSync(out, 'utf8').split('\n');
  const committed = fs.readFileSync(path.join(ROOT, 'API.md'), 'utf8').split('\n');
  const first = generated.findIndex((line, i) => line !== committed[i]);
  const differs = first >= 0 || committed.length !== generated.length;
  const at = first >= 0 ? first : Math.min(generated.length, committed.length);
  const message = differs
    ? `API.md is out of date at line ${at + 1}: committed ${JSON.stringify(committed[at])}, generated ${JSON.stringify(generated[at])}; ${FIX}`
    : 'API.md is current';
  expect(message).toBe('API.md is current');
}, 180_000);
