import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkLocalImports, unpackDependencyArchive } from './local-dependencies';
import { LocalSparkEnvironment } from './local-environment';
import { LocalSparkDefaults } from './local-spark-defaults';
import { DEPENDENCY_PYTHONPATH } from '../artifacts/runtime-dependencies';
import { invalidValue } from '../config/errors';

/** One local spark-submit: the entry point, its arguments and the rendered configuration. */
export interface LocalInvocation {
  /** The local Spark installation. */
  readonly env: LocalSparkEnvironment;
  /** The entry-point script (a local path). */
  readonly entryPoint: string;
  /** Arguments to the entry point. */
  readonly arguments: string[];
  /** `--py-files` (local paths). */
  readonly pyFiles?: string[];
  /** The configuration, written to `spark-defaults.conf` in a fresh `SPARK_CONF_DIR`. */
  readonly defaults: LocalSparkDefaults;
  /** Extra environment variables (credentials of a local S3 server, for example). */
  readonly environment?: { [name: string]: string };
  /** 'inherit' streams the job's output to this process; 'pipe' collects it. Default 'pipe'. */
  readonly stdio?: 'inherit' | 'pipe';
  /** Keep the temporary `SPARK_CONF_DIR` after the run (to inspect it). Default false. */
  readonly keepConfDir?: boolean;
  /**
   * A dependency archive (local zip) to run with, as a cluster would: unpacked as `./deps` in the run's
   * working directory, with `PYTHONPATH=./deps` for the driver and the executors. Default: none.
   */
  readonly dependencyArchive?: string;
  /**
   * Third-party modules the job imports: checked importable (with the archive, when given) before Spark
   * starts, so a missing one fails at once with its name. Default: not checked.
   */
  readonly requiredImports?: string[];
}

/** How a local run ended. */
export interface LocalRunResult {
  /** The exit code, or null when a signal ended it. */
  readonly exitCode: number | null;
  /** The signal that ended it, if any. */
  readonly signal: NodeJS.Signals | null;
  /** Collected stdout ('pipe' only). */
  readonly stdout: string;
  /** Collected stderr ('pipe' only). */
  readonly stderr: string;
  /** The `SPARK_CONF_DIR` used. */
  readonly confDir: string;
  /** The command line run. */
  readonly command: string[];
}

/** A started local run. */
export interface LocalRun {
  /** The spark-submit process; it leads its own process group (JVM and Python driver included). */
  readonly process: ChildProcess;
  /** The `SPARK_CONF_DIR` written for it. */
  readonly confDir: string;
  /** Resolves when the run ends (never rejects for a failing job: look at `exitCode`). */
  readonly done: Promise<LocalRunResult>;
  /** Sends a signal to the whole process group (spark-submit, the JVM, the Python driver and workers). */
  kill(signal?: NodeJS.Signals): void;
}

// Driver logs at WARN: the job's own progress stays readable.
const LOG4J2 = `rootLogger.level = warn
rootLogger.appenderRef.stdout.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n%ex
logger.parquet.name = org.apache.parquet
logger.parquet.level = error
logger.s3aCommit.name = org.apache.hadoop.fs.s3a.commit
logger.s3aCommit.level = error
logger.metrics.name = org.apache.hadoop.metrics2
logger.metrics.level = error
`;

/** The spark-submit command line of an invocation (without the environment). */
export function sparkSubmitCommand(inv: LocalInvocation): string[] {
  const args = [inv.env.sparkSubmit];
  if (inv.pyFiles && inv.pyFiles.length > 0) args.push('--py-files', inv.pyFiles.join(','));
  // Local mode runs the Python workers in the driver's working directory, where the archive is unpacked
  // (spark.archives would unpack a second copy under SparkFiles' root, which local workers never see).
  if (inv.dependencyArchive) args.push('--conf', `spark.executorEnv.PYTHONPATH=${DEPENDENCY_PYTHONPATH}`);
  return [...args, inv.entryPoint, ...inv.arguments];
}

/** Writes a fresh `SPARK_CONF_DIR` (spark-defaults.conf, log4j2.properties) for an invocation. */
export function writeConfDir(defaults: LocalSparkDefaults, dir?: string): string {
  const confDir = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'spark-deploy-conf-'));
  fs.mkdirSync(confDir, { recursive: true });
  fs.writeFileSync(path.join(confDir, 'spark-defaults.conf'), defaults.toSparkDefaultsConf());
  fs.writeFileSync(path.join(confDir, 'log4j2.properties'), LOG4J2);
  return confDir;
}

/**
 * Starts spark-submit of the venv with the rendered configuration in a temporary `SPARK_CONF_DIR`:
 * spark-submit reads `spark.driver.memory` and `spark.jars` from it before the JVM starts, which is
 * why local runs go through spark-submit and not `python script.py`.
 */
export function startLocalRun(inv: LocalInvocation): LocalRun {
  if (!fs.existsSync(inv.entryPoint)) {
    throw invalidValue('entryPoint', inv.entryPoint, 'expected an existing entry-point script');
  }
  for (const file of inv.pyFiles ?? []) {
    if (!fs.existsSync(file)) throw invalidValue('pyFiles', file, 'expected existing files');
  }
  let runDir: string | undefined;
  if (inv.dependencyArchive) {
    runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spark-deploy-run-'));
    unpackDependencyArchive(inv.env.python, inv.dependencyArchive, runDir);
  }
  try {
    if (inv.requiredImports) {
      checkLocalImports(inv.env.python, inv.requiredImports, runDir ? path.join(runDir, 'deps') : undefined,
        'build the artifact with `dependencies` for this interpreter and run with its dependency archive, or install them');
    }
  } catch (e) {
    if (runDir) fs.rmSync(runDir, { recursive: true, force: true });
    throw e;
  }
  const confDir = writeConfDir(inv.defaults);
  const command = sparkSubmitCommand(inv);
  const stdio = inv.stdio ?? 'pipe';
  const child = spawn(command[0], command.slice(1), {
    detached: true,
    cwd: runDir,
    stdio: stdio === 'inherit' ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...(inv.environment ?? {}),
      SPARK_CONF_DIR: confDir,
      PYSPARK_PYTHON: inv.env.python,
      PYSPARK_DRIVER_PYTHON: inv.env.python,
      PATH: `${path.dirname(inv.env.python)}${path.delimiter}${process.env.PATH ?? ''}`,
      VIRTUAL_ENV: inv.env.venvDir,
      ...(runDir ? { PYTHONPATH: DEPENDENCY_PYTHONPATH } : {}),
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<LocalRunResult>(resolve => {
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null) => {
      if (!inv.keepConfDir) fs.rmSync(confDir, { recursive: true, force: true });
      if (runDir) fs.rmSync(runDir, { recursive: true, force: true });
      resolve({ exitCode, signal, stdout, stderr, confDir, command });
    };
    child.on('error', err => {
      stderr += `${err.message}\n`;
      finish(127, null);
    });
    child.on('close', finish);
  });
  const kill = (signal: NodeJS.Signals = 'SIGTERM') => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  };
  return { process: child, confDir, done, kill };
}

/** Runs an invocation to its end. */
export async function runLocal(inv: LocalInvocation): Promise<LocalRunResult> {
  return startLocalRun(inv).done;
}
