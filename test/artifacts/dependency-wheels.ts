import * as fs from 'fs';
import * as path from 'path';
import { JobDependencies } from '../../src/artifacts/job-artifact-builder';
import { PythonArchitecture, PythonTarget } from '../../src/artifacts/python-target';

const ROOT = path.resolve(__dirname, '..', '..');

/** The targets whose wheels scripts/fetch-dependency-wheels.sh pins: EMR's default (emr-7.x, ARM64), this machine's, and the Spark Operator example's image. */
export const EMR7_ARM64: PythonTarget = { pythonVersion: '3.9', architecture: PythonArchitecture.AARCH64, glibc: '2.34' };
export const CP311_X86_64: PythonTarget = { pythonVersion: '3.11', architecture: PythonArchitecture.X86_64, glibc: '2.34' };
/** The Spark Operator example's image on arm64 nodes: apache/spark:3.5.6-java17-python3 (Ubuntu 22.04). */
export const CP310_AARCH64_JAMMY: PythonTarget = { pythonVersion: '3.10', architecture: PythonArchitecture.AARCH64, glibc: '2.35' };

/** `cp39-aarch64`: the name of a target's pinned wheel set. */
export function wheelSetName(target: PythonTarget): string {
  return `cp${target.pythonVersion.replace('.', '')}-${target.architecture}`;
}

/** The fetched wheels of a target; fails, saying how to fetch them, when they are missing. */
export function wheelDir(target: PythonTarget): string {
  const dir = path.join(process.env.DEPENDENCY_WHEELS_DIR ?? path.join(ROOT, '.tools', 'wheels'), wheelSetName(target));
  const pinned = pinnedWheels(target);
  const present = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  const missing = Object.keys(pinned).filter(name => !present.some(f => f.toLowerCase().startsWith(`${name.replace(/-/g, '_')}-${pinned[name]}-`)));
  if (missing.length > 0) {
    throw new Error(`${dir} lacks ${missing.join(', ')}: run \`bash scripts/fetch-dependency-wheels.sh ${wheelSetName(target)}\` once`);
  }
  return dir;
}

/** name → version pinned in scripts/dependency-wheels/<set>.txt (names as written there, lowercased). */
export function pinnedWheels(target: PythonTarget): { [name: string]: string } {
  const text = fs.readFileSync(path.join(ROOT, 'scripts', 'dependency-wheels', `${wheelSetName(target)}.txt`), 'utf8');
  const out: { [name: string]: string } = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9_.-]+)==(\S+)/.exec(line);
    if (m) out[m[1].toLowerCase().replace(/_/g, '-')] = m[2];
  }
  return out;
}

/** Offline dependency options for the pinned wheel sets, with one archive cache shared by every test file. */
export function offlineDependencies(targets: Array<{ target: PythonTarget; sparkLine?: string }>): JobDependencies {
  return {
    targets,
    findLinks: [...new Set(targets.map(t => wheelDir(t.target)))],
    noIndex: true,
    cacheDir: path.join(ROOT, '.tools', 'dependency-archives'),
  };
}
