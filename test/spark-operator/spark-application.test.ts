import * as kplus from 'cdk8s-plus-27';
import { chartWithRbac, featuresJob, IMAGE, imageCode, only } from './fixtures';
import { JobCode } from '../../src/artifacts';
import { OPERATOR_SPEC_KEYS } from '../../src/config/spark-configuration';
import {
  SparkOperatorApplication, SparkOperatorMonitoring, TaintEffect, TolerationOperator,
} from '../../src/spark-operator';
import { expectValidManifests, synthManifests } from '../support/k8s-validation';

/** MiB of a JVM size, parsed here independently of the library. */
function mib(size: string): number {
  const m = /^(\d+)([kmg])$/.exec(size);
  if (!m) throw new Error(`not a JVM size: ${size}`);
  return Number(m[1]) * ({ k: 1 / 1024, m: 1, g: 1024 } as any)[m[2]];
}

function synthApp(props: Partial<ConstructorParameters<typeof SparkOperatorApplication>[2]> = {}) {
  const { chart, rbac } = chartWithRbac();
  const app = new SparkOperatorApplication(chart, 'App', {
    job: featuresJob(), rbac, image: IMAGE, executor: { cpu: 4, memoryGb: 16 }, ...props,
  });
  const docs = synthManifests(chart);
  return { app, docs, spec: only(docs, 'SparkApplication').spec, manifest: only(docs, 'SparkApplication') };
}

