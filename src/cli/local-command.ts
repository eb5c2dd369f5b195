import * as fs from 'fs';
import * as path from 'path';
import { CliIo, ExitCode, choiceFlag, flag, numberFlag, parseArgs, UsageError } from './args';
import { DeploymentTarget } from '../config';
import { TableFormat, TableFormatOptions } from '../config/table-formats';
import { LOCAL_SPARK_LINES, localSparkEnvironment } from '../local/local-environment';
import { localJob } from '../local/local-job';
import { sparkSubmitCommand, startLocalRun } from '../local/local-runner';
import { tableFormatOfArguments } from '../local/table-jars';

export const LOCAL_USAGE = `Usage: spark-deploy local run <entry-point> [flags] [-- <job arguments>]

Runs one of the job package's entry points (features, validation, metrics, ...) on local Spark
with the configuration the targets render: spark-defaults.conf in a temporary SPARK_CONF_DIR,
master local[*], a local-mode-safe driver heap.

Flags:
  --spark-line 3.5|4.0        the venv to use (default: $SPARK_LINE, else 4.0)
  --artifact DIR              run a built artifact (manifest.json, --py-files); default: jobs/src/spark_jobs
  --dependency-archive        run with the artifact's dependency archive for this interpreter (unpacked as
                              ./deps on PYTHONPATH, as the targets ship it), not what the venv has installed
  --python PATH               the interpreter of the driver and workers (default: the venv's); e.g. one
                              with pyspark only, to prove the archive holds what the job imports
  --endpoint URL              an S3-compatible store (e.g. a local S3 server) for s3a:// and s3:// paths;
                              credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
  --master local[N]           default local[*]
  --max-driver-memory-mib N   cap on the driver heap (default 2048)
  --target emr-serverless|kubernetes  --worker-cpu N  --worker-memory-gb N  --release LABEL
  --input-gb N  --python-heavy  --conf key=value ...   the tuning (default: kubernetes, 2 vCPU, 8 GB)
  --table-format delta|iceberg  the table format's SQL extension, catalog and pinned jars (from
                              scripts/fetch-table-jars.sh), as the target renders them; for the table
                              entry point the default is the job's --format, else what a local --target holds
  --warehouse URI             Iceberg: a path catalog's warehouse (the catalog 'tables')
  --print-conf                print spark-defaults.conf and the command; run nothing
`;

/**
 * `--table-format` (with `--warehouse` for an Iceberg path catalog); for the `table` entry point without
 * it, the format its `--format` argument or local `--target` names, so its jars and settings are in place.
 */
function localTableFormat(args: ReturnType<typeof parseArgs>, entryPoint: string, jobArgs: string[]): TableFormatOptions | undefined {
  const warehouse = flag(args, 'warehouse');
  const format = choiceFlag(args, 'table-format', Object.values(TableFormat)) as TableFormat | undefined
    ?? (entryPoint === 'table' ? tableFormatOfArguments(jobArgs) : undefined);
  if (format === undefined) {
    if (warehouse !== undefined) throw new UsageError('--warehouse: needs an Iceberg table format (--table-format iceberg)');
    return undefined;
  }
  return warehouse === undefined ? { format } : { format, warehouse };
}

