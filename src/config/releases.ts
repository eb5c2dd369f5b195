import { invalidValue } from './errors';

/**
 * What a release runs: the Spark line our jobs are built and tested for, and the versions around it.
 */
export interface SparkRelease {
  /** The release label (`emr-7.12.0`, `emr-spark-8.0.0`) or, on Kubernetes, the Spark version. */
  readonly label: string;
  /** The Spark version, e.g. `3.5.6`. */
  readonly sparkVersion: string;
  /** The Spark line (`3.5`, `4.0`): the jobs' compatibility unit. */
  readonly sparkLine: string;
  /** Scala binary version of the Spark build (`2.12` or `2.13`), for Maven coordinates. */
  readonly scalaBinaryVersion: string;
  /**
   * Hadoop version bundled with the Spark build (drives the S3A connector and AWS SDK jars).
   * @default - not published for this EMR release (EMR provides its own connector jars)
   */
  readonly hadoopVersion?: string;
  /** Python versions the runtime ships. */
  readonly pythonVersions: string[];
  /** Default Java major version. */
  readonly javaVersion: number;
  /** Whether `spark.sql.ansi.enabled` defaults to true (Spark 4.0+). */
  readonly ansiByDefault: boolean;
}

/** EMR-only facts that change what the configuration model may render. */
export interface EmrReleaseFeatures {
  /** `shuffle_optimized` disks (EMR 7.1.0+). */
  readonly shuffleOptimizedDisks: boolean;
  /** S3A is the default connector for s3://, s3n:// and s3a:// (EMR 7.10.0+); before, s3:// was EMRFS. */
  readonly s3aDefaultConnector: boolean;
  /** Job concurrency and queuing, `schedulerConfiguration` (EMR 7.0.0+; on by default from 7.3.0). */
  readonly schedulerConfiguration: boolean;
  /** Prometheus metrics (EMR 7.1.0+). */
  readonly prometheusMonitoring: boolean;
}

/** An EMR Serverless release label with what it runs. */
export interface EmrRelease extends SparkRelease, EmrReleaseFeatures {}

// Sources: the EMR Serverless release pages (EMR ReleaseGuide emr-release-app-versions-7.x,
// Spark-release-history, emr-spark800-release).
// Hadoop is what EMR ships where the docs name it (undefined where they do not); informational only.
const EMR_RELEASES: Array<[label: string, spark: string, hadoop: string | undefined, python: string[], java: number]> = [
  ['emr-6.10.0', '3.3.1', undefined, ['3.7'], 8],
  ['emr-6.11.0', '3.3.2', undefined, ['3.7'], 8],
  ['emr-6.12.0', '3.4.0', undefined, ['3.7'], 8],
  ['emr-6.13.0', '3.4.1', undefined, ['3.7'], 8],
  ['emr-6.14.0', '3.4.1', undefined, ['3.7'], 8],
  ['emr-6.15.0', '3.4.1', undefined, ['3.7'], 8],
  ['emr-7.0.0', '3.5.0', undefined, ['3.9'], 17],
  ['emr-7.1.0', '3.5.0', undefined, ['3.9', '3.11'], 17],
  ['emr-7.2.0', '3.5.1', undefined, ['3.9', '3.11'], 17],
  ['emr-7.3.0', '3.5.1', undefined, ['3.9', '3.11'], 17],
  ['emr-7.4.0', '3.5.2', '3.4.0', ['3.9', '3.11'], 17],
  ['emr-7.5.0', '3.5.2', '3.4.0', ['3.9', '3.11'], 17],
  ['emr-7.6.0', '3.5.3', undefined, ['3.9', '3.11'], 17],
  ['emr-7.7.0', '3.5.3', undefined, ['3.9', '3.11'], 17],
  ['emr-7.8.0', '3.5.4', undefined, ['3.9', '3.11'], 17],
  ['emr-7.9.0', '3.5.5', undefined, ['3.9', '3.11'], 17],
  ['emr-7.10.0', '3.5.5', undefined, ['3.9', '3.11'], 17],
  ['emr-7.11.0', '3.5.6', '3.4.1', ['3.9', '3.11'], 17],
  ['emr-7.12.0', '3.5.6', '3.4.1', ['3.9', '3.11'], 17],
  ['emr-7.13.0', '3.5.6', '3.4.2', ['3.9', '3.11'], 17],
  // emr-7.14.0: the docs read name Hadoop 3.4.2-amzn-2 but not the Spark version; the 7.x line stays on 3.5.
  ['emr-7.14.0', '3.5.6', '3.4.2', ['3.9', '3.11'], 17],
  ['emr-spark-8.0.0', '4.0.2', undefined, ['3.11', '3.12', '3.13'], 17],
];

