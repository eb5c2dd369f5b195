import { execFileSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  compatiblePlatformTags, cpythonTag, describePythonTarget, parseWheelName, PythonTarget, pythonTargetId,
  validatePythonTarget, wheelIncompatibility,
} from './python-target';
import { buildPython, normalizeDistributionName, requirementName, RUNTIME_PROVIDED_DISTRIBUTIONS } from './python-tools';
import { writeZip, ZipCompression } from './zip-writer';
import { invalidValue } from '../config/errors';

/** Options for `buildDependencyArchive`. */
export interface DependencyArchiveOptions {
  /** The runtime the archive is for. */
  readonly target: PythonTarget;
  /** PEP 508 requirements (`pandas>=2.0,<2.3`); their dependencies are resolved for the target. */
  readonly requirements: string[];
  /** Where to write the archive: a directory; the file is named `<target id>-<hash>.zip`. */
  readonly outDir: string;
  /**
   * Local directories of wheels to resolve from (pip `--find-links`).
   * @default - none
   */
  readonly findLinks?: string[];
  /**
   * Resolve from `findLinks` only, without an index: an offline build.
   * @default false
   */
  readonly noIndex?: boolean;
  /**
   * The package index.
   * @default - pip's configured index (PyPI)
   */
  readonly indexUrl?: string;
  /**
   * The Python that runs pip (any CPython with pip: the target's Python is only named to pip).
   * @default - `SPARK_DEPLOY_PYTHON`, this checkout's jobs/.venv, or `python3`
   */
  readonly python?: string;
  /**
   * Where built archives are kept, by the SHA-256 of their wheels and target, so an unchanged dependency
   * set is zipped once.
   * @default - `spark-deploy-dependency-archives` in the OS temporary directory
   */
  readonly cacheDir?: string;
}

/** One wheel inside a dependency archive. */
export interface DependencyWheel {
  /** Distribution name, normalized (`python-dateutil`). */
  readonly name: string;
  /** Version. */
  readonly version: string;
  /** The wheel's file name. */
  readonly fileName: string;
  /** Its tags: `python-abi-platform` triples, e.g. `cp39-cp39-manylinux_2_17_aarch64`. */
  readonly tags: string[];
  /** SHA-256 of the wheel file. */
  readonly sha256: string;
}

/** What a dependency archive holds, wherever it lies: its checksum, runtime and wheels. */
export interface DependencyArchiveContents {
  /** SHA-256 of the zip. */
  readonly sha256: string;
  /** Size of the zip, bytes. */
  readonly size: number;
  /** The runtime it is for. */
  readonly target: PythonTarget;
  /** The requirements it was resolved from. */
  readonly requirements: string[];
  /** Every wheel in it, sorted by name, with its version and tags. */
  readonly wheels: DependencyWheel[];
  /** Importable top-level names it provides (`numpy`, `pandas`, `dateutil`, `six`), sorted. */
  readonly topLevel: string[];
}

/** A built dependency archive (what the artifact manifest lists). */
export interface BuiltDependencyArchive extends DependencyArchiveContents {
  /** Absolute path of the zip. */
  readonly path: string;
  /** The zip's file name: `<target id>-<hash>.zip`. */
  readonly fileName: string;
  /** Whether it came from the cache (no pip install, no zipping). */
  readonly cached: boolean;
}

const CACHE_FORMAT = 'spark-deploy-dependency-archive/2';

/**
 * Resolves requirements into a zip of installed packages for one runtime, without Docker and without the
 * target's interpreter: pip downloads binary wheels only (`--only-binary=:all:`) for the target's CPython,
 * ABI and manylinux platforms, every wheel's tags are checked against the target, the wheels are unpacked
 * with `pip install --target` (no compiled bytecode, no scripts), and the tree is zipped deterministically.
 * Spark unpacks it beside the driver and each executor (`spark.archives=<uri>#deps`); `PYTHONPATH=./deps`
 * makes it importable.
 *
 * pyspark and py4j are refused: the runtime provides Spark, and a second copy shadows it.
 */
