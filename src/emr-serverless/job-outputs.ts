import { CfnOutput, Lazy, Stack } from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { invalidValue } from '../config/errors';
import { JOBS_OUTPUT_KEY, JobRunContract } from '../job/emr-job-run';

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