/** `spark-deploy local run <entry-point>`. */
export async function localCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout(LOCAL_USAGE);
    return sub ? ExitCode.OK : ExitCode.USAGE;
  }
  if (sub !== 'run') {
    io.stderr(`spark-deploy local: unknown subcommand '${sub}'; expected run\n`);
    return ExitCode.USAGE;
  }
  let prepared: ReturnType<typeof localJob>;
  let printOnly: boolean;
  try {
    const args = parseArgs(rest, {
      values: ['spark-line', 'artifact', 'python', 'endpoint', 'master', 'max-driver-memory-mib', 'target', 'worker-cpu',
        'worker-memory-gb', 'driver-cpu', 'driver-memory-gb', 'release', 'input-gb', 'conf', 'table-format', 'warehouse'],
      booleans: ['python-heavy', 'print-conf', 'dependency-archive', 'help'],
    });
    if (flag(args, 'help')) {
      io.stdout(LOCAL_USAGE);
      return ExitCode.OK;
    }
    const [entryPoint, ...jobArgs] = args.positionals;
    if (!entryPoint) throw new UsageError('local run: give the entry point to run, e.g. `spark-deploy local run features -- --help`');
    const sparkLine = choiceFlag(args, 'spark-line', LOCAL_SPARK_LINES) ?? process.env.SPARK_LINE ?? '4.0';
    const target = choiceFlag(args, 'target', Object.values(DeploymentTarget)) ?? DeploymentTarget.KUBERNETES;
    const driverCpu = numberFlag(args, 'driver-cpu');
    const driverMemoryGb = numberFlag(args, 'driver-memory-gb');
    if ((driverCpu === undefined) !== (driverMemoryGb === undefined)) {
      throw new UsageError('--driver-cpu and --driver-memory-gb: give both or neither');
    }
    const overrides: { [key: string]: string } = {};
    for (const pair of args.flags.get('conf') ?? []) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new UsageError(`--conf: '${pair}' is not key=value`);
      overrides[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    const tableFormat = localTableFormat(args, entryPoint, jobArgs);
    printOnly = flag(args, 'print-conf') === 'true';
    const venv = localSparkEnvironment(sparkLine);
    const python = flag(args, 'python');
    if (python !== undefined && !fs.existsSync(python)) throw new UsageError(`--python: '${python}' does not exist`);
    prepared = localJob({
      env: python === undefined ? venv : { ...venv, python: path.resolve(python) },
      useDependencyArchive: flag(args, 'dependency-archive') === 'true',
      entryPoint,
      arguments: jobArgs,
      artifactDir: flag(args, 'artifact'),
      endpoint: flag(args, 'endpoint'),
      master: flag(args, 'master'),
      maxDriverMemoryMiB: numberFlag(args, 'max-driver-memory-mib'),
      tuning: {
        target,
        release: flag(args, 'release'),
        executor: { cpu: numberFlag(args, 'worker-cpu') ?? 2, memoryGb: numberFlag(args, 'worker-memory-gb') ?? 8 },
        driver: driverCpu !== undefined ? { cpu: driverCpu, memoryGb: driverMemoryGb! } : undefined,
        inputSizeGb: numberFlag(args, 'input-gb'),
        pythonHeavy: flag(args, 'python-heavy') === 'true',
        tableFormat,
        overrides,
      },
      stdio: 'inherit',
    });
  } catch (err) {
    io.stderr(`spark-deploy local run: ${(err as Error).message.split('\n')[0]}\n`);
    return ExitCode.USAGE;
  }
  const { invocation, defaults, config } = prepared;
  const command = sparkSubmitCommand(invocation);
  if (printOnly) {
    io.stdout(defaults.toSparkDefaultsConf());
    io.stdout(`# command: SPARK_CONF_DIR=<dir with this file> ${command.join(' ')}\n`);
    return ExitCode.OK;
  }
  const changed = Object.keys(defaults.localChanges).length;
  io.stderr(`spark-deploy local: ${invocation.entryPoint} on Spark ${invocation.env.sparkVersion} ` +
    `(${defaults.properties['spark.master']}), ${Object.keys(config.properties()).length} rendered properties, ${changed} changed for the local run\n`);
  let run: ReturnType<typeof startLocalRun>;
  try {
    // Refuses, before spark-submit starts, a run whose interpreter cannot import what the job imports.
    run = startLocalRun(invocation);
  } catch (err) {
    io.stderr(`spark-deploy local run: ${(err as Error).message.split('\n')[0]}\n`);
    return ExitCode.USAGE;
  }
  const interrupt = () => run.kill('SIGTERM');
  process.once('SIGINT', interrupt);
  const result = await run.done;
  process.removeListener('SIGINT', interrupt);
  if (result.signal) {
    io.stderr(`spark-deploy local: the run ended by ${result.signal}\n`);
    return ExitCode.INTERRUPTED;
  }
  if (result.exitCode !== 0) {
    io.stderr(`spark-deploy local: the job failed with exit code ${result.exitCode}\n`);
    return ExitCode.JOB_FAILED;
  }
  return ExitCode.OK;
}
