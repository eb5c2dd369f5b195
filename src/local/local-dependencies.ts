import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { PythonArchitecture, PythonTarget } from '../artifacts/python-target';
import { DEPENDENCY_ARCHIVE_LINK, SPARK_RUNTIME_MODULES } from '../artifacts/runtime-dependencies';
import { invalidValue } from '../config/errors';

/** The Python a local interpreter is, as a dependency target (its version, the machine, its glibc). */
export function localPythonTarget(python: string): PythonTarget {
  const out = execFileSync(python, ['-c', 'import json, platform, sys; print(json.dumps([f"{sys.version_info[0]}.{sys.version_info[1]}", platform.machine(), platform.libc_ver()]))'],
    { encoding: 'utf8' });
  const [pythonVersion, machine, [libc, libcVersion]] = JSON.parse(out);
  const architecture = machine === 'aarch64' || machine === 'arm64' ? PythonArchitecture.AARCH64 : machine === 'x86_64' ? PythonArchitecture.X86_64 : undefined;
  if (architecture === undefined || libc !== 'glibc') {
    throw invalidValue('python', python, `runs on ${machine} with ${libc || 'no'} libc; dependency archives are built for glibc Linux on x86_64 or aarch64`);
  }
  return { pythonVersion, architecture, glibc: String(libcVersion).split('.').slice(0, 2).join('.') };
}

/** Whether an archive built for `archive` loads in `local`: same CPython and CPU, a glibc at least as new. */
export function archiveLoadsLocally(archive: PythonTarget, local: PythonTarget): boolean {
  const minor = (v: string) => Number(v.split('.')[1]);
  return archive.pythonVersion === local.pythonVersion && archive.architecture === local.architecture && minor(archive.glibc) <= minor(local.glibc);
}

/**
 * Unpacks a dependency archive as `deps/` in a run directory, the layout Spark gives the driver and the
 * executors on a cluster (`spark.archives=<uri>#deps` in their working directory). Uses the interpreter's
 * own zipfile, so the local run reads exactly the bytes that are uploaded.
 */
export function unpackDependencyArchive(python: string, archive: string, runDir: string): string {
  if (!fs.existsSync(archive)) throw invalidValue('dependencyArchive', archive, 'expected an existing dependency archive (.zip)');
  const dest = path.join(runDir, DEPENDENCY_ARCHIVE_LINK);
  execFileSync(python, ['-m', 'zipfile', '-e', archive, dest], { stdio: ['ignore', 'ignore', 'pipe'] });
  return dest;
}

/**
 * Fails before Spark starts when the interpreter (with `pythonPath` in front) cannot import one of the
 * modules, naming the modules: a job that would die at import says so at once, not in a stage's traceback.
 */
export function checkLocalImports(python: string, modules: string[], pythonPath: string | undefined, hint: string): void {
  const wanted = modules.filter(m => !SPARK_RUNTIME_MODULES.includes(m));
  if (wanted.length === 0) return;
  const out = execFileSync(python, ['-c', 'import importlib.util, json, sys; print(json.dumps([m for m in sys.argv[1:] if importlib.util.find_spec(m) is None]))', ...wanted], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: pythonPath ?? '' },
    cwd: pythonPath ? path.dirname(pythonPath) : undefined,
  });
  const missing: string[] = JSON.parse(out);
  if (missing.length > 0) {
    throw invalidValue('dependencies', missing, `the job imports ${missing.join(', ')}, which ${python} cannot import${pythonPath ? ` even with the dependency archive (${pythonPath})` : ''}; ${hint}`);
  }
}
