import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as emrs from 'aws-cdk-lib/aws-emrserverless';
import { Construct } from 'constructs';
import { EmrServerlessApplicationBase, IEmrServerlessApplication } from './application-base';
import { renderMonitoring, s3LogUri, validateCloudWatchLogs } from './application-logging';
import { CloudWatchLogsOptions, EmrServerlessArchitecture, InitialCapacity, MaximumCapacity, S3LogsOptions } from './application-options';
import { EmrServerlessApplicationAttributes, EmrServerlessApplicationProps } from './application-props';
import { renderTags, validateApplicationFeatures, validateApplicationId, validateApplicationName, wholeMinutes } from './application-validation';
import { capacityReason, resolveMaximumCapacity, workerConfiguration, workerShapes } from './capacity';
import { executorsWithinCapacity } from '../config/emr-serverless-rules';
import { invalidValue } from '../config/errors';
import { DEFAULT_EMR_RELEASE, EmrRelease, resolveEmrRelease } from '../config/releases';
import { SparkConfiguration } from '../config/spark-configuration';
import { DeploymentTarget, WorkerShape } from '../config/types';

type WorkerSpec = emrs.CfnApplication.WorkerTypeSpecificationInputProperty;

const DEFAULT_EXECUTOR: WorkerShape = { cpu: 4, memoryGb: 16 };
const DEFAULT_MAX_EXECUTORS = 20;

/**
 * An EMR Serverless Spark application with typed props, spark-defaults tuned by the configuration model,
 * worker and capacity sizes checked against the EMR Serverless rules at synth time, and cost-safe defaults
 * (auto-stop after 15 idle minutes, a maximum capacity, no pre-initialized workers, no VPC).
 *
 * @example
 * const app = new EmrServerlessApplication(this, 'Spark', {
 *   releaseLabel: 'emr-7.12.0',
 *   executor: { cpu: 4, memoryGb: 16 },
 *   s3Logs: { bucket: logBucket },
 * });
 */
export class EmrServerlessApplication extends EmrServerlessApplicationBase implements IEmrServerlessApplication {
  /**
   * An application another stack or team owns: jobs tune for its release and shapes and grant on its ARN;
   * its log locations, when given, are granted for writing to runtime roles.
   */
  public static fromApplicationAttributes(scope: Construct, id: string, attrs: EmrServerlessApplicationAttributes): IEmrServerlessApplication {
    return new ImportedEmrServerlessApplication(scope, id, attrs);
  }

  /** The application's ID. */
  public readonly applicationId: string;
  /** The application's ARN (`arn:<partition>:emr-serverless:<region>:<account>:/applications/<id>`). */
  public readonly applicationArn: string;
  /** The release label. */
  public readonly releaseLabel: string;
  /** What the release runs. */
  public readonly release: EmrRelease;
  /** The architecture. */
  public readonly architecture: EmrServerlessArchitecture;
  /** The executor worker shape. */
  public readonly executorShape: WorkerShape;
  /** The driver worker shape. */
  public readonly driverShape: WorkerShape;
  /** The tuned application-level configuration (rendered as spark-defaults). */
  public readonly configuration: SparkConfiguration;
  /** The maximum capacity applied. */
  /**
   * The maximum capacity applied (always set on an application created here).
   * @default - the driver plus `maxExecutors` executors
   */
  public readonly maximumCapacity?: MaximumCapacity;
  /**
   * The pre-initialized workers, when configured (jobs use them only when their shapes match).
   * @default - none
   */
  public readonly initialCapacity?: InitialCapacity;
  /**
   * The `s3://` log location, when S3 logs are on.
   * @default - no S3 logs
   */
  public readonly logUri?: string;
  /**
   * The KMS key ARN of the S3 logs, when they have one.
   * @default - S3-managed encryption
   */
  public readonly logEncryptionKeyArn?: string;
  /** Security groups of the application's workers, when it runs in a VPC. */
  public readonly securityGroups: ec2.ISecurityGroup[];
  /** The L1 resource. */
  public readonly cfnApplication: emrs.CfnApplication;

  protected readonly s3Logs?: S3LogsOptions;
  protected readonly cloudWatchLogs?: CloudWatchLogsOptions;

