import { invalidValue } from './errors';
import { SparkRelease } from './releases';
import { parseS3Uri } from './s3-paths';
import { ConfigEntry, DeploymentTarget, PropertyKind } from './types';
import { isUnresolved } from './unresolved';

/** A table format a job reads and writes. */
export enum TableFormat {
  /** Delta Lake: a transaction log next to the Parquet files (`_delta_log/`). */
  DELTA = 'delta',
  /** Apache Iceberg: metadata and manifest files, read natively by Athena and Glue. */
  ICEBERG = 'iceberg',
}

/** Where Iceberg keeps the pointer to a table's current metadata. */
export enum IcebergCatalogKind {
  /**
   * A Hadoop ("path") catalog: tables are directories `<warehouse>/<namespace>/<table>`, the pointer
   * is a file in them. Needs no service; one writer per table at a time on S3 (S3 has no atomic rename).
   */
  PATH = 'path',
  /** The AWS Glue Data Catalog (EMR Serverless only): atomic commits for concurrent writers, read by Athena. */
  GLUE = 'glue',
}

/** What a job's table format needs from the configuration. */
export interface TableFormatOptions {
  /** The format. */
  readonly format: TableFormat;
  /**
   * Iceberg only: the catalog.
   * @default IcebergCatalogKind.PATH
   */
  readonly icebergCatalog?: IcebergCatalogKind;
  /**
   * Iceberg only: the catalog's name in Spark SQL (`<name>.<database>.<table>`).
   * @default - 'glue' for the Glue catalog, 'tables' for a path catalog with a warehouse
   */
  readonly catalogName?: string;
  /**
   * Iceberg only: the catalog's warehouse URI (`s3://bucket/prefix`). Required for the Glue catalog;
   * for a path catalog it names a default catalog (the table job also addresses path tables directly).
   * @default - none (path tables only)
   */
  readonly warehouse?: string;
  /**
   * Iceberg with the Glue catalog only: the Glue databases the job's tables are in. The constructs grant
   * the job's runtime role `GLUE_CATALOG_ACTIONS` on this account's and region's catalog, these databases
   * and their tables, nothing wider (EMR Serverless jobs with the Glue catalog must name them).
   * @default - none named (an EMR Serverless job with the Glue catalog fails at synth without them)
   */
  readonly databases?: string[];
  /**
   * Spark Operator only: the URI prefix the table-format jars are read from, e.g. the versioned
   * artifact's `s3a://bucket/artifacts/<version>/jars/` (uploaded with it, checksummed), or a
   * `local:///` directory of the image that holds them.
   * @default - 'local:///opt/spark/table-jars/' (the jars are declared present in the image)
   */
  readonly jarsUri?: string;
}

/** One jar a table format needs on open-source Spark, with its pinned checksum. */
export interface TableFormatJar {
  /** Maven coordinates `group:artifact:version`. */
  readonly coordinates: string;
  /** The file name (`artifact-version.jar`). */
  readonly file: string;
  /** SHA-1 of the jar as Maven Central publishes it (scripts/fetch-table-jars.sh checks the same). */
  readonly sha1: string;
}

/** What one format needs on one target and release. */
export interface TableFormatSupport {
  /** The format. */
  readonly format: TableFormat;
  /** The format's version on that release (EMR: the bundled one, as the EMR release guide lists it). */
  readonly version: string;
  /** Where the version and jar locations come from. */
  readonly source: string;
  /** Whether every fact used was confirmed in the cited source (false: see `unconfirmed`). */
  readonly confirmed: boolean;
  /**
   * What could not be confirmed.
   * @default - nothing
   */
  readonly unconfirmed?: string;
  /** The Spark properties, each with its reason. */
  readonly entries: ConfigEntry[];
  /** The jars to ship with the artifact (Spark Operator; empty on EMR, which bundles them). */
  readonly jars: TableFormatJar[];
  /** Whether the job uses the Glue Data Catalog (the constructs grant its IAM actions). */
  readonly glueCatalog: boolean;
}

