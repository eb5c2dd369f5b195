import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';
import { CloudWatchLogsOptions, EMR_SERVERLESS_DEFAULT_LOG_GROUP, EmrServerlessArchitecture, InitialCapacity, MaximumCapacity, S3LogsOptions } from './application-options';
import { WorkerShape } from '../config/types';

/**
 * An EMR Serverless application, created here (`EmrServerlessApplication`) or owned by another stack or
 * team (`EmrServerlessApplication.fromApplicationAttributes`): what a job needs to run on it.
 */
export interface IEmrServerlessApplication extends IConstruct {
  /** The application's ID. */
  readonly applicationId: string;
  /** The application's ARN (`arn:<partition>:emr-serverless:<region>:<account>:/applications/<id>`). */
  readonly applicationArn: string;
  /** The release label jobs are tuned for. */
  readonly releaseLabel: string;
  /** The architecture of the workers. */
  readonly architecture: EmrServerlessArchitecture;
  /** The executor worker shape jobs get by default. */
  readonly executorShape: WorkerShape;
  /** The driver worker shape jobs get by default. */
  readonly driverShape: WorkerShape;
  /**
   * The maximum capacity, which bounds every job's executors.
   * @default - not known: jobs are not bounded at synth time
   */
  readonly maximumCapacity?: MaximumCapacity;
  /**
   * The pre-initialized workers.
   * @default - none
   */
  readonly initialCapacity?: InitialCapacity;
  /**
   * The `s3://` log location.
   * @default - no S3 logs
   */
  readonly logUri?: string;
  /**
   * The KMS key ARN of the S3 logs.
   * @default - S3-managed encryption
   */
  readonly logEncryptionKeyArn?: string;
  /** ARN pattern of the application's job runs. */
  readonly jobRunsArn: string;
  /**
   * Grants starting runs with an execution role and following or cancelling them: `StartJobRun` on the
   * application, `GetJobRun` and `CancelJobRun` on its runs, and `iam:PassRole` of that role to EMR Serverless only.
   */
  grantStartJobRun(grantee: iam.IGrantable, executionRole: iam.IRole): iam.Grant;
  /** Grants writing job logs where the application sends them (S3 prefix, CloudWatch log group, their KMS keys). */
  grantLogWrite(grantee: iam.IGrantable): iam.Grant;
  /** One EventBridge rule for failed job runs of the application; `targets` are added to it. */
  onJobRunFailed(targets?: events.IRuleTarget[]): events.Rule;
}

/** What the grants and the failed-runs rule of an application share, created or imported. */
export abstract class EmrServerlessApplicationBase extends Construct {
  public abstract readonly applicationId: string;
  public abstract readonly applicationArn: string;
  /** Where the application writes S3 logs, for `grantLogWrite`. */
  protected abstract readonly s3Logs?: S3LogsOptions;
  /** Where the application writes CloudWatch logs, for `grantLogWrite`. */
  protected abstract readonly cloudWatchLogs?: CloudWatchLogsOptions;
  private failedRunsRule?: events.Rule;

  /** ARN pattern of this application's job runs. */
  public get jobRunsArn(): string {
    return `${this.applicationArn}/jobruns/*`;
  }

  /**
   * Grants starting runs with an execution role and following or cancelling them: `StartJobRun` on the
   * application, `GetJobRun` and `CancelJobRun` on its runs, and `iam:PassRole` of that role to EMR Serverless only.
   */
  public grantStartJobRun(grantee: iam.IGrantable, executionRole: iam.IRole): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['emr-serverless:StartJobRun'], resourceArns: [this.applicationArn] })
      .combine(iam.Grant.addToPrincipal({ grantee, actions: ['emr-serverless:GetJobRun', 'emr-serverless:CancelJobRun'], resourceArns: [this.jobRunsArn] }))
      .combine(grantPassRole(grantee, executionRole));
  }

  /**
   * Grants writing job logs where this application sends them (S3 prefix, CloudWatch log group, their KMS keys).
   * `SparkJobExecutionRole` calls it for its application.
   */
  public grantLogWrite(grantee: iam.IGrantable): iam.Grant {
    let grant = iam.Grant.drop(grantee, 'write the application\'s logs (no log location configured)');
    const add = (g: iam.Grant | undefined) => { if (g) grant = grant.combine(g); };
    if (this.s3Logs) {
      const prefix = this.s3Logs.prefix ?? 'emr-serverless-logs';
      // EMR Serverless uploads logs with the runtime role: read and put, never delete.
      add(this.s3Logs.bucket.grantRead(grantee, `${prefix}/*`));
      add(this.s3Logs.bucket.grantPut(grantee, `${prefix}/*`));
      add(this.s3Logs.encryptionKey?.grantEncryptDecrypt(grantee));
    }
    if (this.cloudWatchLogs) {
      const stack = Stack.of(this);
      const groupArn = this.cloudWatchLogs.logGroup?.logGroupArn ?? stack.formatArn({
        service: 'logs', resource: 'log-group', resourceName: `${EMR_SERVERLESS_DEFAULT_LOG_GROUP}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      // DescribeLogGroups supports no resource-level permission (Service Authorization Reference): a
      // statement naming log-group ARNs would never match, so it takes '*'.
      add(iam.Grant.addToPrincipal({ grantee, actions: ['logs:DescribeLogGroups'], resourceArns: ['*'] }));
      add(iam.Grant.addToPrincipal({ grantee, actions: ['logs:DescribeLogStreams', 'logs:CreateLogStream', 'logs:PutLogEvents'], resourceArns: [groupArn] }));
      add(this.cloudWatchLogs.encryptionKey?.grantEncryptDecrypt(grantee));
    }
    return grant;
  }

  /**
   * One EventBridge rule for failed job runs of this application ("EMR Serverless Job Run State Change",
   * state FAILED), created on first use and shared by every caller; `targets` are added to it.
   */
  public onJobRunFailed(targets: events.IRuleTarget[] = []): events.Rule {
    if (!this.failedRunsRule) {
      this.failedRunsRule = new events.Rule(this, 'FailedRuns', {
        description: 'EMR Serverless job runs that ended FAILED on this application',
        eventPattern: {
          source: ['aws.emr-serverless'],
          detailType: ['EMR Serverless Job Run State Change'],
          detail: { applicationId: [this.applicationId], state: ['FAILED'] },
        },
      });
    }
    for (const t of targets) this.failedRunsRule.addTarget(t);
    return this.failedRunsRule;
  }
}

/** iam:PassRole of one role, to EMR Serverless only. */
function grantPassRole(grantee: iam.IGrantable, role: iam.IRole): iam.Grant {
  return iam.Grant.addToPrincipal({
    grantee,
    actions: ['iam:PassRole'],
    resourceArns: [role.roleArn],
    conditions: { StringEquals: { 'iam:PassedToService': 'emr-serverless.amazonaws.com' } },
  });
}
