import { RunRecommendation } from './run-informed/apply-recommendation';
import { TableFormatOptions } from './table-formats';

/** Where the tuned configuration will run. */
export enum DeploymentTarget {
  /** AWS EMR Serverless: one executor per worker, sizes from the EMR Serverless worker rules. */
  EMR_SERVERLESS = 'emr-serverless',
  /** Kubernetes with the Kubeflow Spark Operator: one executor per pod, request = limit. */
  KUBERNETES = 'kubernetes',
}

/** Where jobs read and write their data. */
export enum StorageKind {
  /** Amazon S3 through the S3A connector (or EMR's connector on EMR Serverless). */
  S3 = 's3',
  /** An S3-compatible store (MinIO, Ceph, a local S3 server) at an explicit endpoint. */
  S3_COMPATIBLE = 's3-compatible',
  /** Local or mounted files only: no S3 settings are rendered. */
  LOCAL = 'local',
}

/** The disk type of an EMR Serverless worker. */
export enum DiskType {
  /** Standard disk (GP2-class), 20–200 GB. */
  STANDARD = 'standard',
  /** Shuffle-optimized disk (higher IOPS), 20–2000 GB, EMR 7.1.0+. */
  SHUFFLE_OPTIMIZED = 'shuffle-optimized',
}

/** The shape of one EMR Serverless worker or one Kubernetes pod. */
export interface WorkerShape {
  /**
   * vCPU of the worker or pod. EMR Serverless: 1, 2, 4, 8 or 16. Kubernetes: at least 1.
   */
  readonly cpu: number;
  /**
   * Memory of the worker or pod in GB (1 GB = 1024 MiB, as EMR and Spark count).
   * EMR Serverless: within the range and step of the vCPU size. Kubernetes: the pod's memory limit.
   */
  readonly memoryGb: number;
  /**
   * Local disk in GB (EMR Serverless only).
   * @default 20
   */
  readonly diskGb?: number;
  /**
   * Disk type (EMR Serverless only).
   * @default DiskType.STANDARD
   */
  readonly diskType?: DiskType;
}

/** How jobs reach their storage. */
export interface StorageOptions {
  /** The kind of storage. */
  readonly kind: StorageKind;
  /**
   * Endpoint URL of an S3-compatible store, e.g. `http://127.0.0.1:5000`. Required for `S3_COMPATIBLE`.
   * @default - the AWS S3 endpoint of the region
   */
  readonly endpoint?: string;
  /**
   * Use path-style requests (`http://host/bucket/key`).
   * @default - true for S3_COMPATIBLE, false for S3
   */
  readonly pathStyleAccess?: boolean;
  /**
   * The signing region of the store.
   * @default - the runtime's region for S3; `us-east-1` for S3_COMPATIBLE
   */
  readonly region?: string;
}

