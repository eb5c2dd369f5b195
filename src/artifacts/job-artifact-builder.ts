import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
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
  /** First 16 hex digits of the SHA-256 over every source file (path and bytes): same code, same hash. */
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
 * `<package>.zip`, `entrypoints/<name>.py`, `manifest.json`.
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
  const contentHash = hashSources(sources.map(rel => ({ rel, data: fs.readFileSync(path.join(sourceDir, rel)) })));
  const entryDirRel = options.entryPointsDir ?? 'entrypoints';
  const entryPoints = findEntryPoints(sourceDir, entryDirRel, sources);

  const outDir = prepareOutDir(options.outDir, sourceDir);
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
    sources: sources.map(rel => {
      const data = fs.readFileSync(path.join(sourceDir, rel));
      return { path: `${packageName}/${rel}`, sha256: sha256(data), size: data.length };
    }),
  };
  const manifestPath = path.join(outDir, ARTIFACT_MANIFEST_NAME);
  fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  return { packageName, version, contentHash, files, manifestPath, outDir, keyPrefix, entryPoints: entryPointPaths, pyFiles: [zipName] };
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

function hashSources(files: Array<{ rel: string; data: Buffer }>): string {
  const h = crypto.createHash('sha256');
  h.update(`${ARTIFACT_MANIFEST_FORMAT}\n`);
  for (const f of files) h.update(`${f.rel}\0${sha256(f.data)}\n`);
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
