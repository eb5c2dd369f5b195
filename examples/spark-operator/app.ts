/**
 * Example: our PySpark feature pipeline and validation job on Kubernetes with the Kubeflow Spark Operator
 * (v2.x). One namespace (Pod Security `restricted`) with the driver's least RBAC and a separate executor
 * service account, both with the same IRSA role; the `features` job as a SparkApplication (dynamic
 * allocation, driver on on-demand nodes, executors on a tainted spot pool) and the `validate` job as a
 * ScheduledSparkApplication every night, and the `customer-latest` Delta merge (`table merge`) every night. The job code is the versioned `spark_jobs` artifact, addressed
 * through S3A at the same content-hashed key the EMR Serverless example uploads. No cluster needed:
 *
 *   npx ts-node --prefer-ts-exts examples/spark-operator/app.ts   (writes examples/spark-operator/dist)
 *   kubectl apply --server-side -f examples/spark-operator/dist/   (on a cluster with the operator)
 *
 * The operator must list the namespace in its Helm value `spark.jobNamespaces`. The image is
 * apache/spark:3.5.6-java17-python3 (Ubuntu 22.04, CPython 3.10; not `3.5.6-python3`, whose CPython 3.8 is
 * too old for the jobs) plus the S3A jars of its Hadoop line (hadoop-aws 3.3.4, aws-java-sdk-bundle
 * 1.12.262, spark-hadoop-cloud_2.12 3.5.6): `connectorPackages('3.5', '3.5.6', false)` lists them, and the
 * pinned Delta jars in /opt/spark/table-jars/ (delta-spark_2.12 and delta-storage 3.3.2,
 * `TABLE_FORMAT_PACKAGES['3.5'].delta` with their SHA-1s; `bash scripts/fetch-table-jars.sh 3.5` fetches them). The jobs'
 * numpy, pandas and pyarrow come with the code as a dependency archive built for that Python on arm64
 * (examples/example-dependencies.ts), checked against `imagePython` at synth time; the pods run on arm64 nodes.
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
import { EXAMPLE_IMAGE_PYTHON, exampleJobDependencies } from '../example-dependencies';
import { pipelineJobs } from '../pipeline-jobs';

/** Names the example uses for the AWS side (made by the platform's CDK/Terraform, not here). */
export const EXAMPLE_AWS = {
  roleArn: 'arn:aws:iam::123456789012:role/spark-features-jobs',
  image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/spark-jobs:3.5.6-java17-python3-s3a',
  buckets: { raw: 'example-raw-data', curated: 'example-curated-data', platform: 'example-spark-platform' },
};

/** The `spark_jobs` artifact's code at its versioned key (`artifacts/spark_jobs/<version>/<hash>`). */
export function artifactCode(bucketName: string): JobCode {
  // Built into a scratch directory only to learn the version, content hash, layout, dependency archives
  // and imports; with the EMR example's dependencies (one archive for emr-7.12.0, one for this image), so
  // the content hash and key are the ones the EMR example uploads.
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
    dependencyArchives: built.dependencyArchives.map(a => ({ path: a.path, target: a.target, topLevel: a.topLevel })),
    requiredImports: built.imports ? Object.keys(built.imports) : undefined,
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
    const { features, validate, trainingData, customerLatest } = pipelineJobs(artifactCode(EXAMPLE_AWS.buckets.platform), EXAMPLE_AWS.buckets);
    const common = {
      rbac,
      image: EXAMPLE_AWS.image,
      sparkVersion: '3.5.6',
      // What the image runs: the archive for it is picked and checked at synth time (numpy, pandas, pyarrow).
      imagePython: EXAMPLE_IMAGE_PYTHON,
      labels: { 'app.kubernetes.io/part-of': 'spark-features' },
      // Shuffle spill and S3A upload buffers on local disk, bounded per pod.
      ephemeralStorage: '50Gi',
      // Drivers on on-demand capacity; executors on the Spark spot pool, which is tainted for Spark only.
      // Both on arm64 nodes: the dependency archive holds aarch64 wheels.
      driverPlacement: { nodeSelector: { 'karpenter.sh/capacity-type': 'on-demand', 'kubernetes.io/arch': 'arm64' } },
      executorPlacement: {
        nodeSelector: { 'karpenter.sh/capacity-type': 'spot', 'kubernetes.io/arch': 'arm64' },
        tolerations: [{ key: 'workload', operator: TolerationOperator.EQUAL, value: 'spark', effect: TaintEffect.NO_SCHEDULE }],
      },
    };
    // What every scheduled job here shares: UTC, no overlapping runs, a short run history.
    const nightly = {
      timeZone: 'UTC',
      concurrencyPolicy: ConcurrencyPolicy.FORBID,
      successfulRunHistoryLimit: 3,
      failedRunHistoryLimit: 5,
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
    new SparkOperatorApplication(this, 'TrainingData', {
      ...common,
      job: trainingData,
      executor: { cpu: 4, memoryGb: 16 },
      driver: { cpu: 2, memoryGb: 8 },
      maxExecutors: 10,
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
      ...nightly,
    });
    // Table maintenance: the nightly Delta merge at 03:00 UTC. Its jars are the pinned Delta jars for
    // Spark 3.5 (Scala 2.12) the image holds in /opt/spark/table-jars/ (spark.jars names them; nothing is
    // downloaded at job start).
    new ScheduledSparkOperatorApplication(this, 'CustomerLatest', {
      ...common,
      job: customerLatest,
      executor: { cpu: 4, memoryGb: 16 },
      driver: { cpu: 2, memoryGb: 8 },
      maxExecutors: 10,
      schedule: '0 3 * * *',
      ...nightly,
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
  buildExampleApp(process.env.CDK8S_OUTDIR).synth();
}