export function buildDependencyArchive(options: DependencyArchiveOptions): BuiltDependencyArchive {
  const target = validatePythonTarget(options.target);
  const requirements = [...options.requirements];
  if (requirements.length === 0) {
    throw invalidValue('requirements', requirements, 'expected at least one requirement (a job without third-party imports needs no dependency archive)');
  }
  for (const r of requirements) {
    if (RUNTIME_PROVIDED_DISTRIBUTIONS.includes(requirementName(r))) {
      throw invalidValue('requirements', r, `the runtime provides ${RUNTIME_PROVIDED_DISTRIBUTIONS.join(' and ')}; leave them out of the dependency archive`);
    }
  }
  for (const dir of options.findLinks ?? []) {
    if (!fs.existsSync(dir)) throw invalidValue('findLinks', dir, 'expected an existing directory of wheels');
  }
  if (options.noIndex && (options.findLinks ?? []).length === 0) {
    throw invalidValue('noIndex', true, 'an offline build needs findLinks: directories holding the wheels');
  }
  const python = options.python ?? buildPython();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'spark-deploy-deps-'));
  try {
    const wheelDir = path.join(work, 'wheels');
    const pipTarget = pipTargetFlags(target);
    const source = [
      ...(options.findLinks ?? []).flatMap(d => ['--find-links', path.resolve(d)]),
      ...(options.noIndex ? ['--no-index'] : []),
      ...(options.indexUrl ? ['--index-url', options.indexUrl] : []),
    ];
    pip(python, ['download', '--quiet', '--dest', wheelDir, ...pipTarget, ...source, ...requirements], target);

    const wheels = fs.readdirSync(wheelDir).sort().map(fileName => {
      if (!fileName.endsWith('.whl')) {
        throw invalidValue('requirements', fileName, `pip fetched a non-wheel file for ${describePythonTarget(target)}; only binary wheels can be packaged without building`);
      }
      const problem = wheelIncompatibility(fileName, target);
      if (problem) throw invalidValue('wheel', fileName, problem);
      return describeWheel(path.join(wheelDir, fileName));
    }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const provided = wheels.filter(w => RUNTIME_PROVIDED_DISTRIBUTIONS.includes(w.name));
    if (provided.length > 0) {
      throw invalidValue('requirements', requirements,
        `they pull in ${provided.map(w => `${w.name} ${w.version}`).join(', ')}, which the runtime provides; a second copy would shadow the runtime's Spark`);
    }

    const key = crypto.createHash('sha256')
      .update(`${CACHE_FORMAT}\n${pythonTargetId(target)}\n`)
      .update(wheels.map(w => `${w.fileName}\0${w.sha256}\n`).join(''))
      .digest('hex');
    const fileName = `${pythonTargetId(target)}-${key.slice(0, 16)}.zip`;
    const cacheDir = path.resolve(options.cacheDir ?? path.join(os.tmpdir(), 'spark-deploy-dependency-archives'));
    const cachedZip = path.join(cacheDir, fileName);
    const cachedMeta = `${cachedZip}.json`;
    let cached = fs.existsSync(cachedZip) && fs.existsSync(cachedMeta);
    let topLevel: string[];
    if (cached) {
      topLevel = JSON.parse(fs.readFileSync(cachedMeta, 'utf8')).topLevel;
    } else {
      const installDir = path.join(work, 'deps');
      pip(python, ['install', '--quiet', '--no-deps', '--no-index', '--no-compile', '--no-warn-script-location', '--disable-pip-version-check',
        '--target', installDir, ...pipTarget, ...wheels.map(w => path.join(wheelDir, w.fileName))], target);
      removeInstallDroppings(installDir);
      topLevel = importableNames(installDir);
      const entries = listTree(installDir).map(rel => ({ path: rel, data: fs.readFileSync(path.join(installDir, rel)) }));
      fs.mkdirSync(cacheDir, { recursive: true });
      // Write under a temporary name, then rename: a concurrent or killed build never leaves half a zip.
      const part = `${cachedZip}.${process.pid}.part`;
      // zlib level 6: 0.4% larger than level 9 for a third of the time (docs/benchmarks.md).
      fs.writeFileSync(part, writeZip(entries, ZipCompression.DEFLATE, 6));
      fs.renameSync(part, cachedZip);
      fs.writeFileSync(cachedMeta, JSON.stringify({ format: CACHE_FORMAT, topLevel }) + '\n');
    }
    const outDir = path.resolve(options.outDir);
    fs.mkdirSync(outDir, { recursive: true });
    const outPath = path.join(outDir, fileName);
    fs.copyFileSync(cachedZip, outPath);
    const data = fs.readFileSync(outPath);
    return {
      path: outPath,
      fileName,
      sha256: crypto.createHash('sha256').update(data).digest('hex'),
      size: data.length,
      target,
      requirements,
      wheels,
      topLevel,
      cached,
    };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** pip's flags that name the target instead of the running interpreter. */
function pipTargetFlags(target: PythonTarget): string[] {
  return [
    '--only-binary=:all:',
    ...compatiblePlatformTags(target).flatMap(p => ['--platform', p]),
    '--python-version', target.pythonVersion,
    '--implementation', 'cp',
    '--abi', cpythonTag(target),
  ];
}

function pip(python: string, args: string[], target: PythonTarget): void {
  try {
    execFileSync(python, ['-m', 'pip', ...args], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (e: any) {
    const detail = `${e.stderr ?? ''}`.trim().split('\n').filter((l: string) => l.trim()).slice(-4).join(' | ') || e.message;
    throw invalidValue('requirements', args.filter(a => !a.startsWith('-') && !a.startsWith('/') && !a.includes('manylinux') && !/^(download|install|cp|3\.\d+|cp3\d+)$/.test(a)),
      `pip could not resolve them as binary wheels for ${describePythonTarget(target)}: ${detail}`);
  }
}

function describeWheel(file: string): DependencyWheel {
  const fileName = path.basename(file);
  const w = parseWheelName(fileName);
  const tags = w.pythonTags.flatMap(py => w.abiTags.flatMap(abi => w.platformTags.map(p => `${py}-${abi}-${p}`)));
  return {
    name: normalizeDistributionName(w.name),
    version: w.version,
    fileName,
    tags,
    sha256: crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex'),
  };
}

// pip records where it installed from (direct_url.json holds the temporary path) and writes console
// scripts with the build machine's interpreter in their shebang: neither belongs in the archive.
function removeInstallDroppings(dir: string): void {
  fs.rmSync(path.join(dir, 'bin'), { recursive: true, force: true });
  const dropped = (rel: string) => /(^|\/)(direct_url\.json|REQUESTED)$/.test(rel) || rel.startsWith('bin/') || rel.includes('__pycache__/');
  for (const name of fs.readdirSync(dir)) {
    if (name.endsWith('.dist-info')) {
      for (const dropping of ['direct_url.json', 'REQUESTED']) fs.rmSync(path.join(dir, name, dropping), { force: true });
      // RECORD lists them (direct_url.json with the hash of a temporary path): keep it true to the tree.
      const record = path.join(dir, name, 'RECORD');
      if (fs.existsSync(record)) {
        const lines = fs.readFileSync(record, 'utf8').split('\n').filter(l => !dropped(l.split(',')[0].replace(/^(\.\.\/)+/, '')));
        fs.writeFileSync(record, lines.join('\n'));
      }
    }
  }
  for (const rel of listTree(dir, true)) {
    if (path.basename(rel) === '__pycache__') fs.rmSync(path.join(dir, rel), { recursive: true, force: true });
  }
}

/** Top-level names `import` finds in the installed tree: packages (folders) and modules (`.py`, extensions). */
function importableNames(dir: string): string[] {
  const names = new Set<string>();
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(entry.name)) names.add(entry.name);
    } else {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(\.py|\..*\.so|\.so)$/.exec(entry.name);
      if (m) names.add(m[1]);
    }
  }
  return [...names].sort();
}

function listTree(root: string, includeDirs = false): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const childRel = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (includeDirs) out.push(childRel);
        walk(childRel);
      } else if (entry.isFile()) {
        out.push(childRel);
      }
    }
  };
  walk('');
  return out.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}
