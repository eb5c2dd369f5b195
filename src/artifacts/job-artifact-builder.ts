import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { buildDependencyArchive, BuiltDependencyArchive, DependencyArchiveContents } from './dependency-archive';
import { PythonTarget } from './python-target';
import { buildPython, projectRequirements, thirdPartyImports } from './python-tools';
import { writeZip, ZipCompression } from './zip-writer';
import { invalidValue } from '../config/errors';

/** Options for `buildJobArtifact`. */
export interface BuildJobArtifactOptions {
  /**
   * The Python package directory to package, e.g. `jobs/src/spark_jobs`. Its name is the package name.
   * @default - the `spark_jobs` package shipped with spark-deploy (`jobs/src/spark_jobs`)
   */
  readonly sourceDir?: string;
  /** Directory to write the artifact into; created if missing, replaced if it holds an earlier artifact. */
  readonly outDir: string;
  /**
   * The artifact's version.
   * @default - `[project] version` of the nearest `pyproject.toml` above `sourceDir`
   */
  readonly version?: string;
  /**
   * Directory of entry-point scripts inside the package, relative to `sourceDir`.
   * @default 'entrypoints'
   */
  readonly entryPointsDir?: string;
  /**
   * Build dependency archives beside the code: the project's runtime requirements as binary wheels for
   * each target, so the job imports the same pandas on the cluster as in its tests.
   * @default - no dependency archive
   */
  readonly dependencies?: JobDependencies;
  /**
   * Read the package's imports (with Python's own parser) and list the third-party ones in the manifest,
   * so targets can check at synth time that the runtime or an archive provides each.
   * @default true
   */
  readonly scanImports?: boolean;
}

/** One runtime to build a dependency archive for. */
export interface JobDependencyTarget {
  /** The runtime's Python (see `pythonTargetForEmr`). */
  readonly target: PythonTarget;
  /**
   * The runtime's Spark line (`3.5`, `4.0`): the project's `spark35`/`spark40` extra narrows the bounds.
   * @default - the project's `[project] dependencies` only
   */
  readonly sparkLine?: string;
  /**
   * PEP 508 requirements instead of the project's.
   * @default - read from the project (pyproject.toml or requirements.txt), without pyspark and py4j
   */
  readonly requirements?: string[];
}

/** Dependency archives to build with the code. */
export interface JobDependencies {
  /** One archive per runtime. */
  readonly targets: JobDependencyTarget[];
  /**
   * The project directory holding `pyproject.toml` or `requirements.txt`.
   * @default - the nearest directory above `sourceDir` holding either
   */
  readonly projectDir?: string;
  /**
   * Local wheel directories to resolve from (pip `--find-links`).
   * @default - none
   */
  readonly findLinks?: string[];
  /**
   * Resolve from `findLinks` only (offline).
   * @default false
   */
  readonly noIndex?: boolean;
  /**
   * The package index.
   * @default - pip's configured index
   */
  readonly indexUrl?: string;
  /**
   * The Python that runs pip.
   * @default - `SPARK_DEPLOY_PYTHON`, this checkout's jobs/.venv, or `python3`
   */
  readonly python?: string;
  /**
   * Where built archives are cached.
   * @default - `spark-deploy-dependency-archives` in the OS temporary directory
   */
  readonly cacheDir?: string;
}

/** A dependency archive of a built artifact, as its manifest lists it. */
export interface ArtifactDependencyArchive extends DependencyArchiveContents {
  /** Path relative to the artifact root: `dependencies/<target id>-<hash>.zip`. */
  readonly path: string;
}

/** One file of a built artifact. */
export interface ArtifactFile {
  /** Path relative to the artifact root (and to its S3 key prefix). */
  readonly path: string;
  /** SHA-256 of the bytes, hex. */
  readonly sha256: string;
  /** Size in bytes. */
  readonly size: number;
}

