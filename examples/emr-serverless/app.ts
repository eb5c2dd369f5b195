/**
 * Example: our PySpark feature pipeline and validation job on EMR Serverless.
 *
 * One application (Graviton, auto-stop after 15 idle minutes, capped capacity), the `spark_jobs` package
 * uploaded as a versioned artifact, a least-privilege runtime role, the `features` job on a nightly
 * schedule (EventBridge Scheduler → Step Functions `.sync`), the `validate` and `training-data` jobs for the
 * CLI, the nightly `customer-latest` Delta merge (`table merge`, at 03:00 UTC), two data buckets (raw and curated). Synthesizes without an AWS account and without Docker:
 *
 *   npx ts-node -T -P test/tsconfig.json examples/emr-serverless/app.ts   (writes examples/emr-serverless/cdk.out)
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, Aspects, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { VersionedJobArtifact } from '../../src/artifacts';
import { EXAMPLE_RELEASE_LABEL, exampleJobDependencies } from '../example-dependencies';
import { EmrServerlessApplication, EmrServerlessSparkJob, SparkJobExecutionRole } from '../../src/emr-serverless';
import { pipelineJobs } from '../pipeline-jobs';

/** An encrypted, TLS-only, private bucket logging its access to `accessLogs`. */
function secureBucket(scope: Construct, id: string, accessLogs: s3.IBucket): s3.Bucket {
  return new s3.Bucket(scope, id, {
    encryption: s3.BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    versioned: true,
    serverAccessLogsBucket: accessLogs,
    serverAccessLogsPrefix: `${id.toLowerCase()}/`,
    removalPolicy: RemovalPolicy.RETAIN,
  });
}

export class SparkFeaturesStack extends Stack {
  public constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The access-log bucket cannot log into itself (S3 would log its own log writes without end).
    (accessLogs.node.defaultChild as s3.CfnBucket).addMetadata('cdk_nag', {
      rules_to_suppress: [{ id: 'AwsSolutions-S1', reason: 'this is the server access log bucket of the other buckets; logging it into itself would loop' }],
    });
    const platform = secureBucket(this, 'Platform', accessLogs); // job code (artifacts/) and job logs
    const raw = secureBucket(this, 'Raw', accessLogs);
    const curated = secureBucket(this, 'Curated', accessLogs);

    // Context `jobsSourceDir` packages another checkout of the jobs; by default, this repository's spark_jobs.
    const sourceDir = this.node.tryGetContext('jobsSourceDir') as string | undefined;
    const releaseLabel = EXAMPLE_RELEASE_LABEL;
    // The jobs import numpy, pandas and pyarrow: ship them as a dependency archive for this application's
    // Python (3.9), architecture (ARM64, the default) and OS (Amazon Linux 2023), built from binary wheels
    // without Docker (see examples/example-dependencies.ts).
    const artifact = new VersionedJobArtifact(this, 'SparkJobs', { bucket: platform, sourceDir, dependencies: exampleJobDependencies() });
    const application = new EmrServerlessApplication(this, 'Spark', {
      releaseLabel,
      executor: { cpu: 4, memoryGb: 16 },
      maxExecutors: 20,
      s3Logs: { bucket: platform, prefix: 'emr-serverless-logs' },
      maxConcurrentRuns: 10,
      tags: { project: 'spark-deploy-example' },
    });
    const runtime = new SparkJobExecutionRole(this, 'JobRole', { application, artifacts: [artifact] });
    runtime.grantReadData(raw, 'transactions');
    runtime.grantReadData(platform, 'specs');
    runtime.grantReadWriteData(curated, 'features');
    runtime.grantReadWriteData(curated, 'validation');
    runtime.grantReadWriteData(curated, 'training-data');
    runtime.grantReadWriteData(curated, 'tables/customer-latest');

    // The feature spec the `features` job reads (`--spec`), from the jobs package's example.
    const spec = new s3deploy.BucketDeployment(this, 'FeatureSpec', {
      sources: [s3deploy.Source.data('features.json', fs.readFileSync(path.join(__dirname, '..', '..', 'jobs', 'examples', 'feature_spec.json'), 'utf8'))],
      destinationBucket: platform,
      destinationKeyPrefix: 'specs/',
      prune: false,
      outputObjectKeys: false,
      // Same memory as the artifact upload, so both share one handler Lambda (and its recorded cdk-nag reasons).
      memoryLimit: 256,
    });

    // The same job definitions the Spark Operator example renders (examples/pipeline-jobs.ts).
    const { features, validate, trainingData, customerLatest } = pipelineJobs(artifact.code, {
      raw: raw.bucketName,
      curated: curated.bucketName,
      platform: spec.deployedBucket.bucketName,
    });
    new EmrServerlessSparkJob(this, 'Features', {
      definition: features,
      application,
      executionRole: runtime,
      // Nightly at 02:00 UTC.
      schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '2' }),
    });
    runtime.grantReadData(curated, 'features-reference');
    new EmrServerlessSparkJob(this, 'Validate', { definition: validate, application, executionRole: runtime });
    new EmrServerlessSparkJob(this, 'TrainingData', { definition: trainingData, application, executionRole: runtime });
    // Table maintenance: the nightly Delta merge, after the 02:00 features run (Delta from the release's bundled jars).
    new EmrServerlessSparkJob(this, 'CustomerLatest', {
      definition: customerLatest,
      application,
      executionRole: runtime,
      schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '3' }),
    });
  }
}

/** Builds the example app into `outdir`; cdk-nag's AWS Solutions checks run on it. */
export function buildExampleApp(outdir = path.join(__dirname, 'cdk.out'), context: { [key: string]: unknown } = {}): App {
  // Server access logs through a bucket policy rather than the legacy LogDeliveryWrite ACL.
  const app = new App({ outdir, context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true, ...context } });
  new SparkFeaturesStack(app, 'SparkFeaturesOnEmrServerless', { description: 'spark-deploy example: feature pipeline and validation on EMR Serverless' });
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  return app;
}

if (require.main === module) {
  buildExampleApp(process.env.CDK_OUTDIR).synth();
}