describe('SparkOperatorApplication', () => {
  test('renders a manifest valid against the CRD, the core schemas and the security rules', () => {
    // GIVEN / WHEN
    const { docs } = synthApp();
    // THEN
    expectValidManifests(docs);
    expect(docs.map(d => d.kind)).toEqual(['Namespace', 'ServiceAccount', 'ServiceAccount', 'Role', 'RoleBinding', 'SparkApplication']);
  });

  test('each pod is exactly its shape: heap + overhead = pod memory, CPU request = limit', () => {
    // GIVEN a 4 vCPU / 16 GB executor pod and a 2 vCPU / 6 GB driver pod
    const { spec } = synthApp({ driver: { cpu: 2, memoryGb: 6 } });
    // THEN
    expect(mib(spec.executor.memory) + mib(spec.executor.memoryOverhead)).toBe(16 * 1024);
    expect(mib(spec.driver.memory) + mib(spec.driver.memoryOverhead)).toBe(6 * 1024);
    // Spark's floor: the overhead is at least max(384 MiB, 10% of the heap).
    expect(mib(spec.executor.memoryOverhead)).toBeGreaterThanOrEqual(Math.max(384, 0.1 * mib(spec.executor.memory)));
    expect([spec.executor.cores, spec.executor.coreRequest, spec.executor.coreLimit]).toEqual([4, '4', '4']);
    expect([spec.driver.cores, spec.driver.coreRequest, spec.driver.coreLimit]).toEqual([2, '2', '2']);
  });

  test('a fractional pod CPU becomes whole Spark cores and a millicore request = limit', () => {
    const { spec } = synthApp({ executor: { cpu: 3.5, memoryGb: 14 } });
    expect([spec.executor.cores, spec.executor.coreRequest, spec.executor.coreLimit]).toEqual([3, '3500m', '3500m']);
  });

  test('Python-heavy jobs get 40% overhead, still inside the pod', () => {
    const { spec } = synthApp({ job: featuresJob({ workload: { pythonHeavy: true } }) });
    expect(mib(spec.executor.memoryOverhead)).toBeGreaterThanOrEqual(0.4 * mib(spec.executor.memory));
    expect(mib(spec.executor.memory) + mib(spec.executor.memoryOverhead)).toBe(16 * 1024);
  });

  test('dynamic allocation by default, with shuffle tracking and no fixed count', () => {
    const { app, spec } = synthApp();
    expect(spec.dynamicAllocation).toEqual({
      enabled: true, minExecutors: 0, maxExecutors: app.config.maxExecutors, shuffleTrackingEnabled: true,
    });
    expect(spec.executor.instances).toBeUndefined();
  });

  test('a fixed executor count turns dynamic allocation off', () => {
    const { spec } = synthApp({ executorInstances: 6 });
    expect(spec.executor.instances).toBe(6);
    expect(spec.dynamicAllocation).toBeUndefined();
    expect(spec.sparkConf['spark.dynamicAllocation.enabled']).toBeUndefined();
  });

  test('every tuned property lands once: in a typed field, sparkConf or hadoopConf (as strings)', () => {
    // GIVEN
    const { app, spec } = synthApp({ monitoring: SparkOperatorMonitoring.none() });
    const properties = app.config.properties();
    // THEN typed fields carry the resource keys...
    for (const key of OPERATOR_SPEC_KEYS) expect(spec.sparkConf[key]).toBeUndefined();
    // ...and the rest is in the maps, unchanged, all strings.
    const rendered: { [key: string]: string } = { ...spec.sparkConf };
    for (const [k, v] of Object.entries(spec.hadoopConf as { [key: string]: string })) rendered[`spark.hadoop.${k}`] = v;
    const expected = Object.fromEntries(Object.entries(properties).filter(([k]) => !OPERATOR_SPEC_KEYS.includes(k)));
    expect(rendered).toEqual(expected);
    for (const v of Object.values(rendered)) expect(typeof v).toBe('string');
  });

  test('S3 code is read through S3A: main file and --py-files from the versioned prefix', () => {
    const { spec } = synthApp();
    expect(spec.type).toBe('Python');
    expect(spec.mode).toBe('cluster');
    expect(spec.mainApplicationFile).toBe('s3a://spark-deploy-artifacts/artifacts/spark_jobs/0.1.0/3f2a9c1e/entrypoints/features.py');
    expect(spec.deps).toEqual({ pyFiles: ['s3a://spark-deploy-artifacts/artifacts/spark_jobs/0.1.0/3f2a9c1e/spark_jobs.zip'] });
    expect(spec.arguments).toEqual(['--input', 's3://data/transactions/', '--output', 's3://data/features/', '--spec', 'default']);
  });

  test('code inside the image is addressed as local://', () => {
    const { spec, docs } = synthApp({ job: featuresJob({ code: imageCode() }) });
    expect(spec.mainApplicationFile).toBe('local:///opt/spark-jobs/entrypoints/features.py');
    expect(spec.deps.pyFiles).toEqual(['local:///opt/spark-jobs/spark_jobs.zip']);
    expectValidManifests(docs);
  });

  test('retries become an OnFailure restart policy; one attempt is Never', () => {
    expect(synthApp().spec.restartPolicy).toEqual({
      type: 'OnFailure', onFailureRetries: 2, onFailureRetryInterval: 30, onSubmissionFailureRetries: 2, onSubmissionFailureRetryInterval: 30,
    });
    expect(synthApp({ job: featuresJob({ retry: { maxAttempts: 1 } }) }).spec.restartPolicy).toEqual({ type: 'Never' });
    expect(synthApp({ retryIntervalSeconds: 120 }).spec.restartPolicy.onFailureRetryInterval).toBe(120);
  });

  test('the job timeout bounds each driver attempt; TTL is rendered only when asked', () => {
    const { spec } = synthApp({ timeToLiveSeconds: 86400 });
    expect(spec.driver.template.spec.activeDeadlineSeconds).toBe(90 * 60);
    expect(spec.executor.template.spec.activeDeadlineSeconds).toBeUndefined();
    expect(spec.timeToLiveSeconds).toBe(86400);
    expect(synthApp().spec.timeToLiveSeconds).toBeUndefined();
  });

  test('ephemeral storage: request = limit on both Spark containers, valid core templates', () => {
    const { spec, docs } = synthApp({ ephemeralStorage: '50Gi' });
    for (const role of ['driver', 'executor']) {
      expect(spec[role].template.spec.containers[0].resources).toEqual({ requests: { 'ephemeral-storage': '50Gi' }, limits: { 'ephemeral-storage': '50Gi' } });
    }
    expect(synthApp().spec.executor.template.spec.containers[0].resources).toBeUndefined();
    expectValidManifests(docs);
  });

  test('image, pull policy and pull secrets', () => {
    const { spec } = synthApp({ imagePullPolicy: kplus.ImagePullPolicy.ALWAYS, imagePullSecrets: ['registry'] });
    expect([spec.image, spec.imagePullPolicy, spec.imagePullSecrets]).toEqual([IMAGE, 'Always', ['registry']]);
    expect(synthApp().spec.imagePullPolicy).toBe('IfNotPresent');
  });

  test('pod security lives in the pod templates, not in webhook-only fields', () => {
    const { spec } = synthApp({ runAsUser: 1000 });
    for (const role of ['driver', 'executor']) {
      const tpl = spec[role].template.spec;
      expect(tpl.securityContext).toEqual({
        runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(tpl.containers).toHaveLength(1);
      expect(tpl.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(spec[role].securityContext).toBeUndefined();
      expect(spec[role].podSecurityContext).toBeUndefined();
    }
    expect(spec.driver.template.spec.containers[0].name).toBe('spark-kubernetes-driver');
    expect(spec.executor.template.spec.containers[0].name).toBe('spark-kubernetes-executor');
  });

  test('placement goes into the templates: node selectors, tolerations, priority class, annotations', () => {
    // GIVEN
    const { spec, docs } = synthApp({
      driverPlacement: { nodeSelector: { 'karpenter.sh/capacity-type': 'on-demand' }, priorityClassName: 'spark-driver' },
      executorPlacement: {
        nodeSelector: { 'karpenter.sh/capacity-type': 'spot' },
        tolerations: [{ key: 'spark', operator: TolerationOperator.EQUAL, value: 'true', effect: TaintEffect.NO_SCHEDULE }],
        annotations: { 'example.com/cost-center': 'analytics' },
      },
    });
    // THEN
    expect(spec.driver.template.spec.nodeSelector).toEqual({ 'karpenter.sh/capacity-type': 'on-demand' });
    expect(spec.driver.template.spec.priorityClassName).toBe('spark-driver');
    expect(spec.executor.template.spec.nodeSelector).toEqual({ 'karpenter.sh/capacity-type': 'spot' });
    expect(spec.executor.template.spec.tolerations).toEqual([{ key: 'spark', operator: 'Equal', value: 'true', effect: 'NoSchedule' }]);
    expect(spec.executor.annotations).toEqual({ 'example.com/cost-center': 'analytics' });
    expect(spec.nodeSelector).toBeUndefined();
    expect(spec.driver.nodeSelector).toBeUndefined();
    expect(spec.executor.tolerations).toBeUndefined();
    expectValidManifests(docs);
  });

  test('labels reach the application and both pods; the driver is protected from consolidation', () => {
    const { spec, manifest } = synthApp({ labels: { team: 'data' } });
    expect(manifest.metadata.labels).toMatchObject({ 'team': 'data', 'app.kubernetes.io/name': 'customer-features', 'app.kubernetes.io/version': '0.1.0' });
    expect(spec.driver.labels).toEqual(manifest.metadata.labels);
    expect(spec.executor.labels).toEqual(manifest.metadata.labels);
    expect(manifest.metadata.annotations).toEqual({ 'spark-deploy.io/code-content-hash': '3f2a9c1e' });
    expect(spec.driver.annotations['karpenter.sh/do-not-disrupt']).toBe('true');
    expect(synthApp({ protectDriverFromDisruption: false }).spec.driver.annotations['karpenter.sh/do-not-disrupt']).toBeUndefined();
  });

  test('a version that is not a valid label value is made one', () => {
    const code = JobCode.fromImage({ root: '/opt/jobs', entryPoints: { features: 'features.py' }, version: '0.1.0+local.abc' });
    expect(synthApp({ job: featuresJob({ code }) }).manifest.metadata.labels['app.kubernetes.io/version']).toBe('0.1.0_local.abc');
  });

  test('Prometheus through Spark\'s own servlet by default', () => {
    const { spec } = synthApp();
    expect(spec.sparkConf['spark.ui.prometheus.enabled']).toBe('true');
    expect(spec.sparkConf['spark.metrics.conf.*.sink.prometheusServlet.class']).toBe('org.apache.spark.metrics.sink.PrometheusServlet');
    expect(spec.driver.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '4040', 'prometheus.io/path': '/metrics/prometheus' });
    expect(spec.monitoring).toBeUndefined();
  });

  test('the JMX exporter mode renders spec.monitoring with files from the image', () => {
    const { spec, docs } = synthApp({
      monitoring: SparkOperatorMonitoring.jmxExporter({
        jmxExporterJar: '/opt/spark/jars/jmx_prometheus_javaagent.jar',
        configFile: '/opt/spark/conf/prometheus.yaml',
        metricsPropertiesFile: '/opt/spark/conf/metrics.properties',
        port: 9090,
      }),
    });
    expect(spec.monitoring).toEqual({
      exposeDriverMetrics: true,
      exposeExecutorMetrics: true,
      metricsPropertiesFile: '/opt/spark/conf/metrics.properties',
      prometheus: { jmxExporterJar: '/opt/spark/jars/jmx_prometheus_javaagent.jar', configFile: '/opt/spark/conf/prometheus.yaml', port: 9090 },
    });
    expect(spec.sparkConf['spark.ui.prometheus.enabled']).toBeUndefined();
    expectValidManifests(docs);
  });

  test('job overrides win and reach sparkConf', () => {
    const { spec } = synthApp({ job: featuresJob({ sparkConf: { 'spark.sql.shuffle.partitions': '123', 'spark.ui.prometheus.enabled': 'false' } }) });
    expect(spec.sparkConf['spark.sql.shuffle.partitions']).toBe('123');
    expect(spec.sparkConf['spark.ui.prometheus.enabled']).toBe('false');
  });

  test('no deprecated fields', () => {
    const { spec } = synthApp();
    for (const field of ['pythonVersion', 'memoryOverheadFactor', 'nodeSelector', 'failureRetries', 'retryInterval']) {
      expect(spec[field]).toBeUndefined();
    }
    for (const role of ['driver', 'executor']) {
      expect(spec[role].envVars).toBeUndefined();
      expect(spec[role].envSecretKeyRefs).toBeUndefined();
    }
  });

  test('Spark 4.0 renders the SDK v2 identity providers and passes every check', () => {
    const { spec, docs } = synthApp({ sparkVersion: '4.0.1', image: 'apache/spark:4.0.1-python3' });
    expect(spec.sparkVersion).toBe('4.0.1');
    const providers: string[] = spec.hadoopConf['fs.s3a.aws.credentials.provider'].split(',');
    // IRSA's web identity first (SDK v2 on Hadoop 3.4), and nothing that reads keys from configuration.
    expect(providers[0]).toBe('software.amazon.awssdk.auth.credentials.WebIdentityTokenFileCredentialsProvider');
    for (const p of providers) expect(p).not.toMatch(/Simple|Temporary|Environment|Profile/);
    expectValidManifests(docs);
  });

  describe('bad input', () => {
    test.each([
      [{ image: 'apache/spark' }, /^image: 'apache\/spark' is not valid; expected an image pinned by tag or digest/],
      [{ image: 'apache/spark:latest' }, /^image: .* \(not :latest\)/],
      [{ name: 'Customer_Features' }, /^name: 'Customer_Features' is not valid; expected a DNS-1035 label/],
      [{ runAsUser: 0 }, /^runAsUser: 0 is not valid; expected a whole number from 1/],
      [{ ephemeralStorage: '50 GB' }, /^ephemeralStorage: '50 GB' is not valid; expected a Kubernetes quantity/],
      [{ retryIntervalSeconds: 0 }, /^retryIntervalSeconds: 0 is not valid/],
      [{ timeToLiveSeconds: -5 }, /^timeToLiveSeconds: -5 is not valid/],
      [{ imagePullSecrets: ['Registry Creds'] }, /^imagePullSecrets\[0\]: 'Registry Creds' is not valid/],
      [{ imagePullPolicy: 'Sometimes' as any }, /^imagePullPolicy: 'Sometimes' is not valid; expected one of Always, IfNotPresent, Never/],
      [{ labels: { team: 'data science' } }, /^labels\['team'\]: 'data science' is not valid/],
      [{ sparkVersion: '2.4.8' }, /^release: '2.4.8' is not valid; expected a Spark version of a supported line/],
      [{ executor: { cpu: 0.5, memoryGb: 4 } }, /^executor.cpu: 0.5 is not valid/],
      [{ executor: { cpu: 1, memoryGb: 0.5 } }, /^executor.memoryGb: '512MiB' is not valid; a container must hold at least/],
      [{ executorInstances: 4, maxExecutors: 10 }, /^maxExecutors: 10 is not valid; set either executorInstances/],
      [{ driverPlacement: { tolerations: [{ operator: TolerationOperator.EQUAL, value: 'x' }] } }, /^driverPlacement.tolerations\[0\].key: undefined is not valid; a toleration without a key must use operator Exists/],
      [{ executorPlacement: { tolerations: [{ key: 'spark', operator: TolerationOperator.EXISTS, value: 'x' }] } }, /^executorPlacement.tolerations\[0\].value: 'x' is not valid; a toleration with operator Exists has no value/],
      [{ executorPlacement: { tolerations: [{ key: 'spark', tolerationSeconds: 30 }] } }, /^executorPlacement.tolerations\[0\].tolerationSeconds: 30 is not valid; tolerationSeconds applies to the NoExecute effect only/],
      [{ driverPlacement: { nodeSelector: { 'pool/': 'spark' } } }, /^driverPlacement.nodeSelector key: 'pool\/' is not valid/],
      [{ driverPlacement: { priorityClassName: 'High Priority' } }, /^driverPlacement.priorityClassName: 'High Priority' is not valid/],
      [{ job: featuresJob({ sparkConf: { 'spark.kubernetes.container.image': 'evil:1' } }) }, /^sparkConf\['spark.kubernetes.container.image'\]: 'evil:1' is not valid; this key is not allowed in a SparkApplication: use the image prop/],
      [{ job: featuresJob({ sparkConf: { 'spark.kubernetes.namespace': 'default' } }) }, /^sparkConf\['spark.kubernetes.namespace'\]: 'default' is not valid; must equal the application namespace 'spark-jobs'/],
      [{ job: featuresJob({ sparkConf: { 'fs.s3a.aws.credentials.provider': 'org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider' } }) }, /^hadoopConf\['fs.s3a.aws.credentials.provider'\]: .* S3A reads credentials from the workload identity only/],
      [{ job: featuresJob({ sparkConf: { 'spark.dynamicAllocation.shuffleTracking.timeout': 'soon' } }) }, /^sparkConf\['spark.dynamicAllocation.shuffleTracking.timeout'\]: 'soon' is not valid; expected a Spark duration/],
    ])('fails on %j', (props, message) => {
      expect(() => synthApp(props as any)).toThrow(message);
    });

    test('fails without a SparkJobDefinition or a SparkOperatorRbac', () => {
      const { chart, rbac } = chartWithRbac();
      expect(() => new SparkOperatorApplication(chart, 'A', { job: {} as any, rbac, image: IMAGE, executor: { cpu: 1, memoryGb: 4 } }))
        .toThrow(/^job: \{\} is not valid; expected a SparkJobDefinition/);
      expect(() => new SparkOperatorApplication(chart, 'B', { job: featuresJob(), rbac: {} as any, image: IMAGE, executor: { cpu: 1, memoryGb: 4 } }))
        .toThrow(/^rbac: \{\} is not valid; expected a SparkOperatorRbac/);
    });
  });
});
