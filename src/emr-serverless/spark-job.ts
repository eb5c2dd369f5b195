import { Annotations, ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { IEmrServerlessApplication } from './application-base';
import { capacityReason, workerShapes } from './capacity';
import { SparkJobExecutionRole } from './execution-role';
import { registerJobOutput } from './job-outputs';
import { suppressFindings } from '../artifacts/cdk-nag-metadata';
import { CodeUriScheme } from '../artifacts/job-code';
import { EMR_SERVERLESS_RULES, executorsWithinCapacity } from '../config/emr-serverless-rules';
import { invalidValue } from '../config/errors';
import { SparkConfiguration } from '../config/spark-configuration';
import { IcebergCatalogKind, TableFormat } from '../config/table-formats';
import { DeploymentTarget, DiskType, WorkerShape } from '../config/types';
import { isUnresolved } from '../config/unresolved';
import { emrSparkSubmitParameters, JobRunContract, renderStartJobRun, StartJobRunFields } from '../job/emr-job-run';
import { SparkJobDefinition } from '../job/spark-job-definition';

/** Options for `EmrServerlessSparkJob.startJobRunTask`. */
export interface StartJobRunTaskOptions {
  /**
   * JSONPath in the state input to take the entry-point arguments from (a list of strings), for per-run
   * arguments; the job's own arguments are used when omitted.
   * @default - the job definition's arguments
   */
  readonly argumentsPath?: string;
  /**
   * Where to put the task's result in the state.
   * @default '$.jobRun'
   */
  readonly resultPath?: string;
}

/** Properties for `EmrServerlessSparkJob`. */
export interface EmrServerlessSparkJobProps {
  /** The target-neutral job definition. */
  readonly definition: SparkJobDefinition;
  /** The application the job runs on. */
  readonly application: IEmrServerlessApplication;
  /** The runtime role. The job grants it read access to its code's prefix. */
  readonly executionRole: SparkJobExecutionRole;
  /**
   * Executor worker shape for this job.
   * @default - the application's executor shape
   */
  readonly executor?: WorkerShape;
  /**
   * Driver worker shape for this job.
   * @default - the application's driver shape
   */
  readonly driver?: WorkerShape;
  /**
   * A fixed executor count (dynamic allocation off).
   * @default - dynamic allocation
   */
  readonly executorInstances?: number;
  /**
   * The dynamic allocation cap.
   * @default - from the workload's input size
   */
  readonly maxExecutors?: number;
  /**
   * Run the job on this schedule (EventBridge Scheduler → the job's state machine).
   * @default - no schedule
   */
  readonly schedule?: scheduler.ScheduleExpression;
  /**
   * Create a state machine that runs the job with the `.sync` integration.
   * @default - true when `schedule` is set, else false
   */
  readonly stateMachine?: boolean;
  /**
   * Targets notified when a run fails (EventBridge).
   * @default - none: the rule and alarm still exist, add targets or actions later
   */
  readonly failureTargets?: events.IRuleTarget[];
  /**
   * The Python the job runs with: one of the release's Pythons (emr-7.x: 3.9 or 3.11). The code's
   * dependency archive must be built for it and for the application's architecture.
   * @default - the release's default Python (3.9 on emr-7.x, 3.11 on emr-spark-8.0.0)
   */
  readonly pythonVersion?: string;
}

/** The Step Functions managed rule `.sync` uses to learn that a run ended. */
const SYNC_MANAGED_RULE = 'StepFunctionsGetEventsForEMRServerlessJobRule';

/**
 * An EMR Serverless run of a `SparkJobDefinition`: tuned `sparkSubmitParameters` for the application's
 * release and worker shapes, a Step Functions task on the optimized `startJobRun.sync` integration (the run
 * is cancelled when the state machine stops), an optional state machine and EventBridge Scheduler schedule,
 * failure notification, and least-privilege grants with the real IAM actions.
 *
 * Every job also adds itself to its stack's single `SparkDeployJobs` CloudFormation output (JSON: job
 * name → `{ applicationId, executionRoleArn, entryPoint, entryPointArguments, sparkSubmitParameters,
 * logUri, executionTimeoutMinutes, maxAttempts, stateMachineArn }`), which the spark-deploy CLI reads from
 * `cdk deploy --outputs-file` to start runs. One output for all jobs keeps the stack far from the
 * 200-outputs limit.
 */
export class EmrServerlessSparkJob extends Construct {
  /** The job definition. */
  public readonly definition: SparkJobDefinition;
  /** The application. */
  public readonly application: IEmrServerlessApplication;
  /** The runtime role. */
  public readonly executionRole: SparkJobExecutionRole;
  /** The tuned configuration for this job on this application. */
  public readonly configuration: SparkConfiguration;
  /** The `s3://` URI of the entry point. */
  public readonly entryPointUri: string;
  /** `--py-files …` followed by the tuned `--conf` pairs. */
  public readonly sparkSubmitParameters: string;
  /** Attempts in all. */
  public readonly maxAttempts: number;
  /** The StartJobRun request every run of the job sends (the client token aside). */
  public readonly startJobRunFields: StartJobRunFields;
  /** The state machine, when created. */
  public readonly stateMachine?: sfn.StateMachine;
  /** The schedule, when set. */
  public readonly schedule?: scheduler.Schedule;
  /** The EventBridge rule for failed runs (of the state machine when there is one, else of the application). */
  public readonly failedRunsRule: events.Rule;
  /** An alarm on failed state machine executions, when there is a state machine. */
  public readonly failureAlarm?: cloudwatch.Alarm;

  public constructor(scope: Construct, id: string, props: EmrServerlessSparkJobProps) {
    super(scope, id);
    const def = props.definition;
    if (!(def instanceof SparkJobDefinition)) {
      throw invalidValue('definition', def, 'expected a SparkJobDefinition');
    }
    if (!def.code.isInBucket) {
      throw invalidValue('definition.code', def.code.root, 'EMR Serverless reads job code from S3: use a VersionedJobArtifact or JobCode.fromBucket, not JobCode.fromImage');
    }
    this.definition = def;
    this.application = props.application;
    this.executionRole = props.executionRole;
    this.maxAttempts = def.maxAttempts;
    const release = props.application.releaseLabel;

    const tuned = def.tune({
      target: DeploymentTarget.EMR_SERVERLESS,
      release,
      executor: props.executor ?? props.application.executorShape,
      driver: props.driver ?? (props.executor ? undefined : props.application.driverShape),
      executorInstances: props.executorInstances,
      maxExecutors: props.maxExecutors,
    });
    this.configuration = this.fitCapacity(tuned);
    this.entryPointUri = def.entryPointUri(CodeUriScheme.S3);
    const app = props.application;
    this.sparkSubmitParameters = emrSparkSubmitParameters(def, this.configuration, {
      releaseLabel: release, architecture: app.architecture, pythonVersion: props.pythonVersion,
    });
    // The one render of the run (limits and release gates included): the state machine task and the
    // stack output both come from it, and the client renders the output back to the same request.
    this.startJobRunFields = renderStartJobRun({ ...this.runContract(), name: def.name, maxFailedAttemptsPerHour: def.maxFailedAttemptsPerHour }, {
      fieldOf: definitionField,
      isUnresolved,
    });

    this.grantCodeRead();
    this.grantTableCatalog();

    const wantsStateMachine = props.stateMachine ?? props.schedule !== undefined;
    if (props.schedule && props.stateMachine === false) {
      throw invalidValue('stateMachine', false, 'a schedule starts the job\'s state machine; leave stateMachine unset or true');
    }
    if (wantsStateMachine) {
      this.stateMachine = this.createStateMachine();
      this.failedRunsRule = new events.Rule(this, 'FailedRuns', {
        description: `Failed, timed-out or aborted runs of the ${def.name} Spark job`,
        eventPattern: {
          source: ['aws.states'],
          detailType: ['Step Functions Execution Status Change'],
          detail: { stateMachineArn: [this.stateMachine.stateMachineArn], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
        },
      });
      for (const t of props.failureTargets ?? []) this.failedRunsRule.addTarget(t);
      this.failureAlarm = new cloudwatch.Alarm(this, 'FailureAlarm', {
        alarmDescription: `A run of the ${def.name} Spark job failed, timed out or was aborted`,
        metric: new cloudwatch.MathExpression({
          expression: 'failed + timedOut + aborted',
          usingMetrics: {
            failed: this.stateMachine.metricFailed(),
            timedOut: this.stateMachine.metricTimedOut(),
            aborted: this.stateMachine.metricAborted(),
          },
          period: Duration.minutes(5),
        }),
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    } else {
      this.failedRunsRule = props.application.onJobRunFailed(props.failureTargets ?? []);
    }
    if (props.schedule) {
      this.schedule = new scheduler.Schedule(this, 'Schedule', {
        schedule: props.schedule,
        description: `Runs the ${def.name} Spark job`,
        target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine!, {}),
        timeWindow: scheduler.TimeWindow.off(),
      });
    }

    registerJobOutput(this, def.name, this.runContract());
  }

  /**
   * An Iceberg job on the Glue catalog gets the catalog actions on its databases and their tables only;
   * it must name the databases (`tableFormat.databases`), so that the grant can be scoped.
   */
  private grantTableCatalog(): void {
    const format = this.definition.workload.tableFormat;
    if (format?.format !== TableFormat.ICEBERG || format.icebergCatalog !== IcebergCatalogKind.GLUE) return;
    if (!format.databases || format.databases.length === 0) {
      throw invalidValue('definition.workload.tableFormat.databases', format.databases,
        'an Iceberg job on the Glue catalog must name its Glue databases, so that its role is granted those and their tables only');
    }
    this.executionRole.grantIcebergGlueTables(format.databases);
  }

  /**
   * A Step Functions task that runs the job and waits for it (`arn:<partition>:states:::emr-serverless:startJobRun.sync`);
   * stopping the execution cancels the run. Grant the state machine `grantStartRunAndWait` when you use it in your own.
   */
  public startJobRunTask(scope: Construct, id: string, options: StartJobRunTaskOptions = {}): sfn.CustomState {
    const fields = options.argumentsPath !== undefined
      ? { ...this.startJobRunFields, jobDriver: { sparkSubmit: { ...this.startJobRunFields.jobDriver.sparkSubmit, entryPointArguments: undefined } } }
      : this.startJobRunFields;
    const parameters = statesParameters(fields);
    if (options.argumentsPath !== undefined) {
      parameters.JobDriver.SparkSubmit['EntryPointArguments.$'] = checkedPath('argumentsPath', options.argumentsPath);
    }
    return new sfn.CustomState(scope, id, {
      stateJson: {
        Type: 'Task',
        Resource: `arn:${Stack.of(this).partition}:states:::emr-serverless:startJobRun.sync`,
        // A fresh idempotency token per execution, never one frozen at synth time.
        Parameters: { ...parameters, 'ClientToken.$': 'States.UUID()' },
        ResultPath: checkedPath('resultPath', options.resultPath ?? '$.jobRun'),
      },
    });
  }

  /**
   * Grants starting, following and cancelling runs of this job: `emr-serverless:StartJobRun` on the
   * application, `GetJobRun` and `CancelJobRun` on its runs, and `iam:PassRole` of the runtime role to
   * EMR Serverless only.
   */
  public grantStartRun(grantee: iam.IGrantable): iam.Grant {
    return this.application.grantStartJobRun(grantee, this.executionRole.role);
  }

  /** `grantStartRun` plus what the `.sync` integration needs: the Step Functions managed EventBridge rule. */
  public grantStartRunAndWait(grantee: iam.IGrantable): iam.Grant {
    return this.grantStartRun(grantee).combine(iam.Grant.addToPrincipal({
      grantee,
      actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      resourceArns: [Stack.of(this).formatArn({ service: 'events', resource: 'rule', resourceName: SYNC_MANAGED_RULE, arnFormat: ArnFormat.SLASH_RESOURCE_NAME })],
    }));
  }

  /** What the CLI needs to start a run, as written to the `SparkDeployJobs` output. */
  public runContract(): JobRunContract {
    return {
      applicationId: this.application.applicationId,
      executionRoleArn: this.executionRole.roleArn,
      entryPoint: this.entryPointUri,
      entryPointArguments: this.definition.arguments,
      sparkSubmitParameters: this.sparkSubmitParameters,
      logUri: this.application.logUri,
      logEncryptionKeyArn: this.application.logEncryptionKeyArn,
      executionTimeoutMinutes: this.definition.timeoutMinutes,
      maxAttempts: this.maxAttempts,
      releaseLabel: this.application.releaseLabel,
      stateMachineArn: this.stateMachine?.stateMachineArn,
    };
  }

  /**
   * Bounds the job by its application's maximumCapacity (rule maximum-capacity): a default cap is lowered to the
   * executors that fit next to the driver, an explicit cap or executor count that does not fit fails. Warns when
   * the application's pre-initialized workers have other shapes than the job's (they would sit idle, billed).
   */
  private fitCapacity(tuned: SparkConfiguration): SparkConfiguration {
    const { executor, driver } = workerShapes(tuned);
    const app = this.application;
    const initial = app.initialCapacity;
    for (const [role, workers, jobShape, appShape] of [
      ['driver', initial?.driverWorkers ?? 0, driver, app.driverShape],
      ['executor', initial?.executorWorkers ?? 0, executor, app.executorShape],
    ] as const) {
      if (workers > 0 && !sameWorker(jobShape, appShape)) {
        const rule = EMR_SERVERLESS_RULES.preInitializedCapacity;
        Annotations.of(this).addWarningV2('spark-deploy:preInitializedCapacityUnused',
          `job ${this.definition.name}: its ${role} worker (${describeWorker(jobShape)}) differs from the application's ${workers} pre-initialized ${role} worker(s) `
          + `(${describeWorker(appShape)}), so this job cannot use them and they sit idle while billed; give the job the application's ${role} shape `
          + `(rule '${rule.id}': ${rule.sources.join(', ')})`);
      }
    }
    // An imported application may not say its capacity: then the service bounds the run.
    const capacity = app.maximumCapacity;
    const fit = capacity && executorsWithinCapacity(capacity, driver, executor);
    if (capacity === undefined || fit === undefined) return tuned;
    const reason = capacityReason(capacity, fit, driver, executor);
    try {
      return tuned.withExecutorCapacity(fit, reason);
    } catch (err) {
      // Name the job's own props: the cap or count came from them.
      throw new Error(`job ${this.definition.name}: ${(err as Error).message}`);
    }
  }

  private grantCodeRead(): void {
    // Whatever the code's origin (artifact, bucket or bucket name), the runtime role reads this version's
    // prefix through the bucket's own grant, its KMS key included.
    this.definition.code.bind(this, this.executionRole);
    this.executionRole.recordWildcardReasons();
  }

  private createStateMachine(): sfn.StateMachine {
    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', { retention: logs.RetentionDays.THREE_MONTHS });
    const task = this.startJobRunTask(this, 'RunSparkJob');
    // Room for every attempt plus queueing, so Step Functions never gives up before EMR does.
    const timeout = Duration.minutes(this.definition.timeoutMinutes * this.maxAttempts + 60);
    const sm = new sfn.StateMachine(this, 'StateMachine', {
      definitionBody: sfn.DefinitionBody.fromChainable(task),
      timeout,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    this.grantStartRunAndWait(sm);
    suppressFindings(sm.role, [
      { id: 'AwsSolutions-IAM5', reason: 'job run IDs are assigned at run time (…/jobruns/*); X-Ray and CloudWatch Logs delivery actions support no resource-level permissions' },
    ]);
    return sm;
  }
}

function sameWorker(a: WorkerShape, b: WorkerShape): boolean {
  return a.cpu === b.cpu && a.memoryGb === b.memoryGb && (a.diskGb ?? 20) === (b.diskGb ?? 20)
    && (a.diskType ?? DiskType.STANDARD) === (b.diskType ?? DiskType.STANDARD);
}

function describeWorker(s: WorkerShape): string {
  return `${s.cpu} vCPU, ${s.memoryGb} GB, ${s.diskGb ?? 20} GB ${s.diskType === DiskType.SHUFFLE_OPTIMIZED ? 'shuffle-optimized' : 'standard'} disk`;
}

/** The definition's fields behind each request field, for messages naming what the user wrote. */
const DEFINITION_FIELDS: { [field: string]: string } = {
  'entryPoint': 'definition.entryPoint',
  'entryPointArguments': 'definition.arguments',
  'sparkSubmitParameters': 'definition.sparkConf',
  'executionTimeoutMinutes': 'definition.timeoutMinutes',
  'retryPolicy.maxAttempts': 'definition.retry.maxAttempts',
  'retryPolicy.maxFailedAttemptsPerHour': 'definition.retry.maxFailedAttemptsPerHour',
};

/**
 * The request as Step Functions' optimized integration takes it: the API's fields, capitalized, unset
 * ones left out.
 */
function statesParameters(value: any): any {
  if (Array.isArray(value) || value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)
    .map(([k, v]) => [k.charAt(0).toUpperCase() + k.slice(1), statesParameters(v)]));
}

function definitionField(field: string): string {
  const [, name, index] = /^([^[]*)(.*)$/.exec(field)!;
  return (DEFINITION_FIELDS[name] ?? name) + index;
}

function checkedPath(field: string, path: string): string {
  if (!/^\$(\.|\[|$)/.test(path)) {
    throw invalidValue(field, path, 'expected a JSONPath starting with $, e.g. $.arguments');
  }
  return path;
}
