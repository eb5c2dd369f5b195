// Kept apart from job-code.ts, which loads aws-cdk-lib: the run contract (job/) and the command line use it.

/** How a target addresses a file of the job code. */
export enum CodeUriScheme {
  /** `s3://bucket/key`: EMR Serverless (EMRFS before emr-7.10, S3A after). */
  S3 = 's3',
  /** `s3a://bucket/key`: open-source Spark's S3 connector (Spark Operator). */
  S3A = 's3a',
  /** `local:///path`: a file already inside the Spark image (Spark Operator). */
  LOCAL = 'local',
}
