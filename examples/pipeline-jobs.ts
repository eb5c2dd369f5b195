/**
 * The jobs of the example pipeline, described once for every target: the feature pipeline
 * (`features` entry point), the validation job (`validate` entry point) and the ML training data
 * (`training_data` entry point) of the `spark_jobs` artifact, and one table-maintenance job: the nightly
 * merge of the raw transactions into a Delta table of each customer's latest transaction (`table merge`).
 * Both example apps (examples/emr-serverless, examples/spark-operator) render these same definitions;
 * test/job/both-targets.test.ts renders one definition on both targets side by side.
 */
import { JobCode } from '../src/artifacts';
import { TableFormat } from '../src/config/table-formats';
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
export function pipelineJobs(code: JobCode, buckets: PipelineBuckets): {
  features: SparkJobDefinition; validate: SparkJobDefinition; trainingData: SparkJobDefinition; customerLatest: SparkJobDefinition;
} {
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
  // Model-ready training data from the raw transactions: window and user features, whole users split
  // by a hash of key and seed, fills and scaler fitted on the training users only.
  const trainingData = new SparkJobDefinition({
    name: 'training-data',
    code,
    entryPoint: 'training_data',
    arguments: [
      '--input', `s3://${buckets.raw}/transactions/`,
      '--output', `s3://${buckets.curated}/training-data/`,
      '--windows', '7d,30d',
      '--test-fraction', '0.2',
      '--seed', '42',
      '--missing', 'user_amount_std=constant:0,user_amount_cv=constant:0',
    ],
    workload: { inputSizeGb: 50 },
    timeoutMinutes: 120,
  });
  // Table maintenance: upsert the transactions into a Delta table keyed by customer, the latest event per
  // customer winning (a row already in the table stays when it is newer). One atomic Delta commit per run;
  // the first run creates the table. Delta's jars: EMR's bundled ones on EMR Serverless, the pinned ones
  // the image holds on the Spark Operator (src/config/table-formats.ts).
  const customerLatest = new SparkJobDefinition({
    name: 'customer-latest',
    code,
    entryPoint: 'table',
    arguments: [
      'merge',
      '--target', `s3://${buckets.curated}/tables/customer-latest/`,
      '--source', `s3://${buckets.raw}/transactions/`,
      '--key', 'customer_id',
      '--order-by', 'event_time',
      '--format', 'delta',
    ],
    workload: { inputSizeGb: 50, tableFormat: { format: TableFormat.DELTA } },
    timeoutMinutes: 60,
    // A merge that lost to a concurrent writer changed nothing (exit 3): running it again is safe.
    retry: { maxAttempts: 2 },
  });
  return { features, validate, trainingData, customerLatest };
}
