// One SparkJobDefinition object, rendered by the EMR Serverless constructs (CDK) and by the Spark Operator
// constructs (cdk8s), side by side: the same code file, the same arguments, the same tuned properties where
// the targets agree, and a pinned list of the properties where they differ, with the reason for each.
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Testing } from 'cdk8s';
import { JobCode } from '../../src/artifacts';
import { EmrServerlessApplication, EmrServerlessSparkJob, SparkJobExecutionRole } from '../../src/emr-serverless';
import { SparkJobDefinition } from '../../src/job';
import { SparkOperatorApplication, SparkOperatorRbac, WorkloadIdentity } from '../../src/spark-operator';
import { expectValidManifests, synthManifests } from '../support/k8s-validation';

const BUCKET = 'spark-deploy-artifacts';
const PREFIX = 'artifacts/spark_jobs/0.1.0/3f2a9c1e0b7d4a55';
const SHAPE = { cpu: 4, memoryGb: 16 };
const DRIVER = { cpu: 2, memoryGb: 8 };

/** Splits a POSIX shell command line into words (single quotes, double quotes, backslashes). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === ' ') {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (c === '\'') {
      const end = line.indexOf('\'', i + 1);
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let quoted = '';
      for (; line[j] !== '"'; j++) quoted += line[j] === '\\' ? line[++j] : line[j];
      word = (word ?? '') + quoted;
      i = j;
    } else if (c === '\\') {
      word = (word ?? '') + line[++i];
    } else {
      word = (word ?? '') + c;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** `--conf k=v` pairs and `--py-files` of EMR's sparkSubmitParameters. */
function parseSubmitParameters(params: string): { conf: { [key: string]: string }; pyFiles: string[] } {
  const words = shellWords(params);
  const conf: { [key: string]: string } = {};
  let pyFiles: string[] = [];
  for (let i = 0; i < words.length; i += 2) {
    if (words[i] === '--conf') {
      const eq = words[i + 1].indexOf('=');
      conf[words[i + 1].slice(0, eq)] = words[i + 1].slice(eq + 1);
    } else if (words[i] === '--py-files') {
      pyFiles = words[i + 1].split(',');
    } else {
      throw new Error(`unexpected word '${words[i]}' in sparkSubmitParameters`);
    }
  }
  return { conf, pyFiles };
}

/** Every property the SparkApplication carries, as Spark reads it (typed fields mapped to their keys). */
function operatorProperties(spec: any): { [key: string]: string } {
  const props: { [key: string]: string } = { ...spec.sparkConf };
  for (const [k, v] of Object.entries(spec.hadoopConf as { [key: string]: string })) props[`spark.hadoop.${k}`] = v;
  for (const role of ['driver', 'executor']) {
    props[`spark.${role}.cores`] = String(spec[role].cores);
    props[`spark.${role}.memory`] = spec[role].memory;
    props[`spark.${role}.memoryOverhead`] = spec[role].memoryOverhead;
    props[`spark.kubernetes.${role}.request.cores`] = spec[role].coreRequest;
    props[`spark.kubernetes.${role}.limit.cores`] = spec[role].coreLimit;
  }
  const da = spec.dynamicAllocation;
  if (da) {
    props['spark.dynamicAllocation.enabled'] = String(da.enabled);
    props['spark.dynamicAllocation.minExecutors'] = String(da.minExecutors);
    props['spark.dynamicAllocation.maxExecutors'] = String(da.maxExecutors);
    props['spark.dynamicAllocation.shuffleTracking.enabled'] = String(da.shuffleTrackingEnabled);
  }
  return props;
}

