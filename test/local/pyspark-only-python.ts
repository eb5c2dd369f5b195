import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LocalSparkEnvironment } from '../../src/local/local-environment';

/**
 * A fresh venv in `dir` whose only third-party packages are pyspark and py4j (linked from the project venv):
 * what a plain Spark runtime offers. Nothing else of the project venv is on its path. Returns its python.
 */
export function pysparkOnlyPython(full: LocalSparkEnvironment, dir: string): string {
  execFileSync(full.python, ['-m', 'venv', '--without-pip', path.join(dir, 'venv')]);
  const python = path.join(dir, 'venv', 'bin', 'python');
  const sitePackages = execFileSync(python, ['-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'], { encoding: 'utf8' }).trim();
  const fullSite = path.dirname(path.dirname(execFileSync(full.python, ['-c', 'import pyspark; print(pyspark.__file__)'], { encoding: 'utf8' }).trim()));
  const linked = path.join(dir, 'spark-only');
  fs.mkdirSync(linked);
  for (const pkg of ['pyspark', 'py4j']) fs.symlinkSync(path.join(fullSite, pkg), path.join(linked, pkg));
  fs.writeFileSync(path.join(sitePackages, 'spark-only.pth'), `${linked}\n`);
  return python;
}

/** Whether `python` can import `module`. */
export function canImport(python: string, module: string): boolean {
  try {
    execFileSync(python, ['-c', `import ${module}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
