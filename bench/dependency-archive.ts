/**
 * Dependency archive build time and size for our jobs (numpy, pandas, pyarrow and their dependencies),
 * cold (empty archive cache: pip resolve + install --target + zip) and cached (pip resolve only, the zip
 * copied from the cache), for the three pinned runtimes, offline from .tools/wheels
 * (`bash scripts/fetch-dependency-wheels.sh` first). Also the zip level: the installed tree re-zipped at
 * zlib level 6 (what the builder uses) and 9. Wall time next to CPU seconds (this process plus the pip
 * processes it waited for), as the machine is shared.
 *
 *   npx ts-node --transpile-only -P test/tsconfig.json bench/dependency-archive.ts
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildDependencyArchive } from '../src/artifacts/dependency-archive';
import { projectRequirements } from '../src/artifacts/python-tools';
import { writeZip, ZipCompression } from '../src/artifacts/zip-writer';
import { CP310_AARCH64_JAMMY, CP311_X86_64, EMR7_ARM64, wheelDir } from '../test/artifacts/dependency-wheels';

const ROOT = path.resolve(__dirname, '..');
const MB = (n: number) => (n / 1e6).toFixed(1);
const secs = (ms: number) => (ms / 1000).toFixed(1);

/** CPU seconds of this process and of its waited-for children (pip): utime, stime, cutime, cstime of /proc/self/stat. */
function cpuSeconds(): number {
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  // After "pid (comm) ", field 3 is index 0: utime is field 14, cstime field 17 (clock ticks, 100 per second on Linux).
  return [11, 12, 13, 14].reduce((n, i) => n + Number(fields[i]), 0) / 100;
}

/** Runs fn; returns its result, wall milliseconds and CPU seconds. */
function timed<T>(fn: () => T): [T, number, number] {
  const t0 = process.hrtime.bigint();
  const c0 = cpuSeconds();
  const out = fn();
  return [out, Number(process.hrtime.bigint() - t0) / 1e6, cpuSeconds() - c0];
}
const wallCpu = (ms: number, cpu: number) => `${secs(ms)} s (${cpu.toFixed(1)} CPU-s)`;

function files(dir: string, rel = ''): string[] {
  return fs.readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap(e => {
    const r = rel ? `${rel}/${e.name}` : e.name;
    return e.isDirectory() ? files(dir, r) : [r];
  });
}

const rows: string[] = [];
const runtimes = [
  ['emr-7.x ARM64 (CPython 3.9, aarch64)', EMR7_ARM64, '3.5'],
  ['x86_64 CPython 3.11', CP311_X86_64, '4.0'],
  ['Spark Operator example image, arm64 (CPython 3.10, glibc 2.35)', CP310_AARCH64_JAMMY, '3.5'],
] as const;
for (const [label, target, line] of runtimes) {
  const wheels = wheelDir(target);
  const wheelBytes = fs.readdirSync(wheels).reduce((n, f) => n + fs.statSync(path.join(wheels, f)).size, 0);
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-deps-cache-'));
  const requirements = projectRequirements(path.join(ROOT, 'jobs'), line);
  const build = () => buildDependencyArchive({
    target, requirements, findLinks: [wheels], noIndex: true, cacheDir, outDir: fs.mkdtempSync(path.join(os.tmpdir(), 'bench-deps-out-')),
  });
  const [cold, coldMs, coldCpu] = timed(build);
  const [cached, cachedMs, cachedCpu] = timed(build);
  if (cold.cached || !cached.cached || cold.sha256 !== cached.sha256) throw new Error('cache did not behave');
  // The same tree at both zlib levels.
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-deps-tree-'));
  execFileSync('python3', ['-m', 'zipfile', '-e', cold.path, tree]);
  const entries = files(tree).map(p => ({ path: p, data: fs.readFileSync(path.join(tree, p)) }));
  const unpacked = entries.reduce((n, e) => n + e.data.length, 0);
  const [z6, z6ms, z6cpu] = timed(() => writeZip(entries, ZipCompression.DEFLATE, 6));
  const [z9, z9ms, z9cpu] = timed(() => writeZip(entries, ZipCompression.DEFLATE, 9));
  rows.push(`| ${label} | ${cold.wheels.length} (${cold.wheels.map(w => `${w.name} ${w.version}`).join(', ')}) | ${MB(wheelBytes)} MB | ${MB(unpacked)} MB, ${entries.length} files `
    + `| ${MB(cold.size)} MB | ${wallCpu(coldMs, coldCpu)} | ${wallCpu(cachedMs, cachedCpu)} | ${wallCpu(z6ms, z6cpu)}, ${MB(z6.length)} MB | ${wallCpu(z9ms, z9cpu)}, ${MB(z9.length)} MB |`);
  for (const d of [cacheDir, tree]) fs.rmSync(d, { recursive: true, force: true });
}
console.log('| runtime | wheels | wheels (download) | installed tree | archive | cold build | cached build | zip level 6 | zip level 9 |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