/** What `buildJobArtifact` wrote. */
export interface BuiltJobArtifact {
  /** The package name (the source directory's name), e.g. `spark_jobs`. */
  readonly packageName: string;
  /** The version. */
  readonly version: string;
  /** First 16 hex digits of the SHA-256 over every source file and dependency archive (path and bytes): same code, same hash. */
  readonly contentHash: string;
  /** Every file of the artifact (the manifest excluded), sorted by path. */
  readonly files: ArtifactFile[];
  /** Absolute path of the written manifest (`manifest.json`). */
  readonly manifestPath: string;
  /** The directory written. */
  readonly outDir: string;
  /** The versioned key prefix, relative to the bucket prefix: `<package>/<version>/<hash>`. */
  readonly keyPrefix: string;
  /** Entry points by name, as artifact paths: `{ features: 'entrypoints/features.py' }`. */
  readonly entryPoints: { [name: string]: string };
  /** The `--py-files` archive(s), as artifact paths. */
  readonly pyFiles: string[];
  /** The dependency archives built with the code. */
  readonly dependencyArchives: ArtifactDependencyArchive[];
  /**
   * Third-party top-level modules the package imports, with the files importing each.
   * @default - not scanned
   */
  readonly imports?: { [module: string]: string[] };
}

/** The manifest format written next to the files. */
export const ARTIFACT_MANIFEST_FORMAT = 'spark-deploy-artifact/1';
export const ARTIFACT_MANIFEST_NAME = 'manifest.json';
const VERSION_PATTERN = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/;
const PACKAGE_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Build droppings that must never change the hash.
const SKIPPED_DIRS = new Set(['__pycache__', '.pytest_cache', '.ruff_cache', '.mypy_cache']);
const SKIPPED_FILE = /(\.py[cod]|~|\.swp)$/;

/** The `spark_jobs` package of this repository (lib/artifacts or src/artifacts → jobs/src/spark_jobs). */
export function defaultJobSourceDir(): string {
  return path.resolve(__dirname, '..', '..', 'jobs', 'src', 'spark_jobs');
}

/**
 * Packages a PySpark package deterministically, without Docker: the package zipped for `--py-files`
 * (entries under `<package>/`, sorted, fixed timestamps), each entry-point script copied as a file, and a
 * manifest listing every file with its SHA-256. The same code always gives the same content hash and,
 * for a given zlib, the same bytes.
 *
 * Layout written to `outDir` (and uploaded under `<prefix>/<package>/<version>/<hash>/`):
 * `<package>.zip`, `entrypoints/<name>.py`, `dependencies/<target>-<hash>.zip` (one per `dependencies` target),
 * `manifest.json` (files, third-party imports, and each archive's target and wheels).
 */
