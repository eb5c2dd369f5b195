import type { JobCode, JobCodeDependencyArchive } from './job-code';
import { describePythonTarget, PythonTarget, samePythonTarget } from './python-target';
import { invalidValue } from '../config/errors';

/** The Python a target runs a job with, and what it provides besides the standard library. */
export interface RuntimePython {
  /** Its Python. */
  readonly target: PythonTarget;
  /** Where the job runs, in words, for messages: `the EMR Serverless application (emr-7.12.0, ARM64)`. */
  readonly description: string;
  /**
   * Top-level modules the runtime documents as installed, besides Spark's own (`pyspark`, `py4j`).
   * @default - none
   */
  readonly providedModules?: string[];
}

/** Modules every Spark runtime provides: Spark's Python API and its JVM bridge. */
export const SPARK_RUNTIME_MODULES = ['pyspark', 'py4j'];

/**
 * The dependency archive a runtime uses, checked at synth time: an archive built for another Python,
 * architecture or glibc is an error naming both sides, and so is a third-party import of the code that
 * neither the runtime nor the archive provides (it would fail at import, after the run started and billed).
 * Returns undefined when the code needs no archive.
 */
export function resolveRuntimeDependencies(code: JobCode, runtime: RuntimePython, field: string): JobCodeDependencyArchive | undefined {
  const archives = code.dependencyArchives;
  const archive = archives.find(a => samePythonTarget(a.target, runtime.target));
  if (archives.length > 0 && archive === undefined) {
    throw invalidValue(`${field}.dependencyArchives`, archives.map(a => a.path),
      `the job's dependency archive is built for ${archives.map(a => describePythonTarget(a.target)).join(' and ')}, `
      + `but ${runtime.description} runs ${describePythonTarget(runtime.target)}; build the artifact's dependencies for that target`);
  }
  const provided = new Set([...SPARK_RUNTIME_MODULES, ...(runtime.providedModules ?? []), ...(archive?.topLevel ?? [])]);
  const missing = (code.requiredImports ?? []).filter(m => !provided.has(m));
  if (missing.length > 0) {
    const where = archive ? `nor its dependency archive ${archive.path}` : 'and the code has no dependency archive for it';
    throw invalidValue(`${field}.requiredImports`, missing,
      `the job's code imports ${missing.join(', ')}, which ${runtime.description} does not provide (it documents ${[...SPARK_RUNTIME_MODULES, ...(runtime.providedModules ?? [])].join(', ')}) ${where}; `
      + 'declare them in the project\'s dependencies and build the artifact with `dependencies`');
  }
  return archive;
}

/** The archive's fragment: Spark unpacks `<uri>#deps` as `./deps` beside the driver and every executor. */
export const DEPENDENCY_ARCHIVE_LINK = 'deps';

/** The Python path entry that makes an unpacked archive importable (relative to the container's working directory). */
export const DEPENDENCY_PYTHONPATH = `./${DEPENDENCY_ARCHIVE_LINK}`;
