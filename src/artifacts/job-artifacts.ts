import { buildDependencyArchive, BuiltDependencyArchive, DependencyArchiveOptions } from './dependency-archive';
import { buildJobArtifact, BuildJobArtifactOptions, BuiltJobArtifact, defaultJobSourceDir, readPyprojectVersion } from './job-artifact-builder';
import type { JobCode, JobCodeDependencyArchive } from './job-code';
import { resolveRuntimeDependencies, RuntimePython } from './runtime-dependencies';

/**
 * Building and checking job code, as static methods for jsii languages (Python), which cannot call the free
 * functions TypeScript uses (`buildJobArtifact`, `buildDependencyArchive`, `resolveRuntimeDependencies`, ...).
 */
export class JobArtifacts {
  /**
   * Packages a PySpark package deterministically into `options.outDir` (`buildJobArtifact`): the package zip
   * for `--py-files`, the entry-point scripts, the dependency archives and a manifest with every file's SHA-256.
   */
  public static buildArtifact(options: BuildJobArtifactOptions): BuiltJobArtifact {
    return buildJobArtifact(options);
  }

  /**
   * Builds a dependency archive for one Python target from pinned requirements (`buildDependencyArchive`):
   * binary wheels only, each checked against the target, unpacked and zipped deterministically.
   */
  public static buildDependencyArchive(options: DependencyArchiveOptions): BuiltDependencyArchive {
    return buildDependencyArchive(options);
  }

  /**
   * The dependency archive of `code` that `runtime` uses, checked (`resolveRuntimeDependencies`): an archive for
   * another Python, or a third-party import nothing provides, is an error. Undefined when the code needs none.
   * @param field the field named in errors, e.g. `code`
   */
  public static runtimeDependencies(code: JobCode, runtime: RuntimePython, field: string = 'code'): JobCodeDependencyArchive | undefined {
    return resolveRuntimeDependencies(code, runtime, field);
  }

  /** The `spark_jobs` package shipped with this library (the default source of `buildArtifact`). */
  public static defaultSourceDir(): string {
    return defaultJobSourceDir();
  }

  /** `[project] version` of the nearest pyproject.toml at or above `dir`. */
  public static pyprojectVersion(dir: string): string {
    return readPyprojectVersion(dir);
  }

  private constructor() {}
}