/** The EMR Serverless release used when none is given. */
export const DEFAULT_EMR_RELEASE = 'emr-7.12.0';
/** The Spark version used on Kubernetes when none is given (same line as the default EMR release). */
export const DEFAULT_KUBERNETES_SPARK_VERSION = '3.5.6';

// Open-source Spark builds: the Hadoop they bundle (Spark's downloads page, hadoop3 builds) decides the S3A and AWS SDK jars.
const OSS_LINES: Record<string, { hadoop: string; scala: string; python: string[] }> = {
  '3.5': { hadoop: '3.3.4', scala: '2.12', python: ['3.8+'] },
  '4.0': { hadoop: '3.4.1', scala: '2.13', python: ['3.9+'] },
  '4.1': { hadoop: '3.4.2', scala: '2.13', python: ['3.10+'] },
};

/**
 * Whether an EMR release label (`emr-7.1.0`, `emr-spark-8.0.0`) is at least major.minor: the one release
 * comparison of the library (feature flags, release gates). A label of another form is not.
 */
export function emrReleaseAtLeast(label: string, major: number, minor: number): boolean {
  const m = /^emr-(?:spark-)?(\d+)\.(\d+)\.\d+$/.exec(label);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}

/** Whether a release runs Spark major.minor or later (behaviour that changed with a Spark line, not an EMR label). */
export function sparkLineAtLeast(release: SparkRelease, major: number, minor: number): boolean {
  const [a, b] = release.sparkLine.split('.').map(Number);
  return a > major || (a === major && b >= minor);
}

/** Every EMR Serverless release label the model knows. */
export function knownEmrReleaseLabels(): string[] {
  return EMR_RELEASES.map(([label]) => label);
}

/** Looks up an EMR Serverless release label; an unknown one is an error listing the known ones. */
export function resolveEmrRelease(label: string, field = 'releaseLabel'): EmrRelease {
  const row = EMR_RELEASES.find(([l]) => l === label);
  if (!row) {
    throw invalidValue(field, label, `expected a known EMR Serverless release label: ${knownEmrReleaseLabels().join(', ')}`);
  }
  const [, spark, hadoop, python, java] = row;
  const line = spark.split('.').slice(0, 2).join('.');
  return {
    label,
    sparkVersion: spark,
    sparkLine: line,
    scalaBinaryVersion: line.startsWith('4.') ? '2.13' : '2.12',
    hadoopVersion: hadoop,
    pythonVersions: python,
    javaVersion: java,
    ansiByDefault: line.startsWith('4.'),
    shuffleOptimizedDisks: emrReleaseAtLeast(label, 7, 1),
    s3aDefaultConnector: emrReleaseAtLeast(label, 7, 10),
    schedulerConfiguration: emrReleaseAtLeast(label, 7, 0),
    prometheusMonitoring: emrReleaseAtLeast(label, 7, 1),
  };
}

/** Resolves an open-source Spark version (`3.5.6`, `4.0.2`) as run by the Spark Operator. */
export function resolveSparkVersion(version: string, field = 'release'): SparkRelease {
  const m = /^(\d+\.\d+)\.(\d+)$/.exec(version);
  const line = m?.[1];
  if (!m || !line || !(line in OSS_LINES)) {
    throw invalidValue(field, version, `expected a Spark version of a supported line (${Object.keys(OSS_LINES).map(l => `${l}.x`).join(', ')}), e.g. ${DEFAULT_KUBERNETES_SPARK_VERSION}`);
  }
  const oss = OSS_LINES[line];
  return {
    label: version,
    sparkVersion: version,
    sparkLine: line,
    scalaBinaryVersion: oss.scala,
    hadoopVersion: oss.hadoop,
    pythonVersions: oss.python,
    javaVersion: 17,
    ansiByDefault: line.startsWith('4.'),
  };
}

/**
 * The releases the configuration model knows, as static methods (the functions above are TypeScript-only:
 * jsii carries classes, so Python users call these).
 */
export class SparkReleases {
  /** An EMR Serverless release label with what it runs; an unknown label is an error listing the known ones. */
  public static emr(label: string): EmrRelease {
    return resolveEmrRelease(label);
  }

  /** An open-source Spark version as the Spark Operator runs it. */
  public static spark(version: string): SparkRelease {
    return resolveSparkVersion(version);
  }

  /** Every EMR Serverless release label the model knows. */
  public static knownEmrLabels(): string[] {
    return knownEmrReleaseLabels();
  }

  /** Whether an EMR release label is at least major.minor. */
  public static emrAtLeast(label: string, major: number, minor: number): boolean {
    return emrReleaseAtLeast(label, major, minor);
  }

  private constructor() {}
}