/** Open-source jars per Spark line (the same pins as scripts/fetch-table-jars.sh; a test checks it). */
export const TABLE_FORMAT_PACKAGES: Record<string, Record<TableFormat, TableFormatJar[]>> = {
  '3.5': {
    [TableFormat.DELTA]: [
      jar('io.delta:delta-spark_2.12:3.3.2', '07fff11b74e7284eec27fe106f31c95b3acc8018'),
      jar('io.delta:delta-storage:3.3.2', 'e24b01486ee7a26df8a2735eb186f4ee1821fc9e'),
    ],
    [TableFormat.ICEBERG]: [
      jar('org.apache.iceberg:iceberg-spark-runtime-3.5_2.12:1.10.1', '6e4f43ae82d2291fa38c7a8fc1a46fbf95e8190f'),
    ],
  },
  '4.0': {
    [TableFormat.DELTA]: [
      jar('io.delta:delta-spark_2.13:4.0.1', '3e469898dc4ed083c735ae360beb063adcd12e9d'),
      jar('io.delta:delta-storage:4.0.1', 'ebc5384d953c1d70d0ce4ceee42892da74051a81'),
    ],
    [TableFormat.ICEBERG]: [
      jar('org.apache.iceberg:iceberg-spark-runtime-4.0_2.13:1.10.1', 'aa296e2a410cac2270e4d4130de0e7bfde714e11'),
    ],
  },
};

// Bundled versions per EMR release label: [Delta, Iceberg]. Sources: the EMR release guide's
// Delta-release-history and Iceberg-release-history pages (7.14.0: its release page and the
// Iceberg history page), and the release page release-version-emr-spark-8.0.0 (Spark 4.0 with Iceberg 1.10.x, Delta 4.0.x).
const EMR_BUNDLED: Record<string, [delta: string, iceberg: string]> = {
  'emr-6.10.0': ['2.2.0', '1.1.0-amzn-0'],
  'emr-6.11.0': ['2.2.0', '1.2.0-amzn-0'],
  'emr-6.12.0': ['2.4.0', '1.3.0-amzn-0'],
  'emr-6.13.0': ['2.4.0', '1.3.0-amzn-1'],
  'emr-6.14.0': ['2.4.0', '1.3.1-amzn-0'],
  'emr-6.15.0': ['2.4.0', '1.4.0-amzn-0'],
  'emr-7.0.0': ['3.0.0', '1.4.2-amzn-0'],
  'emr-7.1.0': ['3.0.0', '1.4.3-amzn-0'],
  'emr-7.2.0': ['3.1.0', '1.5.0-amzn-0'],
  'emr-7.3.0': ['3.2.0-amzn-0', '1.5.2-amzn-0'],
  'emr-7.4.0': ['3.2.0-amzn-1', '1.6.1-amzn-0'],
  'emr-7.5.0': ['3.2.1-amzn-0', '1.6.1-amzn-1'],
  'emr-7.6.0': ['3.2.1-amzn-1', '1.6.1-amzn-2'],
  'emr-7.7.0': ['3.2.1-amzn-2', '1.7.1-amzn-0'],
  'emr-7.8.0': ['3.3.0-amzn-0', '1.7.1-amzn-1'],
  'emr-7.9.0': ['3.3.0-amzn-1', '1.7.1-amzn-2'],
  'emr-7.10.0': ['3.3.0-amzn-2', '1.8.1-amzn-0'],
  'emr-7.11.0': ['3.3.2-amzn-0', '1.9.1-amzn-0'],
  'emr-7.12.0': ['3.3.2-amzn-1', '1.10.0-amzn-0'],
  'emr-7.13.0': ['3.3.2-amzn-2', '1.10.0-amzn-1'],
  'emr-7.14.0': ['3.3.2-amzn-3', '1.10.1-amzn-1'],
  'emr-spark-8.0.0': ['4.0.0', '1.10.1'],
};
const EMR_SOURCE = 'EMR release guide: Delta-release-history, Iceberg-release-history, release-version-emr-spark-8.0.0; '
  + 'jar paths: EMR Serverless user guide, using-delta-lake and using-iceberg';

