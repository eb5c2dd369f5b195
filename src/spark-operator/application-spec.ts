import * as kplus from 'cdk8s-plus-27';
import { SparkOperatorMonitoring } from './monitoring';
import { PodPlacement, podTemplate, SPARK_IMAGE_UID, validatePlacement } from './pod-template';
import { SparkOperatorRbac } from './rbac';
import {
  formatCpuQuantity, validateAnnotations, validateDns1035Name, validateDns1123Subdomain, validateJvmSize, validateLabels,
  validateOperatorHadoopConf, validateOperatorSparkConf, validateQuantity, validateWholeNumber,
} from './validation';
import { CodeUriScheme } from '../artifacts/job-code';
import { describePythonTarget, PythonTarget, validatePythonTarget } from '../artifacts/python-target';
import { DEPENDENCY_ARCHIVE_LINK, DEPENDENCY_PYTHONPATH, resolveRuntimeDependencies, SPARK_RUNTIME_MODULES } from '../artifacts/runtime-dependencies';
import { invalidValue } from '../config/errors';
import { isPinnedImage } from '../config/image-references';
import { SparkConfiguration } from '../config/spark-configuration';
import { DeploymentTarget, WorkerShape } from '../config/types';
import {
  SparkApplicationSpec, SparkApplicationSpecDynamicAllocation, SparkApplicationSpecMode,
  SparkApplicationSpecRestartPolicy, SparkApplicationSpecRestartPolicyType, SparkApplicationSpecType,
} from '../imports/sparkoperator.k8s.io';
import { SparkJobDefinition } from '../job/spark-job-definition';

/** The Python of a Spark image, as its builder declares it. */
export interface SparkImagePython extends PythonTarget {
  /**
   * Top-level modules installed in the image besides Spark's own (`pandas`, `numpy`), so jobs may import
   * them without a dependency archive.
   * @default - none
   */
  readonly providedModules?: string[];
}

/** Properties shared by `SparkOperatorApplication` and `ScheduledSparkOperatorApplication`. */
export interface SparkOperatorApplicationProps {
  /** The job to run (code, entry point, arguments, workload, overrides, timeout, retries). */
  readonly job: SparkJobDefinition;
  /** The namespace, service accounts and RBAC the application runs with. */
  readonly rbac: SparkOperatorRbac;
  /**
   * The Spark image, pinned by tag or digest (e.g. `apache/spark:3.5.6-python3`). It must hold the S3A
   * connector for `s3a://` code and data, and the job code itself for `JobCode.fromImage`.
   */
  readonly image: string;
  /** The executor pod shape: vCPU and memory of each executor pod (request = limit). */
  readonly executor: WorkerShape;
  /**
   * The driver pod shape.
   * @default - the executor shape capped at 4 vCPU / 16 GB
   */
  readonly driver?: WorkerShape;
  /**
   * The Spark version of the image (picks the tuning rules and the S3A credential providers).
   * @default '3.5.6'
   */
  readonly sparkVersion?: string;
  /**
   * A fixed executor count (dynamic allocation off).
   * @default - dynamic allocation with shuffle tracking
   */
  readonly executorInstances?: number;
  /**
   * The dynamic allocation cap.
   * @default - from the workload's input size (20 when unknown)
   */
  readonly maxExecutors?: number;
  /**
   * Application name (DNS-1035, at most 63 characters; 43 for a scheduled application).
   * @default - the job's name
   */
  readonly name?: string;
  /**
   * When the image is pulled.
   * @default kplus.ImagePullPolicy.IF_NOT_PRESENT
   */
  readonly imagePullPolicy?: kplus.ImagePullPolicy;
  /**
   * Secrets (in the namespace) holding registry credentials.
   * @default - none
   */
  readonly imagePullSecrets?: string[];
  /**
   * Seconds between a failure and the next attempt, when the job allows retries.
   * @default 30
   */
  readonly retryIntervalSeconds?: number;
  /**
   * Delete the application and its pods this many seconds after it ends. Applying the same manifest again
   * after that runs the job again.
   * @default - kept until deleted
   */
  readonly timeToLiveSeconds?: number;
  /**
   * Prometheus monitoring.
   * @default SparkOperatorMonitoring.prometheusServlet()
   */
  readonly monitoring?: SparkOperatorMonitoring;
  /**
   * Where the driver runs (node selector, tolerations, annotations, priority class).
   * @default - anywhere
   */
  readonly driverPlacement?: PodPlacement;
  /**
   * Where the executors run.
   * @default - anywhere
   */
  readonly executorPlacement?: PodPlacement;
  /**
   * Labels of the application and of its driver and executor pods.
   * @default - the app.kubernetes.io labels only
   */
  readonly labels?: { [key: string]: string };
  /**
   * Keep Karpenter from consolidating the driver's node away mid-run (`karpenter.sh/do-not-disrupt`).
   * @default true
   */
  readonly protectDriverFromDisruption?: boolean;
  /**
   * Local disk (shuffle spill, S3A upload buffers) each driver and executor pod may use, as a Kubernetes
   * quantity (`50Gi`); request = limit, so a runaway job is evicted instead of filling the node's disk.
   * @default - no ephemeral-storage request or limit
   */
  readonly ephemeralStorage?: string;
  /**
   * The user id (and group id) the Spark containers run as; must not be 0.
   * @default - 185, the `spark` user of the Apache Spark images
   */
  readonly runAsUser?: number;
  /**
   * The image's Python: its version, architecture and glibc (e.g. `apache/spark:3.5.6-python3` is Ubuntu-based:
   * read them from the image you pin). Required when the job's code ships a dependency archive or imports
   * third-party modules; the archive must be built for exactly this.
   * @default - not declared: the job may import only the standard library and Spark
   */
  readonly imagePython?: SparkImagePython;
}

