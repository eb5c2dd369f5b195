import { CfnOutput, Lazy, Stack } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { invalidValue } from '../config/errors';

/**
 * The name of the one stack output that lists every EMR Serverless job of the stack, as JSON:
 * `{ "<job name>": { applicationId, executionRoleArn, entryPoint, entryPointArguments,
 * sparkSubmitParameters, logUri?, executionTimeoutMinutes, maxAttempts, stateMachineArn? } }`.
 * The CLI reads it from `cdk deploy --outputs-file`.
 */
export const JOBS_OUTPUT_KEY = 'SparkDeployJobs';

/** What the CLI needs to start one job run (the StartJobRun request, minus the client token). */
export interface JobRunContract {
  /** The application's ID. */
  readonly applicationId: string;
  /** The job runtime role's ARN. */
  readonly executionRoleArn: string;
  /** `s3://` URI of the entry-point script. */
  readonly entryPoint: string;
  /** Arguments to the entry point. */
  readonly entryPointArguments: string[];
  /** `--py-files …` and the tuned `--conf` pairs. */
  readonly sparkSubmitParameters: string;
  /**
   * The application's S3 log location.
   * @default - no S3 logs (managed persistence only)
   */
  readonly logUri?: string;
  /** Run time limit, minutes. */
  readonly executionTimeoutMinutes: number;
  /** Attempts in all (1 = no retry). */
  readonly maxAttempts: number;
  /**
   * The job's state machine, when it has one.
   * @default - none
   */
  readonly stateMachineArn?: string;
}

/** The stack-level registry behind the `SparkDeployJobs` output. */
class JobsOutput extends Construct {
  public static of(scope: IConstruct): JobsOutput {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(`${JOBS_OUTPUT_KEY}Registry`) as JobsOutput | undefined;
    return existing ?? new JobsOutput(stack, `${JOBS_OUTPUT_KEY}Registry`);
  }

  private readonly jobs: { [name: string]: JobRunContract } = {};

  private constructor(stack: Stack, id: string) {
    super(stack, id);
    new CfnOutput(stack, JOBS_OUTPUT_KEY, {
      description: 'spark-deploy: EMR Serverless jobs of this stack (JSON: job name -> StartJobRun inputs)',
      value: Lazy.string({ produce: () => stack.toJsonString(sortedObject(this.jobs)) }),
    });
  }

  public register(name: string, contract: JobRunContract): void {
    if (name in this.jobs) {
      throw invalidValue('definition.name', name, 'job names must be unique within a stack (they key the SparkDeployJobs output)');
    }
    this.jobs[name] = contract;
  }
}

function sortedObject<T>(obj: { [k: string]: T }): { [k: string]: T } {
  return Object.fromEntries(Object.keys(obj).sort().map(k => [k, obj[k]]));
}

/** Adds a job to its stack's `SparkDeployJobs` output. */
export function registerJobOutput(scope: IConstruct, name: string, contract: JobRunContract): void {
  JobsOutput.of(scope).register(name, contract);
}