const DELTA_EXTENSION = 'io.delta.sql.DeltaSparkSessionExtension';
const DELTA_CATALOG = 'org.apache.spark.sql.delta.catalog.DeltaCatalog';
const ICEBERG_EXTENSION = 'org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions';
const ICEBERG_CATALOG = 'org.apache.iceberg.spark.SparkCatalog';
const DEFAULT_JARS_URI = 'local:///opt/spark/table-jars/';
const CATALOG_NAME = /^[a-z_][a-z0-9_]*$/;
const GLUE_DATABASE = /^[a-z0-9_]{1,255}$/;
// Where EMR keeps the bundled jars spark.jars names above (replaced by local files in local runs).
const EMR_TABLE_JAR_DIRS = ['/usr/share/aws/delta/lib/', '/usr/share/aws/iceberg/lib/'];

/** The Glue Data Catalog actions an Iceberg job needs (read and commit tables; create them on first merge). */
export const GLUE_CATALOG_ACTIONS: string[] = [
  'glue:GetDatabase',
  'glue:GetTable',
  'glue:GetTables',
  'glue:CreateTable',
  'glue:UpdateTable',
];

/** The Delta and Iceberg versions an EMR release bundles. */
export interface EmrBundledTableFormats {
  /** Delta Lake version, as the release guide lists it (e.g. `3.3.2-amzn-1`). */
  readonly delta: string;
  /** Apache Iceberg version, as the release guide lists it (e.g. `1.10.0-amzn-0`). */
  readonly iceberg: string;
}

/** The bundled Delta and Iceberg versions of an EMR release label (undefined when not in the catalog). */
export function emrBundledTableFormats(label: string): EmrBundledTableFormats | undefined {
  const found = EMR_BUNDLED[label];
  return found ? { delta: found[0], iceberg: found[1] } : undefined;
}

/**
 * What a table format needs for one target and release: the SQL extension, the catalog settings and
 * the jars (EMR's bundled ones on EMR Serverless; pinned, checksummed jars shipped with the artifact on
 * the Spark Operator). Unsupported combinations fail here, at synth, naming the field and what is allowed.
 */