/** What rendering a job for the operator produced. */
export interface RenderedSparkApplication {
  readonly name: string;
  readonly namespace: string;
  readonly labels: { [key: string]: string };
  readonly annotations: { [key: string]: string };
  readonly config: SparkConfiguration;
  readonly spec: SparkApplicationSpec;
}

/** Default seconds between attempts. */
const DEFAULT_RETRY_INTERVAL_SECONDS = 30;

/**
 * Renders a job as a SparkApplication spec: tunes it for the pod shapes and puts every resource setting in
 * the typed spec fields and everything else in `sparkConf`/`hadoopConf` as strings.
 */
export function renderSparkApplication(props: SparkOperatorApplicationProps, maxNameLength: number): RenderedSparkApplication {
  if (!(props.job instanceof SparkJobDefinition)) {
    throw invalidValue('job', props.job, 'expected a SparkJobDefinition');
  }
  if (!(props.rbac instanceof SparkOperatorRbac)) {
    throw invalidValue('rbac', props.rbac, 'expected a SparkOperatorRbac (namespace, service accounts, RBAC)');
  }
  const job = props.job;
  const name = validateDns1035Name('name', props.name ?? job.name, maxNameLength);
  const namespace = props.rbac.namespace;
  const image = props.image;
  if (typeof image !== 'string' || !isPinnedImage(image)) {
    throw invalidValue('image', image, 'expected an image pinned by tag or digest, e.g. apache/spark:3.5.6-python3 (not :latest)');
  }
  const pullPolicy = props.imagePullPolicy ?? kplus.ImagePullPolicy.IF_NOT_PRESENT;
  if (!Object.values(kplus.ImagePullPolicy).includes(pullPolicy)) {
    throw invalidValue('imagePullPolicy', pullPolicy, `expected one of ${Object.values(kplus.ImagePullPolicy).join(', ')}`);
  }
  (props.imagePullSecrets ?? []).forEach((s, i) => validateDns1123Subdomain(`imagePullSecrets[${i}]`, s));
  const runAsUser = validateWholeNumber('runAsUser', props.runAsUser ?? SPARK_IMAGE_UID, 1, 2147483647);
  const ephemeralStorage = props.ephemeralStorage === undefined ? undefined : validateQuantity('ephemeralStorage', props.ephemeralStorage);
  const retryInterval = validateWholeNumber('retryIntervalSeconds', props.retryIntervalSeconds ?? DEFAULT_RETRY_INTERVAL_SECONDS, 1, 86400);
  if (props.timeToLiveSeconds !== undefined) validateWholeNumber('timeToLiveSeconds', props.timeToLiveSeconds, 1, 31536000);
  const monitoring = props.monitoring ?? SparkOperatorMonitoring.prometheusServlet();
  if (!(monitoring instanceof SparkOperatorMonitoring)) {
    throw invalidValue('monitoring', monitoring, 'expected a SparkOperatorMonitoring (prometheusServlet, jmxExporter or none)');
  }
  const driverPlacement = validatePlacement('driverPlacement', props.driverPlacement);
  const executorPlacement = validatePlacement('executorPlacement', props.executorPlacement);
  validateLabels('labels', props.labels);

  const config = job.tune({
    target: DeploymentTarget.KUBERNETES,
    release: props.sparkVersion,
    executor: props.executor,
    driver: props.driver,
    executorInstances: props.executorInstances,
    maxExecutors: props.maxExecutors,
  });
  const operatorConf = config.toSparkOperatorConf();
  // Job overrides win over the monitoring defaults; the webhook's rules apply to the result.
  const sparkConf = { ...monitoring.sparkConf(), ...operatorConf.sparkConf };
  const archiveUris = dependencyArchiveConf(props, sparkConf);
  validateOperatorSparkConf('sparkConf', sparkConf, namespace);
  validateOperatorHadoopConf('hadoopConf', operatorConf.hadoopConf);
  const tableFormat = job.workload.tableFormat?.format;
  if (tableFormat !== undefined && sparkConf['spark.jars.packages'] !== undefined) {
    // A pod resolving Maven at start is slow, fails without egress and runs unpinned code.
    throw invalidValue("sparkConf['spark.jars.packages']", sparkConf['spark.jars.packages'],
      `a ${tableFormat} job runs the pinned, checksummed jars spark.jars names (in the image or shipped with the artifact), never downloaded at job start`);
  }

  const labels: { [key: string]: string } = {
    'app.kubernetes.io/name': job.name,
    'app.kubernetes.io/component': job.entryPoint.toLowerCase().replace(/[^a-z0-9.-]/g, '-').replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '') || 'job',
    // Versions may hold '+' (PEP 440 local versions): label values take letters, digits, '-', '_' and '.'.
    'app.kubernetes.io/version': labelValue(job.code.version),
    'app.kubernetes.io/managed-by': 'spark-deploy',
    ...(props.labels ?? {}),
  };
  validateLabels('labels', labels);
  const annotations: { [key: string]: string } = {};
  if (job.code.contentHash) annotations['spark-deploy.io/code-content-hash'] = job.code.contentHash;

  const scheme = job.code.isInBucket ? CodeUriScheme.S3A : CodeUriScheme.LOCAL;
  const pyFiles = job.pyFileUris(scheme);
  const driverAnnotations = {
    ...(props.protectDriverFromDisruption ?? true ? { 'karpenter.sh/do-not-disrupt': 'true' } : {}),
    ...monitoring.driverAnnotations(),
    ...(driverPlacement.annotations ?? {}),
  };
  validateAnnotations('driverPlacement.annotations', driverAnnotations);

  const spec: SparkApplicationSpec = {
    type: SparkApplicationSpecType.PYTHON,
    mode: SparkApplicationSpecMode.CLUSTER,
    sparkVersion: config.release.sparkVersion,
    image,
    imagePullPolicy: pullPolicy,
    imagePullSecrets: props.imagePullSecrets && props.imagePullSecrets.length > 0 ? [...props.imagePullSecrets] : undefined,
    mainApplicationFile: job.entryPointUri(scheme),
    arguments: job.arguments.length > 0 ? [...job.arguments] : undefined,
    deps: pyFiles.length > 0 || archiveUris.length > 0
      ? { pyFiles: pyFiles.length > 0 ? pyFiles : undefined, archives: archiveUris.length > 0 ? archiveUris : undefined }
      : undefined,
    sparkConf,
    hadoopConf: operatorConf.hadoopConf,
    restartPolicy: restartPolicy(job.maxAttempts, retryInterval),
    timeToLiveSeconds: props.timeToLiveSeconds,
    dynamicAllocation: dynamicAllocation(config),
    monitoring: monitoring._spec(),
    driver: {
      ...resources('driver', config),
      serviceAccount: props.rbac.driverServiceAccountName,
      labels,
      annotations: driverAnnotations,
      template: podTemplate({
        role: 'driver',
        runAsUser,
        placement: driverPlacement,
        automountServiceAccountToken: true,
        ephemeralStorage,
        // EMR's executionTimeoutMinutes, per attempt: the kubelet ends a driver that runs longer.
        activeDeadlineSeconds: job.timeoutMinutes * 60,
      }),
    },
    executor: {
      ...resources('executor', config),
      instances: executorInstances(config),
      serviceAccount: props.rbac.executorServiceAccountName,
      labels,
      annotations: nonEmpty(executorPlacement.annotations),
      template: podTemplate({ role: 'executor', runAsUser, placement: executorPlacement, automountServiceAccountToken: false, ephemeralStorage }),
    },
  };
  return { name, namespace, labels, annotations, config, spec };
}

