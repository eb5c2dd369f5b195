/**
 * The two jobs of the example pipeline, described once for every target: the feature pipeline
 * (`features` entry point) and the validation job (`validate` entry point) of the `spark_jobs` artifact.
 * Both example apps (examples/emr-serverless, examples/spark-operator) render these same definitions;
 * test/job/both-targets.test.ts renders one definition on both targets side by side.
 */
import { JobCode } from '../src/artifacts';
import { SparkJobDefinition } from '../src/job';

/** Where the pipeline reads and writes. */
export interface PipelineBuckets {
  /** Raw input (transactions). */
  readonly raw: string;
  /** Curated output (features, validation reports). */
  readonly curated: string;
  /** The platform bucket (feature specs). */
  readonly platform: string;
}

/** The pipeline's job definitions for a given artifact and buckets. */
export function pipelineJobs(code: JobCode, buckets: PipelineBuckets): { features: SparkJobDefinition; validate: SparkJobDefinition } {
  const features = new SparkJobDefinition({
    name: 'features',
    code,
    entryPoint: 'features',
    arguments: [
      '--input', `s3://${buckets.raw}/transactions/`,
      '--output', `s3://${buckets.curated}/features/`,
      '--spec', `s3://${buckets.platform}/specs/features.json`,
      '--input-format', 'parquet',
    ],
    workload: { inputSizeGb: 50, pythonHeavy: true },
    timeoutMinutes: 120,
    retry: { maxAttempts: 2 },
  });
  const validate = new SparkJobDefinition({
    name: 'validate',
    code,
    entryPoint: 'validate',
    arguments: [
      '--input', `s3://${buckets.curated}/features/`,
      '--reference', `s3://${buckets.curated}/features-reference/`,
      '--output', `s3://${buckets.curated}/validation/`,
    ],
    timeoutMinutes: 60,
  });
  return { features, validate };
}