/** Strips the scheme: the same object in S3, whichever connector reads it. */
function objectOf(uri: string): string {
  return uri.replace(/^s3a?:\/\//, '');
}

describe('one job definition, two targets', () => {
  // GIVEN one job definition object
  const job = new SparkJobDefinition({
    name: 'features',
    code: JobCode.fromBucket({
      bucketName: BUCKET,
      prefix: PREFIX,
      entryPoints: { features: 'entrypoints/features.py', validate: 'entrypoints/validate.py' },
      pyFiles: ['spark_jobs.zip'],
      version: '0.1.0',
      contentHash: '3f2a9c1e0b7d4a55',
    }),
    entryPoint: 'features',
    arguments: ['--input', 's3://raw/transactions/', '--output', 's3://curated/features/', '--spec', 's3://platform/specs/features.json', '--input-format', 'parquet'],
    workload: { inputSizeGb: 50, pythonHeavy: true },
    sparkConf: { 'spark.sql.session.timeZone': 'UTC' },
    timeoutMinutes: 120,
    retry: { maxAttempts: 2 },
  });

  // WHEN EMR Serverless renders it (emr-7.12.0 runs Spark 3.5.6)...
  const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'Emr', { env: { account: '123456789012', region: 'eu-west-1' } });
  const application = new EmrServerlessApplication(stack, 'App', {
    releaseLabel: 'emr-7.12.0', executor: SHAPE, driver: DRIVER, s3Logs: { bucket: s3.Bucket.fromBucketName(stack, 'Logs', 'logs-bucket') },
  });
  const executionRole = new SparkJobExecutionRole(stack, 'Runtime', { application });
  new EmrServerlessSparkJob(stack, 'Features', { definition: job, application, executionRole, maxExecutors: 20, stateMachine: true });
  const stateMachine = Object.values(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'))[0] as any;
  // The definition is an Fn::Join of literal JSON and deploy-time ARNs; the job's own fields are literal.
  const definitionText = (stateMachine.Properties.DefinitionString['Fn::Join'][1] as any[]).map(p => (typeof p === 'string' ? p : 'TOKEN')).join('');
  const definition = JSON.parse(definitionText);
  const emr = definition.States[definition.StartAt].Parameters;

  // ...and the Spark Operator renders it (Spark 3.5.6), on pods of the same shapes.
  const chart = Testing.chart();
  const rbac = new SparkOperatorRbac(chart, 'Rbac', { namespace: 'spark-jobs', identity: WorkloadIdentity.irsa('arn:aws:iam::123456789012:role/spark-jobs') });
  new SparkOperatorApplication(chart, 'Features', {
    job, rbac, image: 'apache/spark:3.5.6-python3', sparkVersion: '3.5.6', executor: SHAPE, driver: DRIVER, maxExecutors: 20,
  });
  const docs = synthManifests(chart);
  const k8s = docs.find(d => d.kind === 'SparkApplication').spec;

  test('both renderings are valid for their targets', () => {
    expect(emr.JobDriver.SparkSubmit).toBeDefined();
    expectValidManifests(docs);
  });

  test('the same entry point file and --py-files, through each target\'s S3 connector', () => {
    expect(emr.JobDriver.SparkSubmit.EntryPoint).toBe(`s3://${BUCKET}/${PREFIX}/entrypoints/features.py`);
    expect(k8s.mainApplicationFile).toBe(`s3a://${BUCKET}/${PREFIX}/entrypoints/features.py`);
    expect(objectOf(k8s.mainApplicationFile)).toBe(objectOf(emr.JobDriver.SparkSubmit.EntryPoint));
    const { pyFiles } = parseSubmitParameters(emr.JobDriver.SparkSubmit.SparkSubmitParameters);
    expect(k8s.deps.pyFiles.map(objectOf)).toEqual(pyFiles.map(objectOf));
    expect(pyFiles).toEqual([`s3://${BUCKET}/${PREFIX}/spark_jobs.zip`]);
  });

  test('the same arguments, word for word', () => {
    expect(k8s.arguments).toEqual(emr.JobDriver.SparkSubmit.EntryPointArguments);
    expect(k8s.arguments).toEqual(job.arguments);
  });

  test('the same timeout and attempts', () => {
    expect(emr.ExecutionTimeoutMinutes).toBe(120);
    expect(k8s.driver.template.spec.activeDeadlineSeconds).toBe(120 * 60);
    expect(emr.RetryPolicy.MaxAttempts).toBe(2);
    expect(k8s.restartPolicy.onFailureRetries + 1).toBe(2);
  });

  test('the same tuned properties where the targets agree; the differences are the targets\' own', () => {
    // GIVEN both property sets as Spark reads them
    const onEmr = parseSubmitParameters(emr.JobDriver.SparkSubmit.SparkSubmitParameters).conf;
    const onK8s = operatorProperties(k8s);
    const shared = Object.keys(onEmr).filter(k => k in onK8s).sort();
    // THEN the shared keys hold the same values (heap, cores, AQE, partitions, Kryo, Arrow, S3A pool, the override)...
    const differing = shared.filter(k => onEmr[k] !== onK8s[k]);
    expect(differing).toEqual([]);
    for (const key of ['spark.executor.memory', 'spark.executor.cores', 'spark.driver.memory', 'spark.sql.shuffle.partitions',
      'spark.dynamicAllocation.maxExecutors', 'spark.sql.adaptive.enabled', 'spark.serializer', 'spark.sql.session.timeZone',
      'spark.hadoop.fs.s3a.connection.maximum']) {
      expect(shared).toContain(key);
    }
    // ...and only the targets' own properties appear on one side: EMR's worker settings; on Kubernetes the pod
    // overhead and CPU request = limit, shuffle tracking (no external shuffle service), S3A committer, s3:// binding,
    // identity-only credentials, and the Prometheus servlet.
    const emrOnly = Object.keys(onEmr).filter(k => !(k in onK8s)).sort();
    const k8sOnly = Object.keys(onK8s).filter(k => !(k in onEmr)).sort();
    // (EMR Serverless also gets an explicit start count: it starts 3 executors unless told, rule dynamic-allocation-bounds.)
    for (const key of emrOnly) expect(key).toMatch(/^spark\.emr-serverless\.|^spark\.dynamicAllocation\.initialExecutors$/);
    for (const key of k8sOnly) {
      expect(key).toMatch(/^spark\.(driver|executor)\.memoryOverhead$|^spark\.kubernetes\.(driver|executor)\.(request|limit)\.cores$|^spark\.dynamicAllocation\.shuffleTracking\.enabled$|^spark\.hadoop\.(fs\.s3a\.(committer|aws\.credentials)|fs\.s3\.impl|fs\.AbstractFileSystem\.s3\.impl|mapreduce\.outputcommitter\.factory\.scheme\.s3)|^spark\.sql\.(sources\.commitProtocolClass|parquet\.output\.committer\.class)$|^spark\.(ui\.prometheus\.enabled|metrics\.)/);
    }
    // Each pod is heap + overhead; EMR adds its overhead to the same heap inside a worker of the same size.
    expect(onK8s['spark.executor.memory']).toBe(onEmr['spark.executor.memory']);
  });
});