/**
 * The dependency archive for the image's Python (checked at synth time) as `deps.archives`, and the Python
 * path of the driver and executors pointing at where Spark unpacks it (`./deps` in their working directory).
 */
function dependencyArchiveConf(props: SparkOperatorApplicationProps, sparkConf: { [key: string]: string }): string[] {
  const code = props.job.code;
  const thirdParty = (code.requiredImports ?? []).filter(m => !SPARK_RUNTIME_MODULES.includes(m));
  if (props.imagePython === undefined) {
    if (code.dependencyArchives.length > 0 || thirdParty.length > 0) {
      throw invalidValue('imagePython', undefined,
        `the job's code ${code.dependencyArchives.length > 0 ? `ships dependency archives for ${code.dependencyArchives.map(a => describePythonTarget(a.target)).join(' and ')}` : `imports ${thirdParty.join(', ')}`}; `
        + "declare the image's Python ({ pythonVersion, architecture, glibc, providedModules }) so they can be checked against it");
    }
    return [];
  }
  const target = validatePythonTarget(props.imagePython, 'imagePython');
  const archive = resolveRuntimeDependencies(code, {
    target,
    description: `the image ${props.image}`,
    providedModules: props.imagePython.providedModules,
  }, 'job.code');
  if (!archive) return [];
  for (const key of ['spark.archives', 'spark.kubernetes.driverEnv.PYTHONPATH', 'spark.executorEnv.PYTHONPATH']) {
    if (sparkConf[key] !== undefined) {
      throw invalidValue(`sparkConf['${key}']`, sparkConf[key], 'is set from the code\'s dependency archive; leave it out');
    }
  }
  sparkConf['spark.kubernetes.driverEnv.PYTHONPATH'] = DEPENDENCY_PYTHONPATH;
  sparkConf['spark.executorEnv.PYTHONPATH'] = DEPENDENCY_PYTHONPATH;
  return [`${code.uriFor(archive.path, CodeUriScheme.S3A)}#${DEPENDENCY_ARCHIVE_LINK}`];
}