export function buildJobArtifact(options: BuildJobArtifactOptions): BuiltJobArtifact {
  const sourceDir = path.resolve(options.sourceDir ?? defaultJobSourceDir());
  if (!fs.existsSync(sourceDir) || !fs.statSync(sourceDir).isDirectory()) {
    throw invalidValue('sourceDir', options.sourceDir ?? sourceDir, 'expected an existing Python package directory');
  }
  const packageName = path.basename(sourceDir);
  if (!PACKAGE_PATTERN.test(packageName)) {
    throw invalidValue('sourceDir', sourceDir, 'the directory name must be a Python package name (letters, digits, underscores)');
  }
  if (!fs.existsSync(path.join(sourceDir, '__init__.py'))) {
    throw invalidValue('sourceDir', sourceDir, 'expected a Python package: the directory has no __init__.py');
  }
  const version = options.version ?? readPyprojectVersion(sourceDir);
  if (!VERSION_PATTERN.test(version)) {
    throw invalidValue('version', version, 'expected a version usable in an S3 key: letters, digits, . + _ -, at most 64 characters, e.g. 0.1.0');
  }

  const sources = listFiles(sourceDir);
  const entryDirRel = options.entryPointsDir ?? 'entrypoints';
  const entryPoints = findEntryPoints(sourceDir, entryDirRel, sources);
  const python = options.dependencies?.python ?? buildPython();
  const imports = options.scanImports ?? true ? thirdPartyImports(sourceDir, python) : undefined;

  const outDir = prepareOutDir(options.outDir, sourceDir);
  const dependencyArchives = buildDependencies(options.dependencies, sourceDir, outDir, python);
  const contentHash = hashSources(sources.map(rel => ({ rel, data: fs.readFileSync(path.join(sourceDir, rel)) })), dependencyArchives);
  const zipName = `${packageName}.zip`;
  const zip = writeZip(sources.map(rel => ({ path: `${packageName}/${rel}`, data: fs.readFileSync(path.join(sourceDir, rel)) })), ZipCompression.DEFLATE);
  const written: Array<{ path: string; data: Buffer }> = [{ path: zipName, data: zip }];
  const entryPointPaths: { [name: string]: string } = {};
  for (const [name, rel] of Object.entries(entryPoints)) {
    const target = `entrypoints/${name}.py`;
    entryPointPaths[name] = target;
    written.push({ path: target, data: fs.readFileSync(path.join(sourceDir, rel)) });
  }
  for (const file of written) {
    fs.mkdirSync(path.dirname(path.join(outDir, file.path)), { recursive: true });
    fs.writeFileSync(path.join(outDir, file.path), file.data);
  }
  const files = written
    .map(f => ({ path: f.path, sha256: sha256(f.data), size: f.data.length }))
    .concat(dependencyArchives.map(a => ({ path: a.path, sha256: a.sha256, size: a.size })))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const keyPrefix = `${packageName}/${version}/${contentHash}`;
  const manifest = {
    format: ARTIFACT_MANIFEST_FORMAT,
    package: packageName,
    version,
    contentHash,
    keyPrefix,
    entryPoints: entryPointPaths,
    pyFiles: [zipName],
    files,
    ...(imports ? { imports } : {}),
    dependencies: dependencyArchives,
    sources: sources.map(rel => {
      const data = fs.readFileSync(path.join(sourceDir, rel));
      return { path: `${packageName}/${rel}`, sha256: sha256(data), size: data.length };
    }),
  };
  const manifestPath = path.join(outDir, ARTIFACT_MANIFEST_NAME);
  fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  return {
    packageName,
    version,
    contentHash,
    files,
    manifestPath,
    outDir,
    keyPrefix,
    entryPoints: entryPointPaths,
    pyFiles: [zipName],
    dependencyArchives,
    imports,
  };
}

const DEPENDENCIES_DIR = 'dependencies';

function buildDependencies(deps: JobDependencies | undefined, sourceDir: string, outDir: string, python: string): ArtifactDependencyArchive[] {
  if (deps === undefined) return [];
  if (!Array.isArray(deps.targets) || deps.targets.length === 0) {
    throw invalidValue('dependencies.targets', deps.targets, 'expected at least one runtime to build a dependency archive for');
  }
  const projectDir = deps.projectDir ?? findProjectDir(sourceDir);
  const seen = new Set<string>();
  return deps.targets.map((t, i) => {
    const requirements = t.requirements ?? projectRequirements(projectDir, t.sparkLine, python);
    const built: BuiltDependencyArchive = buildDependencyArchive({
      target: t.target,
      requirements,
      outDir: path.join(outDir, DEPENDENCIES_DIR),
      findLinks: deps.findLinks,
      noIndex: deps.noIndex,
      indexUrl: deps.indexUrl,
      python,
      cacheDir: deps.cacheDir,
    });
    const rel = `${DEPENDENCIES_DIR}/${built.fileName}`;
    if (seen.has(rel)) throw invalidValue(`dependencies.targets[${i}]`, t.target, 'the same runtime is listed twice');
    seen.add(rel);
    return {
      path: rel,
      sha256: built.sha256,
      size: built.size,
      target: built.target,
      requirements: built.requirements,
      wheels: built.wheels,
      topLevel: built.topLevel,
    };
  });
}

/** The nearest directory at or above `dir` holding a pyproject.toml or a requirements.txt. */
function findProjectDir(dir: string): string {
  let current = path.resolve(dir);
  for (;;) {
    if (fs.existsSync(path.join(current, 'pyproject.toml')) || fs.existsSync(path.join(current, 'requirements.txt'))) return current;
    const parent = path.dirname(current);
    if (parent === current) {
      throw invalidValue('dependencies.projectDir', dir, 'no pyproject.toml or requirements.txt above the source directory; pass projectDir or requirements');
    }
    current = parent;
  }
}