export function tableFormatSupport(options: TableFormatOptions, target: DeploymentTarget, release: SparkRelease): TableFormatSupport {
  const format = options.format;
  if (!Object.values(TableFormat).includes(format)) {
    throw invalidValue('tableFormat.format', format, `expected one of ${Object.values(TableFormat).join(', ')}`);
  }
  const catalogKind = checkCatalog(options, target);
  const entries: ConfigEntry[] = [];
  const spark = (key: string, value: string, reason: string) => entries.push({ key, value, reason, kind: PropertyKind.SPARK });
  const isEmr = target === DeploymentTarget.EMR_SERVERLESS;
  let version: string;
  let source: string;
  let jars: TableFormatJar[] = [];

  if (isEmr) {
    const bundled = emrBundledTableFormats(release.label);
    if (!bundled) {
      throw invalidValue('release', release.label,
        `${format} tables need an EMR release whose bundled ${format} version is known: ${Object.keys(EMR_BUNDLED).join(', ')}`);
    }
    version = format === TableFormat.DELTA ? bundled.delta : bundled.iceberg;
    source = EMR_SOURCE;
    if (format === TableFormat.DELTA) {
      // EMR 7.0.0+ ships Delta 3, whose jar is delta-spark.jar (delta-core.jar before): EMR Serverless guide, using-delta-lake.
      const core = version.startsWith('2.') ? 'delta-core.jar' : 'delta-spark.jar';
      spark('spark.jars', `/usr/share/aws/delta/lib/${core},/usr/share/aws/delta/lib/delta-storage.jar`,
        `the Delta Lake ${version} jars EMR ships on every worker (${release.label}; no download at job start)`);
    } else {
      // The path is the one the EMR Serverless user guide gives (using-iceberg.html, step 1).
      spark('spark.jars', '/usr/share/aws/iceberg/lib/iceberg-spark3-runtime.jar',
        `the Iceberg ${version} runtime EMR ships on every worker (${release.label}; no download at job start)`);
    }
  } else {
    const pinned = TABLE_FORMAT_PACKAGES[release.sparkLine];
    if (!pinned) {
      throw invalidValue('release', release.sparkVersion,
        `${format} tables on Kubernetes need a Spark line with pinned jars: ${Object.keys(TABLE_FORMAT_PACKAGES).join(', ')}`);
    }
    jars = pinned[format];
    version = jars[0].coordinates.split(':')[2];
    source = 'scripts/fetch-table-jars.sh pins (Maven Central, SHA-1 checked)';
    const base = options.jarsUri ?? DEFAULT_JARS_URI;
    if (!/^(local|s3a|s3|https?):\/\//.test(base) || !base.endsWith('/')) {
      throw invalidValue('tableFormat.jarsUri', base, 'expected a local://, s3a://, s3:// or https:// prefix ending in /');
    }
    spark('spark.jars', jars.map(j => base + j.file).join(','),
      `the pinned ${format} ${version} jars for Spark ${release.sparkLine} (Scala ${release.scalaBinaryVersion}), ` +
      `shipped ${options.jarsUri ? 'with the versioned artifact' : 'in the image'} and checksummed; never downloaded at job start`);
  }

  if (format === TableFormat.DELTA) {
    spark('spark.sql.extensions', DELTA_EXTENSION, 'Delta Lake SQL: MERGE, UPDATE, DELETE, time travel, VACUUM, OPTIMIZE');
    spark('spark.sql.catalog.spark_catalog', DELTA_CATALOG, 'Delta tables by path (delta.`s3://...`) and in the session catalog');
  } else {
    spark('spark.sql.extensions', ICEBERG_EXTENSION, 'Iceberg SQL: MERGE/UPDATE/DELETE rewrites and the system procedures (rewrite_data_files, expire_snapshots)');
    if (catalogKind === IcebergCatalogKind.GLUE) {
      const name = options.catalogName ?? 'glue';
      spark(`spark.sql.catalog.${name}`, ICEBERG_CATALOG, 'an Iceberg catalog named for `<name>.<database>.<table>`');
      spark(`spark.sql.catalog.${name}.catalog-impl`, 'org.apache.iceberg.aws.glue.GlueCatalog',
        'the Glue Data Catalog holds the metadata pointer: atomic commits for concurrent writers, tables visible to Athena');
      spark(`spark.sql.catalog.${name}.io-impl`, 'org.apache.iceberg.aws.s3.S3FileIO', 'Iceberg\'s own S3 client for data and metadata files');
      spark(`spark.sql.catalog.${name}.warehouse`, options.warehouse!, 'where new tables of the catalog are created');
    } else if (options.warehouse !== undefined) {
      const name = options.catalogName ?? 'tables';
      spark(`spark.sql.catalog.${name}`, ICEBERG_CATALOG, 'an Iceberg catalog named for `<name>.<namespace>.<table>`');
      spark(`spark.sql.catalog.${name}.type`, 'hadoop',
        'a path catalog: the table directory holds its metadata pointer (one writer per table at a time on S3)');
      spark(`spark.sql.catalog.${name}.warehouse`, options.warehouse, 'tables are <warehouse>/<namespace>/<table>');
    }
  }
  return {
    format,
    version,
    source,
    // Every version and jar path above is as the cited guides give it.
    confirmed: true,
    entries,
    jars,
    glueCatalog: catalogKind === IcebergCatalogKind.GLUE,
  };
}