/** `text` as a valid label value: other characters become '_', at most 63, alphanumeric at both ends. */
function labelValue(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

/** A copy of a map, or undefined when it is empty (cdk8s would drop it anyway; this keeps specs comparable). */
function nonEmpty(map: { [key: string]: string } | undefined): { [key: string]: string } | undefined {
  return map && Object.keys(map).length > 0 ? { ...map } : undefined;
}

/** Cores, CPU request = limit and memory of one role, from the resolved configuration (overrides included). */
function resources(role: 'driver' | 'executor', config: SparkConfiguration) {
  const { sizing, cpuRequest, cpuLimit } = config._resolved[role];
  return {
    cores: sizing.cores,
    coreRequest: validateQuantity(`${role}.coreRequest`, formatCpuText(cpuRequest ?? formatCpuQuantity(sizing.cpu))),
    coreLimit: validateQuantity(`${role}.coreLimit`, formatCpuText(cpuLimit ?? formatCpuQuantity(sizing.cpu))),
    memory: validateJvmSize(`${role}.memory`, sizing.memory),
    memoryOverhead: validateJvmSize(`${role}.memoryOverhead`, sizing.memoryOverhead),
  };
}

/** Spark accepts `3.5` for cores; Kubernetes prefers millicores for fractions. */
function formatCpuText(text: string): string {
  return /^\d+\.\d+$/.test(text) ? formatCpuQuantity(Number(text)) : text;
}

/** The fixed executor count when dynamic allocation is off (Spark's own default on Kubernetes is 2). */
function executorInstances(config: SparkConfiguration): number | undefined {
  const allocation = config._resolved.allocation;
  return allocation.dynamic ? undefined : allocation.instances ?? 2;
}

function restartPolicy(maxAttempts: number, intervalSeconds: number): SparkApplicationSpecRestartPolicy {
  if (maxAttempts <= 1) return { type: SparkApplicationSpecRestartPolicyType.NEVER };
  const retries = maxAttempts - 1;
  return {
    type: SparkApplicationSpecRestartPolicyType.ON_FAILURE,
    onFailureRetries: retries,
    onFailureRetryInterval: intervalSeconds,
    onSubmissionFailureRetries: retries,
    onSubmissionFailureRetryInterval: intervalSeconds,
  };
}

function dynamicAllocation(config: SparkConfiguration): SparkApplicationSpecDynamicAllocation | undefined {
  const allocation = config._resolved.allocation;
  if (!allocation.dynamic) return undefined;
  const timeout = allocation.shuffleTrackingTimeout;
  return {
    enabled: true,
    initialExecutors: allocation.initialExecutors,
    minExecutors: allocation.minExecutors,
    maxExecutors: allocation.maxExecutors,
    // Kubernetes has no external shuffle service: without tracking, dynamic allocation loses shuffle data.
    shuffleTrackingEnabled: allocation.shuffleTracking,
    shuffleTrackingTimeout: timeout === undefined ? undefined : sparkTimeMillis('sparkConf[\'spark.dynamicAllocation.shuffleTracking.timeout\']', timeout),
  };
}

const TIME_UNITS_MS: { [unit: string]: number } = { ms: 1, s: 1000, m: 60000, min: 60000, h: 3600000, d: 86400000 };

/** A Spark time string (`30s`, `5min`, `120000` ms) in milliseconds, as the CRD's integer fields take it. */
function sparkTimeMillis(field: string, text: string): number {
  const m = /^(\d+)(ms|s|m|min|h|d)?$/.exec(text.trim());
  if (!m) throw invalidValue(field, text, 'expected a Spark duration such as 30s, 5min or 120000 (milliseconds)');
  return Number(m[1]) * TIME_UNITS_MS[m[2] ?? 'ms'];
}
