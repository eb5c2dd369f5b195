import * as fs from 'fs';
import * as path from 'path';
import { archiveLoadsLocally, localPythonTarget } from './local-dependencies';
import { LocalSparkEnvironment, s3aJars } from './local-environment';
import { LocalInvocation } from './local-runner';
import { LocalSparkDefaults } from './local-spark-defaults';
import { tableFormatJars } from './table-jars';
import { describePythonTarget, PythonTarget } from '../artifacts/python-target';
import { invalidValue } from '../config/errors';
import { SparkConfiguration } from '../config/spark-configuration';
import { DeploymentTarget, StorageKind, SparkTuningProps } from '../config/types';

/** Where a local run takes the job code from. */
export interface LocalJobCode {
  /** The entry-point script. */
  readonly entryPoint: string;
  /** `--py-files` archives (empty when the venv has the package installed). */
  readonly pyFiles: string[];
  /** Third-party modules the code imports, when the artifact's manifest lists them. */
  readonly requiredImports?: string[];
  /** The artifact's dependency archives (absolute paths) with their targets. */
  readonly dependencyArchives: Array<{ path: string; target: PythonTarget }>;
}

/**
 * Resolves an entry point by name: in a built artifact directory (its `manifest.json` lists entry points
 * and `--py-files`), or else in the package's `entrypoints/` folder of the checkout.
 */
export function resolveLocalCode(env: LocalSparkEnvironment, entryPoint: string, artifactDir?: string): LocalJobCode {
  if (artifactDir !== undefined) {
    const manifestPath = path.join(artifactDir, 'manifest.json');
    if (!fs.existsSync(manifestPath)) {
      throw invalidValue('artifact', artifactDir, 'expected a directory written by buildJobArtifact (with manifest.json)');
    }
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    const entryPoints: { [name: string]: string } = manifest.entryPoints ?? {};
    const rel = entryPoints[entryPoint];
    if (rel === undefined) {
      throw invalidValue('entryPoint', entryPoint, `expected one of the artifact's entry points: ${Object.keys(entryPoints).join(', ') || '(none)'}`);
    }
    return {
      entryPoint: path.resolve(artifactDir, rel),
      pyFiles: (manifest.pyFiles ?? []).map((p: string) => path.resolve(artifactDir, p)),
      requiredImports: manifest.imports ? Object.keys(manifest.imports) : undefined,
      dependencyArchives: (manifest.dependencies ?? []).map((d: any) => ({ path: path.resolve(artifactDir, d.path), target: d.target })),
    };
  }
  const dir = path.join(env.repoRoot, 'jobs', 'src', 'spark_jobs', 'entrypoints');
  const known = fs.existsSync(dir)
    ? fs.readdirSync(dir).filter(f => f.endsWith('.py') && !f.startsWith('_')).map(f => f.slice(0, -3)).sort()
    : [];
  if (!known.includes(entryPoint)) {
    throw invalidValue('entryPoint', entryPoint, `expected one of the entry points in ${dir}: ${known.join(', ') || '(none yet)'}`);
  }
  return { entryPoint: path.join(dir, `${entryPoint}.py`), pyFiles: [], dependencyArchives: [] };
}

/** What `localJob` needs. */
export interface LocalJobOptions {
  readonly env: LocalSparkEnvironment;
  /** The entry point's name (`features`). */
  readonly entryPoint: string;
  readonly arguments: string[];
  /** A built artifact directory; default: the checkout's package. */
  readonly artifactDir?: string;
  /** The tuning, as a target would render it; `release` defaults to the local Spark version on Kubernetes. */
  readonly tuning: Omit<SparkTuningProps, 'storage' | 'includeConnectorPackages'>;
  /** An S3-compatible endpoint (a local S3 server): S3A with the local jars; default: local files only. */
  readonly endpoint?: string;
  readonly master?: string;
  readonly maxDriverMemoryMiB?: number;
  readonly environment?: { [name: string]: string };
  readonly stdio?: 'inherit' | 'pipe';
  /**
   * Run with the artifact's dependency archive built for this interpreter (Python version, CPU, glibc),
   * as the cluster would, instead of what the venv has installed. Needs `artifactDir`.
   * @default false
   */
  readonly useDependencyArchive?: boolean;
}

/** The configuration a local run of an entry point uses, and the invocation itself. */
export function localJob(options: LocalJobOptions): { config: SparkConfiguration; defaults: LocalSparkDefaults; invocation: LocalInvocation } {
  const { env } = options;
  const code = resolveLocalCode(env, options.entryPoint, options.artifactDir);
  const dependencyArchive = options.useDependencyArchive ? localArchive(env, code, options.artifactDir) : undefined;
  const release = options.tuning.release ?? (options.tuning.target === DeploymentTarget.KUBERNETES ? env.sparkVersion : undefined);
  const storage = options.endpoint !== undefined
    ? { kind: StorageKind.S3_COMPATIBLE, endpoint: options.endpoint }
    : { kind: StorageKind.LOCAL };
  const config = SparkConfiguration.tune({ ...options.tuning, release, storage });
  const defaults = LocalSparkDefaults.fromConfiguration(config, {
    master: options.master,
    maxDriverMemoryMiB: options.maxDriverMemoryMiB,
    storage,
    sparkVersion: env.sparkVersion,
    jars: options.endpoint !== undefined ? s3aJars(env) : undefined,
    // The format's pinned jars for this Spark line, in place of the ones the target renders (its image's or EMR's).
    tableJars: options.tuning.tableFormat ? tableFormatJars(env, options.tuning.tableFormat.format) : undefined,
  });
  return {
    config,
    defaults,
    invocation: {
      env,
      entryPoint: code.entryPoint,
      pyFiles: code.pyFiles,
      arguments: options.arguments,
      defaults,
      environment: options.environment,
      stdio: options.stdio,
      dependencyArchive,
      requiredImports: code.requiredImports,
    },
  };
}

function localArchive(env: LocalSparkEnvironment, code: LocalJobCode, artifactDir: string | undefined): string {
  if (artifactDir === undefined) {
    throw invalidValue('useDependencyArchive', true, 'needs artifactDir: a built artifact with dependency archives');
  }
  const local = localPythonTarget(env.python);
  const archive = code.dependencyArchives.find(a => archiveLoadsLocally(a.target, local));
  if (archive === undefined) {
    throw invalidValue('useDependencyArchive', true, code.dependencyArchives.length === 0
      ? `the artifact in ${artifactDir} has no dependency archive; build it with dependencies for ${describePythonTarget(local)}`
      : `the artifact's archives are for ${code.dependencyArchives.map(a => describePythonTarget(a.target)).join(' and ')}, but ${env.python} is ${describePythonTarget(local)}`);
  }
  return archive.path;
}