  public constructor(scope: Construct, id: string, props: EmrServerlessApplicationProps = {}) {
    super(scope, id);
    validateApplicationName(props.applicationName);
    this.releaseLabel = props.releaseLabel ?? DEFAULT_EMR_RELEASE;
    this.release = resolveEmrRelease(this.releaseLabel, 'releaseLabel');
    this.architecture = props.architecture ?? EmrServerlessArchitecture.ARM64;
    if (!Object.values(EmrServerlessArchitecture).includes(this.architecture)) {
      throw invalidValue('architecture', this.architecture, `expected one of ${Object.values(EmrServerlessArchitecture).join(', ')}`);
    }
    const maxExecutors = props.maxExecutors ?? DEFAULT_MAX_EXECUTORS;
    // The model validates the shapes against the worker rules and the release (shuffle-optimized disks).
    const tuned = SparkConfiguration.tune({
      target: DeploymentTarget.EMR_SERVERLESS,
      release: this.releaseLabel,
      executor: props.executor ?? DEFAULT_EXECUTOR,
      driver: props.driver,
      maxExecutors: props.maxExecutors,
      overrides: props.sparkConf,
    });
    ({ executor: this.executorShape, driver: this.driverShape } = workerShapes(tuned));
    const capacity = resolveMaximumCapacity(props.maximumCapacity, this.driverShape, this.executorShape, maxExecutors, props.initialCapacity);
    this.maximumCapacity = capacity;
    this.initialCapacity = props.initialCapacity;
    // A given maximumCapacity bounds the spark-defaults' cap (rule maximum-capacity): a default cap is lowered
    // to what fits, an explicit one that does not fit fails.
    const fit = props.maximumCapacity ? executorsWithinCapacity(capacity, this.driverShape, this.executorShape) : undefined;
    this.configuration = fit === undefined
      ? tuned
      : tuned.withExecutorCapacity(fit, capacityReason(capacity, fit, this.driverShape, this.executorShape));
    const idleMinutes = wholeMinutes('idleTimeout', props.idleTimeout ?? Duration.minutes(15), 1, 10080);
    validateApplicationFeatures(props, this.release);
    validateCloudWatchLogs(props.cloudWatchLogs);

    this.s3Logs = props.s3Logs;
    this.cloudWatchLogs = props.cloudWatchLogs;
    this.logUri = s3LogUri(props.s3Logs);
    this.logEncryptionKeyArn = props.s3Logs?.encryptionKey?.keyArn;

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.DESTROY;
    this.securityGroups = this.resolveSecurityGroups(props, removalPolicy);

    this.cfnApplication = new emrs.CfnApplication(this, 'Resource', {
      name: props.applicationName,
      type: 'Spark',
      releaseLabel: this.releaseLabel,
      architecture: this.architecture,
      runtimeConfiguration: [this.configuration.toEmrSparkDefaults()],
      initialCapacity: this.renderInitialCapacity(props.initialCapacity),
      maximumCapacity: {
        cpu: `${capacity.cpu} vCPU`,
        memory: `${capacity.memoryGb} GB`,
        disk: capacity.diskGb === undefined ? undefined : `${capacity.diskGb} GB`,
      },
      autoStartConfiguration: { enabled: props.autoStart ?? true },
      autoStopConfiguration: (props.autoStop ?? true)
        ? { enabled: true, idleTimeoutMinutes: idleMinutes }
        : { enabled: false },
      networkConfiguration: props.vpc ? {
        subnetIds: props.vpc.selectSubnets(props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnetIds,
        securityGroupIds: this.securityGroups.map(sg => sg.securityGroupId),
      } : undefined,
      imageConfiguration: props.imageUri ? { imageUri: props.imageUri } : undefined,
      workerTypeSpecifications: this.renderWorkerImages(props),
      monitoringConfiguration: renderMonitoring({ ...props, logUri: this.logUri }),
      schedulerConfiguration: this.renderScheduler(props),
      interactiveConfiguration: props.interactive ? {
        livyEndpointEnabled: props.interactive.livyEndpoint ?? false,
        studioEnabled: props.interactive.studio ?? false,
        sessionEnabled: props.interactive.sessions ?? false,
      } : undefined,
      identityCenterConfiguration: props.identityCenterInstanceArn ? { identityCenterInstanceArn: props.identityCenterInstanceArn } : undefined,
      tags: renderTags(props.tags),
    });
    this.cfnApplication.applyRemovalPolicy(removalPolicy);
    this.applicationId = this.cfnApplication.attrApplicationId;
    this.applicationArn = this.cfnApplication.attrArn;
  }

  private resolveSecurityGroups(props: EmrServerlessApplicationProps, removalPolicy: RemovalPolicy): ec2.ISecurityGroup[] {
    if (!props.vpc) return [];
    if (props.securityGroups) return props.securityGroups;
    const sg = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'EMR Serverless Spark workers: outbound only',
      allowAllOutbound: true,
    });
    sg.applyRemovalPolicy(removalPolicy);
    return [sg];
  }

  private renderInitialCapacity(initial: InitialCapacity | undefined): emrs.CfnApplication.InitialCapacityConfigKeyValuePairProperty[] | undefined {
    if (!initial) return undefined;
    const pairs: emrs.CfnApplication.InitialCapacityConfigKeyValuePairProperty[] = [];
    for (const [key, count, shape] of [['Driver', initial.driverWorkers ?? 0, this.driverShape], ['Executor', initial.executorWorkers ?? 0, this.executorShape]] as const) {
      if (!Number.isInteger(count) || count < 0 || count > 1000000) {
        throw invalidValue(`initialCapacity.${key.toLowerCase()}Workers`, count, 'expected a whole number of workers, 0 or more');
      }
      if (count > 0) pairs.push({ key, value: { workerCount: count, workerConfiguration: workerConfiguration(shape) } });
    }
    return pairs.length > 0 ? pairs : undefined;
  }

  private renderWorkerImages(props: EmrServerlessApplicationProps): { [key: string]: WorkerSpec } | undefined {
    const specs: { [key: string]: WorkerSpec } = {};
    if (props.driverImageUri) specs.Driver = { imageConfiguration: { imageUri: props.driverImageUri } };
    if (props.executorImageUri) specs.Executor = { imageConfiguration: { imageUri: props.executorImageUri } };
    return Object.keys(specs).length > 0 ? specs : undefined;
  }

  private renderScheduler(props: EmrServerlessApplicationProps): emrs.CfnApplication.SchedulerConfigurationProperty | undefined {
    if (props.maxConcurrentRuns === undefined && props.queueTimeout === undefined) return undefined;
    return { maxConcurrentRuns: props.maxConcurrentRuns, queueTimeoutMinutes: props.queueTimeout?.toMinutes() };
  }
}

