import * as fs from 'fs';
import * as path from 'path';
import { LocalSparkEnvironment } from './local-environment';
import { invalidValue } from '../config/errors';
import { TABLE_FORMAT_PACKAGES, TableFormat, tableFormatOfProperties, tableFormatSupport } from '../config/table-formats';
import { DeploymentTarget } from '../config/types';

/** Where `scripts/fetch-table-jars.sh` puts a line's Delta and Iceberg jars. */
export function tableJarsDir(env: LocalSparkEnvironment): string {
  return path.join(process.env.TABLE_JARS_DIR ?? path.join(env.repoRoot, '.tools', 'table-jars'), env.sparkLine);
}

/** The fetched jars of `format` for the env's Spark line; fails, naming the fetch command, when any is missing. */
export function tableFormatJars(env: LocalSparkEnvironment, format: TableFormat): string[] {
  const pinned = TABLE_FORMAT_PACKAGES[env.sparkLine]?.[format];
  if (!pinned) throw invalidValue('sparkLine', env.sparkLine, `no pinned ${format} jars; expected one of ${Object.keys(TABLE_FORMAT_PACKAGES).join(', ')}`);
  const dir = tableJarsDir(env);
  const missing = pinned.filter(j => !fs.existsSync(path.join(dir, j.file)));
  if (missing.length > 0) {
    throw invalidValue('jars', dir, `missing ${missing.map(j => j.file).join(', ')}; fetch them once with: bash scripts/fetch-table-jars.sh ${env.sparkLine}`);
  }
  return pinned.map(j => path.join(dir, j.file));
}

/**
 * The Spark properties a local run of a `format` job needs besides its jars: what the model renders
 * for open-source Spark of the env's version (the same extension and catalog keys as on the Spark Operator).
 */
export function tableFormatLocalProperties(env: LocalSparkEnvironment, format: TableFormat): { [key: string]: string } {
  const support = tableFormatSupport({ format }, DeploymentTarget.KUBERNETES, {
    label: env.sparkVersion,
    sparkVersion: env.sparkVersion,
    sparkLine: env.sparkLine,
    scalaBinaryVersion: env.sparkLine === '3.5' ? '2.12' : '2.13',
    pythonVersions: [],
    javaVersion: 17,
    ansiByDefault: env.sparkLine !== '3.5',
  });
  // spark.jars comes from the local files instead (LocalSparkDefaults' `jars`).
  return Object.fromEntries(support.entries.filter(e => e.key !== 'spark.jars').map(e => [e.key, e.value]));
}

/**
 * The local jars for the table format a rendered configuration uses (read from its `spark.sql.extensions`),
 * for `LocalSparkDefaults`' `tableJars`; none when it uses no table format.
 */
export function tableJarsForProperties(env: LocalSparkEnvironment, properties: { [key: string]: string }): string[] {
  const format = tableFormatOfProperties(properties);
  return format === undefined ? [] : tableFormatJars(env, format);
}

/**
 * The table format of a local `table` run: `--format` among the job's arguments, else what a local
 * `--target` directory holds (a Delta log, Iceberg metadata); undefined for Parquet or when unknown.
 */
export function tableFormatOfArguments(args: string[]): TableFormat | undefined {
  const value = (name: string) => {
    const i = args.indexOf(name);
    if (i >= 0) return args[i + 1];
    const inline = args.find(a => a.startsWith(`${name}=`));
    return inline?.slice(name.length + 1);
  };
  const given = value('--format');
  if (given !== undefined) {
    if (given === 'parquet') return undefined;
    if (!Object.values(TableFormat).includes(given as TableFormat)) {
      throw invalidValue('--format', given, `expected one of ${[...Object.values(TableFormat), 'parquet'].join(', ')}`);
    }
    return given as TableFormat;
  }
  const target = value('--target') ?? value('--input');
  if (target === undefined) return undefined;
  const dir = target.startsWith('file://') ? target.slice('file://'.length) : target;
  if (dir.includes('://')) return undefined;
  if (fs.existsSync(path.join(dir, '_delta_log'))) return TableFormat.DELTA;
  if (fs.existsSync(path.join(dir, 'metadata'))) return TableFormat.ICEBERG;
  return undefined;
}