function checkCatalog(options: TableFormatOptions, target: DeploymentTarget): IcebergCatalogKind | undefined {
  const kind = options.icebergCatalog;
  if (options.format === TableFormat.DELTA) {
    for (const field of ['icebergCatalog', 'catalogName', 'warehouse', 'databases'] as const) {
      if (options[field] !== undefined) {
        throw invalidValue(`tableFormat.${field}`, options[field], 'applies to Iceberg tables only (Delta tables are addressed by path)');
      }
    }
    return undefined;
  }
  const chosen = kind ?? IcebergCatalogKind.PATH;
  if (!Object.values(IcebergCatalogKind).includes(chosen)) {
    throw invalidValue('tableFormat.icebergCatalog', kind, `expected one of ${Object.values(IcebergCatalogKind).join(', ')}`);
  }
  if (options.catalogName !== undefined && (!CATALOG_NAME.test(options.catalogName) || options.catalogName === 'spark_catalog')) {
    throw invalidValue('tableFormat.catalogName', options.catalogName, 'expected a lower-case SQL identifier other than spark_catalog');
  }
  if (options.databases !== undefined) {
    if (chosen !== IcebergCatalogKind.GLUE) {
      throw invalidValue('tableFormat.databases', options.databases, 'applies to the Glue catalog only (icebergCatalog: glue)');
    }
    if (options.databases.length === 0) throw invalidValue('tableFormat.databases', options.databases, 'expected at least one Glue database');
    for (const db of options.databases) {
      if (!isUnresolved(db) && !GLUE_DATABASE.test(db)) {
        throw invalidValue('tableFormat.databases', db, 'Glue database names are 1-255 lowercase letters, digits and underscores');
      }
    }
  }
  if (chosen === IcebergCatalogKind.GLUE) {
    if (target !== DeploymentTarget.EMR_SERVERLESS) {
      throw invalidValue('tableFormat.icebergCatalog', chosen,
        'the Glue catalog is supported on EMR Serverless (its runtime bundles Iceberg\'s AWS module); on Kubernetes use the path catalog');
    }
    if (options.warehouse === undefined || !parseS3Uri(options.warehouse, { s3a: true })) {
      throw invalidValue('tableFormat.warehouse', options.warehouse, 'the Glue catalog needs an s3:// warehouse URI');
    }
  } else if (options.warehouse !== undefined && !/^[a-z0-9]+:\/\/.+/.test(options.warehouse)) {
    throw invalidValue('tableFormat.warehouse', options.warehouse, 'expected a URI such as s3://bucket/warehouse');
  }
  return chosen;
}

/**
 * The target a job definition's workload is checked on before a target renders it: EMR Serverless when
 * it asks for the Glue catalog (the only target that runs it), else Kubernetes.
 */
export function tableFormatCheckTarget(options: TableFormatOptions | undefined): DeploymentTarget {
  return options?.format === TableFormat.ICEBERG && options.icebergCatalog === IcebergCatalogKind.GLUE
    ? DeploymentTarget.EMR_SERVERLESS
    : DeploymentTarget.KUBERNETES;
}

/**
 * The table format a rendered configuration was set up for, read back from its `spark.sql.extensions`
 * (undefined for none), e.g. for a local run of a synthesized job.
 */
export function tableFormatOfProperties(properties: { [key: string]: string }): TableFormat | undefined {
  const extensions = (properties['spark.sql.extensions'] ?? '').split(',').map(e => e.trim());
  if (extensions.includes(DELTA_EXTENSION)) return TableFormat.DELTA;
  if (extensions.includes(ICEBERG_EXTENSION)) return TableFormat.ICEBERG;
  return undefined;
}

/**
 * Whether a `spark.jars` entry is a table-format jar the model renders: EMR's bundled Delta/Iceberg
 * jars, or a pinned open-source jar (by file name) at whatever URI the image or artifact holds it.
 */
export function isTableFormatJar(uri: string): boolean {
  if (EMR_TABLE_JAR_DIRS.some(dir => uri.startsWith(dir))) return true;
  const file = uri.slice(uri.lastIndexOf('/') + 1);
  return Object.values(TABLE_FORMAT_PACKAGES).some(line => Object.values(line).some(jars => jars.some(j => j.file === file)));
}

function jar(coordinates: string, sha1: string): TableFormatJar {
  const [, artifact, version] = coordinates.split(':');
  return { coordinates, file: `${artifact}-${version}.jar`, sha1 };
}

/** The table-format rules as static methods, for jsii languages (Python), which cannot call free functions. */
export class TableFormats {
  /** What a table format needs for one target and release; an unsupported pair fails naming what is allowed. */
  public static support(options: TableFormatOptions, target: DeploymentTarget, release: SparkRelease): TableFormatSupport {
    return tableFormatSupport(options, target, release);
  }

  /** The Delta and Iceberg versions an EMR release label bundles (undefined when not in the catalog). */
  public static emrBundled(label: string): EmrBundledTableFormats | undefined {
    return emrBundledTableFormats(label);
  }

  private constructor() {}
}