class ImportedEmrServerlessApplication extends EmrServerlessApplicationBase implements IEmrServerlessApplication {
  public readonly applicationId: string;
  public readonly applicationArn: string;
  public readonly releaseLabel: string;
  public readonly architecture: EmrServerlessArchitecture;
  public readonly executorShape: WorkerShape;
  public readonly driverShape: WorkerShape;
  public readonly maximumCapacity?: MaximumCapacity;
  public readonly initialCapacity?: InitialCapacity;
  public readonly logUri?: string;
  public readonly logEncryptionKeyArn?: string;
  protected readonly s3Logs?: S3LogsOptions;
  protected readonly cloudWatchLogs?: CloudWatchLogsOptions;

  public constructor(scope: Construct, id: string, attrs: EmrServerlessApplicationAttributes) {
    super(scope, id);
    validateApplicationId(attrs.applicationId);
    resolveEmrRelease(attrs.releaseLabel, 'releaseLabel');
    // The model validates and completes the shapes as it does for an application created here.
    const tuned = SparkConfiguration.tune({
      target: DeploymentTarget.EMR_SERVERLESS,
      release: attrs.releaseLabel,
      executor: attrs.executorShape ?? DEFAULT_EXECUTOR,
      driver: attrs.driverShape,
    });
    this.applicationId = attrs.applicationId;
    this.applicationArn = Stack.of(this).formatArn({
      service: 'emr-serverless', resource: '/applications', resourceName: attrs.applicationId, arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    this.releaseLabel = attrs.releaseLabel;
    this.architecture = attrs.architecture ?? EmrServerlessArchitecture.ARM64;
    ({ executor: this.executorShape, driver: this.driverShape } = workerShapes(tuned));
    this.maximumCapacity = attrs.maximumCapacity;
    this.s3Logs = attrs.s3Logs;
    this.cloudWatchLogs = attrs.cloudWatchLogs;
    this.logUri = s3LogUri(attrs.s3Logs);
    this.logEncryptionKeyArn = attrs.s3Logs?.encryptionKey?.keyArn;
  }
}
