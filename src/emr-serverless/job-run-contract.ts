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