/** Reads `[project] version` from the nearest pyproject.toml at or above `dir`. */
export function readPyprojectVersion(dir: string): string {
  let current = path.resolve(dir);
  for (;;) {
    const candidate = path.join(current, 'pyproject.toml');
    if (fs.existsSync(candidate)) {
      const version = projectVersion(fs.readFileSync(candidate, 'utf8'));
      if (version === undefined) {
        throw invalidValue('version', candidate, 'no static `version = "..."` in its [project] table; pass `version` explicitly');
      }
      return version;
    }
    const parent = path.dirname(current);
    if (parent === current) {
      throw invalidValue('version', dir, 'no pyproject.toml above the source directory; pass `version` explicitly');
    }
    current = parent;
  }
}

function projectVersion(toml: string): string | undefined {
  let inProject = false;
  for (const raw of toml.split(/\r?\n/)) {
    const line = raw.trim();
    const table = /^\[([^\]]+)\]$/.exec(line);
    if (table) {
      inProject = table[1].trim() === 'project';
      continue;
    }
    const m = inProject ? /^version\s*=\s*["']([^"']+)["']/.exec(line) : null;
    if (m) return m[1];
  }
  return undefined;
}

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const dir = path.join(root, rel);
    for (const name of fs.readdirSync(dir)) {
      if (name.startsWith('.')) continue;
      const childRel = rel ? `${rel}/${name}` : name;
      const stat = fs.statSync(path.join(dir, name));
      if (stat.isDirectory()) {
        if (!SKIPPED_DIRS.has(name)) walk(childRel);
      } else if (stat.isFile() && !SKIPPED_FILE.test(name)) {
        out.push(childRel);
      }
    }
  };
  walk('');
  return out.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function findEntryPoints(sourceDir: string, entryDirRel: string, sources: string[]): { [name: string]: string } {
  if (!fs.existsSync(path.join(sourceDir, entryDirRel))) {
    throw invalidValue('entryPointsDir', entryDirRel, `expected a directory of entry-point scripts inside ${sourceDir}`);
  }
  const prefix = entryDirRel.replace(/\/+$/, '') + '/';
  const found: { [name: string]: string } = {};
  for (const rel of sources) {
    const rest = rel.startsWith(prefix) ? rel.slice(prefix.length) : undefined;
    // Scripts directly in the folder; `__init__.py` and `_private.py` are modules, not entry points.
    if (rest && !rest.includes('/') && rest.endsWith('.py') && !rest.startsWith('_')) {
      found[rest.slice(0, -3)] = rel;
    }
  }
  return found;
}

function hashSources(files: Array<{ rel: string; data: Buffer }>, archives: ArtifactDependencyArchive[]): string {
  const h = crypto.createHash('sha256');
  h.update(`${ARTIFACT_MANIFEST_FORMAT}\n`);
  for (const f of files) h.update(`${f.rel}\0${sha256(f.data)}\n`);
  // Other dependencies, other key: the archive is part of what a version means.
  for (const a of archives) h.update(`${a.path}\0${a.sha256}\n`);
  return h.digest('hex').slice(0, 16);
}

function sha256(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

function prepareOutDir(outDir: string, sourceDir: string): string {
  const resolved = path.resolve(outDir);
  if (resolved === sourceDir || sourceDir.startsWith(resolved + path.sep) || resolved.startsWith(sourceDir + path.sep)) {
    throw invalidValue('outDir', outDir, 'must not contain or be inside the source directory');
  }
  if (fs.existsSync(resolved)) {
    const entries = fs.readdirSync(resolved);
    if (entries.length > 0) {
      const manifest = path.join(resolved, ARTIFACT_MANIFEST_NAME);
      const isArtifact = fs.existsSync(manifest) && fs.readFileSync(manifest, 'utf8').includes(`"${ARTIFACT_MANIFEST_FORMAT}"`);
      if (!isArtifact) {
        throw invalidValue('outDir', outDir, 'expected a missing or empty directory, or one holding an earlier artifact (with its manifest.json)');
      }
      fs.rmSync(resolved, { recursive: true, force: true });
    }
  }
  fs.mkdirSync(resolved, { recursive: true });
  return resolved;
}