/** Properties for `SparkConfiguration.tune`. */
export interface SparkTuningProps {
  /** Where the configuration will run. */
  readonly target: DeploymentTarget;
  /**
   * EMR Serverless release label (`emr-7.12.0`, `emr-spark-8.0.0`) or, on Kubernetes, the Spark version (`3.5.6`).
   * @default - `emr-7.12.0` on EMR Serverless, `3.5.6` on Kubernetes
   */
  readonly release?: string;
  /** The executor's worker (EMR Serverless) or pod (Kubernetes) shape. */
  readonly executor: WorkerShape;
  /**
   * The driver's worker or pod shape.
   * @default - the executor shape, capped at 4 vCPU / 16 GB (the driver plans; executors work)
   */
  readonly driver?: WorkerShape;
  /**
   * Expected input size in GB; sizes shuffle partitions and the executor cap.
   * @default - unknown: partitions and executors are sized from cores alone
   */
  readonly inputSizeGb?: number;
  /**
   * The job spends much of its memory in Python (pandas UDFs, Python UDFs, collected frames):
   * reserve 40% overhead, Spark's own factor for non-JVM jobs on Kubernetes.
   * @default false
   */
  readonly pythonHeavy?: boolean;
  /**
   * Where the data lives.
   * @default - `{ kind: StorageKind.S3 }`
   */
  readonly storage?: StorageOptions;
  /**
   * Configure Delta Lake (session extension and catalog; on EMR the jars EMR ships).
   * @default false
   */
  readonly deltaLake?: boolean;
  /**
   * The table format the job reads and writes (Delta Lake or Iceberg): its SQL extension, catalog and jars for
   * this target and release (src/config/table-formats.ts). Supersedes `deltaLake`.
   * @default - none
   */
  readonly tableFormat?: TableFormatOptions;
  /**
   * A fixed number of executors; turns dynamic allocation off.
   * @default - dynamic allocation, capped by `maxExecutors`
   */
  readonly executorInstances?: number;
  /**
   * The dynamic allocation cap.
   * @default - from the input size (about 4 waves of 128 MB tasks), 2 to 50 (3 to 50 on EMR Serverless, which
   * starts 3 executors); 20 when the input size is unknown; never above `executorCapacity`
   */
  readonly maxExecutors?: number;
  /**
   * The most executors the target can hold next to the driver: on EMR Serverless, what the application's
   * `maximumCapacity` fits. The default cap is lowered to it; an explicit `maxExecutors` or
   * `executorInstances` above it is an error (rule `maximum-capacity`).
   * @default - no limit
   */
  readonly executorCapacity?: number;
  /**
   * Why `executorCapacity` is what it is (shown in the reasons and errors), e.g. the capacity it comes from.
   * @default - 'the capacity limit'
   */
  readonly executorCapacityReason?: string;
  /**
   * Off-heap memory per executor (`spark.memory.offHeap.size`), e.g. `1g`; counted inside the container.
   * @default - off-heap memory disabled
   */
  readonly executorOffHeapMemory?: string;
  /**
   * Render `spark.jars.packages` with the S3A connector, AWS SDK and cloud committer jars of the Spark line,
   * for open-source Spark without those jars in its image (local runs).
   * @default false
   */
  readonly includeConnectorPackages?: boolean;
  /**
   * Spark or Hadoop properties that win over the tuned ones. Hadoop keys may be given as `fs.s3a.x`
   * or `spark.hadoop.fs.s3a.x`. Values are validated where the key is known.
   * @default - none
   */
  readonly overrides?: { [key: string]: string };
  /**
   * Advice from a finished run (`spark-deploy tune --from-run`): its executor shape, counts and properties are
   * applied below `overrides`, and each key it decided carries its reason (the rule and the run's numbers).
   * @default - none
   */
  readonly fromRecommendation?: RunRecommendation;
}

/** Whether a property is a Spark property or a Hadoop one (rendered with the `spark.hadoop.` prefix). */
export enum PropertyKind {
  /** A Spark property (`spark.*`). */
  SPARK = 'spark',
  /** A Hadoop property (`fs.s3a.*`), rendered as `spark.hadoop.fs.s3a.*` to Spark. */
  HADOOP = 'hadoop',
}

/** One property of the tuned configuration, with the reason for its value. */
export interface ConfigEntry {
  /** The key as Spark reads it (`spark.executor.memory`, `spark.hadoop.fs.s3a.committer.name`). */
  readonly key: string;
  /** The value, always a string. */
  readonly value: string;
  /** Why it has this value; `user override` for overrides. */
  readonly reason: string;
  /** Spark or Hadoop property. */
  readonly kind: PropertyKind;
}

/** How the driver or an executor was sized. */
export interface ResourceSizing {
  /** Cores (`spark.*.cores`). */
  readonly cores: number;
  /** CPU of the worker or pod (may be fractional on Kubernetes). */
  readonly cpu: number;
  /** Heap, MiB (`spark.*.memory`). */
  readonly heapMiB: number;
  /** Memory overhead, MiB. */
  readonly overheadMiB: number;
  /** Off-heap and PySpark memory counted in the container, MiB. */
  readonly extraMiB: number;
  /** Worker or pod memory, MiB. */
  readonly containerMiB: number;
  /** Container memory left unused, MiB. */
  readonly unusedMiB: number;
  /** The heap as a JVM size string (`7424m`, `14g`). */
  readonly memory: string;
  /** The overhead as a JVM size string. */
  readonly memoryOverhead: string;
}

/** The EMR Serverless `spark-defaults` classification. */
export interface EmrConfigurationClassification {
  /** Always `spark-defaults`. */
  readonly classification: string;
  /** The properties. */
  readonly properties: { [key: string]: string };
}

/** The Spark Operator's `sparkConf` and `hadoopConf` maps (strings only). */
export interface SparkOperatorConf {
  /** `spec.sparkConf`: Spark properties not carried by other spec fields. */
  readonly sparkConf: { [key: string]: string };
  /** `spec.hadoopConf`: Hadoop properties without the `spark.hadoop.` prefix (the operator adds it). */
  readonly hadoopConf: { [key: string]: string };
}
