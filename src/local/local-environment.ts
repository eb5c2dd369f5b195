import * as fs from 'fs';
import * as path from 'path';
import { invalidValue } from '../config/errors';

/** The Spark lines the project keeps a venv for. */
export const LOCAL_SPARK_LINES = ['3.5', '4.0'] as const;

/** One Spark line's local installation: the venv's pyspark and the fetched S3A jars. */
export interface LocalSparkEnvironment {
  /** The repository root (holds `jobs/` and `.tools/`). */
  readonly repoRoot: string;
  /** `3.5` or `4.0`. */
  readonly sparkLine: string;
  /** The pyspark version of the venv, e.g. `3.5.9`. */
  readonly sparkVersion: string;
  /** The venv directory. */
  readonly venvDir: string;
  /** The venv's python (driver and workers). */
  readonly python: string;
  /** The venv's spark-submit. */
  readonly sparkSubmit: string;
  /** Where `scripts/fetch-s3a-jars.sh` puts this line's jars. */
  readonly jarsDir: string;
}

/** The repository root: the nearest directory above `from` holding `jobs/pyproject.toml`. */
export function findRepoRoot(from: string = __dirname): string {
  const fromEnv = process.env.SPARK_DEPLOY_ROOT;
  if (fromEnv) return path.resolve(fromEnv);
  let current = path.resolve(from);
  for (;;) {
    if (fs.existsSync(path.join(current, 'jobs', 'pyproject.toml'))) return current;
    const parent = path.dirname(current);
    if (parent === current) {
      throw invalidValue('repoRoot', from, 'no directory above it holds jobs/pyproject.toml; set SPARK_DEPLOY_ROOT to the spark-deploy checkout');
    }
    current = parent;
  }
}

/** The local Spark installation of a line; fails, saying how to create it, when the venv is missing. */
export function localSparkEnvironment(sparkLine: string, repoRoot: string = findRepoRoot()): LocalSparkEnvironment {
  if (!(LOCAL_SPARK_LINES as readonly string[]).includes(sparkLine)) {
    throw invalidValue('sparkLine', sparkLine, `expected one of ${LOCAL_SPARK_LINES.join(', ')}`);
  }
  const venvDir = path.join(repoRoot, 'jobs', sparkLine === '4.0' ? '.venv' : `.venv-spark${sparkLine}`);
  const python = path.join(venvDir, 'bin', 'python');
  const sparkSubmit = path.join(venvDir, 'bin', 'spark-submit');
  if (!fs.existsSync(python) || !fs.existsSync(sparkSubmit)) {
    throw invalidValue('sparkLine', sparkLine,
      `no venv with pyspark at ${venvDir}; create it with: SPARK_LINE=${sparkLine} bash jobs/scripts/setup-venv.sh`);
  }
  return {
    repoRoot,
    sparkLine,
    sparkVersion: pysparkVersion(venvDir),
    venvDir,
    python,
    sparkSubmit,
    jarsDir: path.join(process.env.S3A_JARS_DIR ?? path.join(repoRoot, '.tools', 'jars'), sparkLine),
  };
}

/** The S3A jars of the line (hadoop-aws, the AWS SDK bundle, spark-hadoop-cloud); fails when any is missing. */
export function s3aJars(env: LocalSparkEnvironment): string[] {
  const present = fs.existsSync(env.jarsDir) ? fs.readdirSync(env.jarsDir).filter(f => f.endsWith('.jar')).sort() : [];
  const needed: Array<[string, RegExp]> = [
    ['hadoop-aws', /^hadoop-aws-[\d.]+\.jar$/],
    ['the AWS SDK bundle', /^(aws-java-sdk-bundle|bundle)-[\d.]+\.jar$/],
    ['spark-hadoop-cloud', /^spark-hadoop-cloud_[\d.]+-[\d.]+\.jar$/],
  ];
  const missing = needed.filter(([, pattern]) => !present.some(f => pattern.test(f))).map(([name]) => name);
  if (missing.length > 0) {
    throw invalidValue('jars', env.jarsDir,
      `missing ${missing.join(', ')} for Spark ${env.sparkLine}; fetch them once with: bash scripts/fetch-s3a-jars.sh ${env.sparkLine}`);
  }
  return present.map(f => path.join(env.jarsDir, f));
}

/** The Spark line of a Spark version (`3.5.6` → `3.5`). */
export function sparkLineOf(sparkVersion: string): string {
  return sparkVersion.split('.').slice(0, 2).join('.');
}

function pysparkVersion(venvDir: string): string {
  const lib = path.join(venvDir, 'lib');
  for (const py of fs.existsSync(lib) ? fs.readdirSync(lib) : []) {
    const file = path.join(lib, py, 'site-packages', 'pyspark', 'version.py');
    if (fs.existsSync(file)) {
      const m = /__version__[^=]*=\s*["']([^"']+)["']/.exec(fs.readFileSync(file, 'utf8'));
      if (m) return m[1];
    }
  }
  throw invalidValue('venv', venvDir, 'pyspark is not installed in it; rerun jobs/scripts/setup-venv.sh');
}
