/**
 * Example: our PySpark feature pipeline and validation job on Kubernetes with the Kubeflow Spark Operator
 * (v2.x). One namespace (Pod Security `restricted`) with the driver's least RBAC and a separate executor
 * service account, both with the same IRSA role; the `features` job as a SparkApplication (dynamic
 * allocation, driver on on-demand nodes, executors on a tainted spot pool) and the `validate` job as a
 * ScheduledSparkApplication every night. The job code is the versioned `spark_jobs` artifact, addressed
 * through S3A at the same content-hashed key the EMR Serverless example uploads. No cluster needed:
 *
 *   npx ts-node --prefer-ts-exts examples/spark-operator/app.ts   (writes examples/spark-operator/dist)
 *   kubectl apply --server-side -f examples/spark-operator/dist/   (on a cluster with the operator)
 *
 * The operator must list the namespace in its Helm value `spark.jobNamespaces`. The image is
 * apache/spark:3.5.6-python3 plus the S3A jars of its Hadoop line (hadoop-aws 3.3.4, aws-java-sdk-bundle
 * 1.12.262, spark-hadoop-cloud_2.12 3.5.6): `connectorPackages('3.5', '3.5.6', false)` lists them.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Chart, YamlOutputType } from 'cdk8s';
import { Construct } from 'constructs';
import { JobCode } from '../../src/artifacts';
import { buildJobArtifact } from '../../src/artifacts/job-artifact-builder';
import {
  ConcurrencyPolicy, ScheduledSparkOperatorApplication, SparkOperatorApplication, SparkOperatorRbac,
  TaintEffect, TolerationOperator, WorkloadIdentity,
} from '../../src/spark-operator';
import { exampleJobDependencies } from '../example-dependencies';
import { pipelineJobs } from '../pipeline-jobs';

/** Names the example uses for the AWS side (made by the platform's CDK/Terraform, not here). */
export const EXAMPLE_AWS = {
  roleArn: 'arn:aws:iam::123456789012:role/spark-features-jobs',
  image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/spark-jobs:3.5.6-python3-s3a',
  buckets: { raw: 'example-raw-data', curated: 'example-curated-data', platform: 'example-spark-platform' },
};

/** The `spark_jobs` artifact's code at its versioned key (`artifacts/spark_jobs/<version>/<hash>`). */
export function artifactCode(bucketName: string): JobCode {
  // Built into a scratch directory only to learn the version, content hash and layout; with the EMR
  // example's dependency archive (emr-7.12.0, ARM64), so the content hash and key are the uploaded ones.
  // That archive is for EMR's Python: this image brings its own numpy, pandas and pyarrow, so the code is
  // referenced without it (to ship an archive here, build one for the image's Python and set imagePython).
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'spark-deploy-example-artifact-'));
  const built = buildJobArtifact({ outDir: path.join(scratch, 'artifact'), dependencies: exampleJobDependencies() });
  fs.rmSync(scratch, { recursive: true, force: true });
  return JobCode.fromBucket({
    bucketName,
    prefix: `artifacts/${built.keyPrefix}`,
    entryPoints: built.entryPoints,
    pyFiles: built.pyFiles,
    version: built.version,
    contentHash: built.contentHash,
  });
}

/** The pipeline in its own namespace. */
export class SparkFeaturesChart extends Chart {
  public constructor(scope: Construct, id: string) {
    super(scope, id);
    const rbac = new SparkOperatorRbac(this, 'Rbac', {
      namespace: 'spark-features',
      createNamespace: true,
      namespaceLabels: { 'app.kubernetes.io/part-of': 'spark-features' },
      identity: WorkloadIdentity.irsa(EXAMPLE_AWS.roleArn),
    });
    const { features, validate } = pipelineJobs(artifactCode(EXAMPLE_AWS.buckets.platform), EXAMPLE_AWS.buckets);
    const common = {
      rbac,
      image: EXAMPLE_AWS.image,
      sparkVersion: '3.5.6',
      labels: { 'app.kubernetes.io/part-of': 'spark-features' },
      // Shuffle spill and S3A upload buffers on local disk, bounded per pod.
      ephemeralStorage: '50Gi',
      // Drivers on on-demand capacity; executors on the Spark spot pool, which is tainted for Spark only.
      driverPlacement: { nodeSelector: { 'karpenter.sh/capacity-type': 'on-demand' } },
      executorPlacement: {
        nodeSelector: { 'karpenter.sh/capacity-type': 'spot' },
        tolerations: [{ key: 'workload', operator: TolerationOperator.EQUAL, value: 'spark', effect: TaintEffect.NO_SCHEDULE }],
      },
    };
    new SparkOperatorApplication(this, 'Features', {
      ...common,
      job: features,
      executor: { cpu: 4, memoryGb: 16 },
      driver: { cpu: 2, memoryGb: 8 },
      maxExecutors: 20,
      // Finished runs are collected after a day; applying the manifest again afterwards reruns the job.
      timeToLiveSeconds: 86400,
    });
    new ScheduledSparkOperatorApplication(this, 'Validate', {
      ...common,
      job: validate,
      executor: { cpu: 2, memoryGb: 8 },
      driver: { cpu: 1, memoryGb: 4 },
      maxExecutors: 4,
      // Nightly at 04:00 UTC, after the features job's 02:00 run on EMR Serverless or here.
      schedule: '0 4 * * *',
      timeZone: 'UTC',
      concurrencyPolicy: ConcurrencyPolicy.FORBID,
      successfulRunHistoryLimit: 3,
      failedRunHistoryLimit: 5,
    });
  }
}

/** Builds the example app into `outdir` (one YAML file per chart). */
export function buildExampleApp(outdir = path.join(__dirname, 'dist')): App {
  const app = new App({ outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
  new SparkFeaturesChart(app, 'spark-features');
  return app;
}

if (require.main === module) {
  buildExampleApp().synth();
}
