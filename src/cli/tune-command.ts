import { choiceFlag, CliIo, ExitCode, flag, numberFlag, parseArgs, UsageError } from './args';
import { tuneFromRunCommand, isFromRunInvocation } from './tune-from-run';
import { DeploymentTarget, SparkConfiguration, StorageKind, SparkTuningProps } from '../config';
import { IcebergCatalogKind, TableFormat, TableFormatOptions } from '../config/table-formats';

const FORMATS = ['table', 'json', 'conf', 'submit'] as const;

export const TUNE_USAGE = `Usage: spark-deploy tune --target emr-serverless|kubernetes --worker-cpu N --worker-memory-gb N
         [--release LABEL] [--driver-cpu N --driver-memory-gb N] [--input-gb N] [--python-heavy]
         [--storage s3|s3-compatible|local] [--endpoint URL] [--delta] [--max-executors N | --executor-instances N]
         [--table-format delta|iceberg [--iceberg-catalog path|glue] [--warehouse URI] [--table-jars-uri URI]]
         [--conf key=value ...] [--format table|json|conf|submit]

Prints the tuned Spark configuration. --format json prints { properties, reasons, ... };
conf prints a spark-defaults.conf; submit prints EMR Serverless sparkSubmitParameters.
From a finished run: spark-deploy tune --from-run SOURCE --target ... (see spark-deploy tune --from-run --help).
`;

/** Builds tuning props from the `tune` flags (also used by `local run`). */
export function tuningPropsFromFlags(argv: string[]): { props: SparkTuningProps; format: typeof FORMATS[number] } {
  const args = parseArgs(argv, {
    values: ['target', 'release', 'worker-cpu', 'worker-memory-gb', 'driver-cpu', 'driver-memory-gb', 'input-gb',
      'storage', 'endpoint', 'region', 'max-executors', 'executor-instances', 'conf', 'format',
      'table-format', 'iceberg-catalog', 'warehouse', 'table-jars-uri'],
    booleans: ['python-heavy', 'delta', 'connector-packages', 'help'],
  });
  if (flag(args, 'help')) throw new UsageError(TUNE_USAGE);
  if (args.positionals.length > 0) throw new UsageError(`tune: unexpected argument '${args.positionals[0]}'`);
  const target = choiceFlag(args, 'target', Object.values(DeploymentTarget));
  if (!target) throw new UsageError(`--target: required; expected one of ${Object.values(DeploymentTarget).join(', ')}`);
  const cpu = numberFlag(args, 'worker-cpu');
  const memoryGb = numberFlag(args, 'worker-memory-gb');
  if (cpu === undefined) throw new UsageError('--worker-cpu: required (vCPU of an EMR Serverless worker or an executor pod)');
  if (memoryGb === undefined) throw new UsageError('--worker-memory-gb: required (memory of an EMR Serverless worker or an executor pod, GB)');
  const driverCpu = numberFlag(args, 'driver-cpu');
  const driverMemoryGb = numberFlag(args, 'driver-memory-gb');
  if ((driverCpu === undefined) !== (driverMemoryGb === undefined)) {
    throw new UsageError('--driver-cpu and --driver-memory-gb: give both or neither');
  }
  const storageKind = choiceFlag(args, 'storage', Object.values(StorageKind));
  const endpoint = flag(args, 'endpoint');
  const overrides: Record<string, string> = {};
  for (const pair of args.flags.get('conf') ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--conf: '${pair}' is not key=value`);
    overrides[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const props: SparkTuningProps = {
    target,
    release: flag(args, 'release'),
    executor: { cpu, memoryGb },
    driver: driverCpu !== undefined ? { cpu: driverCpu, memoryGb: driverMemoryGb! } : undefined,
    inputSizeGb: numberFlag(args, 'input-gb'),
    pythonHeavy: flag(args, 'python-heavy') === 'true',
    deltaLake: flag(args, 'delta') === 'true',
    tableFormat: tableFormatFromFlags(args),
    includeConnectorPackages: flag(args, 'connector-packages') === 'true',
    storage: storageKind || endpoint
      ? { kind: storageKind ?? StorageKind.S3_COMPATIBLE, endpoint, region: flag(args, 'region') }
      : undefined,
    maxExecutors: numberFlag(args, 'max-executors'),
    executorInstances: numberFlag(args, 'executor-instances'),
    overrides,
  };
  return { props, format: choiceFlag(args, 'format', FORMATS) ?? 'table' };
}

/** `--table-format delta|iceberg` and its Iceberg catalog flags (checked by the model when tuned). */
function tableFormatFromFlags(args: ReturnType<typeof parseArgs>): TableFormatOptions | undefined {
  const format = choiceFlag(args, 'table-format', Object.values(TableFormat));
  const catalog = choiceFlag(args, 'iceberg-catalog', Object.values(IcebergCatalogKind));
  const warehouse = flag(args, 'warehouse');
  const jarsUri = flag(args, 'table-jars-uri');
  if (!format) {
    if (catalog || warehouse || jarsUri) throw new UsageError('--iceberg-catalog, --warehouse, --table-jars-uri: need --table-format');
    return undefined;
  }
  return { format, icebergCatalog: catalog, warehouse, jarsUri };
}

/** `spark-deploy tune`: prints the tuned configuration. */
export async function tuneCommand(argv: string[], io: CliIo): Promise<number> {
  if (isFromRunInvocation(argv)) return tuneFromRunCommand(argv, io);
  let parsed;
  let config: SparkConfiguration;
  try {
    parsed = tuningPropsFromFlags(argv);
    config = SparkConfiguration.tune(parsed.props);
  } catch (err) {
    if (err instanceof UsageError && err.message === TUNE_USAGE) {
      io.stdout(TUNE_USAGE);
      return ExitCode.OK;
    }
    io.stderr(`spark-deploy tune: ${(err as Error).message.split('\n')[0]}\n`);
    return ExitCode.USAGE;
  }
  switch (parsed.format) {
    case 'json':
      io.stdout(JSON.stringify(config.toJson(), null, 2) + '\n');
      break;
    case 'conf':
      io.stdout(config.toSparkDefaultsConf());
      break;
    case 'submit':
      io.stdout(config.toSparkSubmitParameters() + '\n');
      break;
    default:
      io.stdout(renderTable(config));
  }
  return ExitCode.OK;
}

function renderTable(config: SparkConfiguration): string {
  const entries = config.entries();
  const keyWidth = Math.max(...entries.map(e => e.key.length));
  const valueWidth = Math.min(40, Math.max(...entries.map(e => e.value.length)));
  const lines = [
    `Tuned for ${config.target}, ${config.release.label} (Spark ${config.release.sparkVersion})`,
    `executor: ${config.executor.cores} cores, heap ${config.executor.memory} + overhead ${config.executor.memoryOverhead} in ${config.executor.containerMiB} MiB (${config.executor.unusedMiB} MiB unused)`,
    `driver:   ${config.driver.cores} cores, heap ${config.driver.memory} + overhead ${config.driver.memoryOverhead} in ${config.driver.containerMiB} MiB (${config.driver.unusedMiB} MiB unused)`,
    '',
  ];
  for (const e of entries) {
    const value = e.value.length > valueWidth ? e.value.slice(0, valueWidth - 1) + '…' : e.value;
    lines.push(`${e.key.padEnd(keyWidth)}  ${value.padEnd(valueWidth)}  ${e.reason}`);
  }
  return lines.join('\n') + '\n';
}
