// What Spark itself builds from our SparkApplications: the driver and executor pods assembled by Spark's
// KubernetesDriverBuilder / KubernetesExecutorBuilder (pyspark's spark-kubernetes jar, both Spark lines), from
// the configuration the operator passes to spark-submit. This is the independent check that each pod is exactly
// its shape and that the pod-template security and placement reach the pods without the operator's webhook.
import { chartWithRbac, featuresJob, only } from './fixtures';
import { SparkOperatorApplication, TaintEffect, TolerationOperator } from '../../src/spark-operator';
import { buildPodsWithSpark, SparkBuiltPods, synthManifests } from '../support/k8s-validation';

/** Pod Security Standards "restricted" volume types. */
const RESTRICTED_VOLUMES = ['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret'];

describe.each([
  ['3.5', '3.5.6', 'apache/spark:3.5.6-python3'],
  ['4.0', '4.0.1', 'apache/spark:4.0.1-python3'],
] as const)('pods Spark %s builds', (line, sparkVersion, image) => {
  // GIVEN a Python-heavy job on 3.5 vCPU / 14 GB executor pods and a 2 vCPU / 6 GB driver pod
  const { chart, rbac } = chartWithRbac();
  new SparkOperatorApplication(chart, 'App', {
    job: featuresJob({ workload: { inputSizeGb: 50, pythonHeavy: true } }),
    rbac,
    image,
    sparkVersion,
    executor: { cpu: 3.5, memoryGb: 14 },
    driver: { cpu: 2, memoryGb: 6 },
    ephemeralStorage: '50Gi',
    driverPlacement: { nodeSelector: { 'karpenter.sh/capacity-type': 'on-demand' } },
    executorPlacement: {
      nodeSelector: { 'karpenter.sh/capacity-type': 'spot' },
      tolerations: [{ key: 'workload', operator: TolerationOperator.EQUAL, value: 'spark', effect: TaintEffect.NO_SCHEDULE }],
    },
  });
  const app = only(synthManifests(chart), 'SparkApplication');
  // WHEN Spark builds the pods
  let pods: SparkBuiltPods;
  beforeAll(() => {
    pods = buildPodsWithSpark(app, line);
  });

  test('with the Spark line asked for', () => {
    expect(pods.sparkVersion.startsWith(`${line}.`)).toBe(true);
  });

  test('each container requests exactly its pod shape, with request = limit', () => {
    // (the template's ephemeral-storage is kept alongside what Spark sets)
    expect(pods.executor.container.resources).toEqual({
      requests: { 'cpu': '3500m', 'memory': `${14 * 1024}Mi`, 'ephemeral-storage': '50Gi' },
      limits: { 'cpu': '3500m', 'memory': `${14 * 1024}Mi`, 'ephemeral-storage': '50Gi' },
    });
    expect(pods.driver.container.resources).toEqual({
      requests: { 'cpu': '2', 'memory': `${6 * 1024}Mi`, 'ephemeral-storage': '50Gi' },
      limits: { 'cpu': '2', 'memory': `${6 * 1024}Mi`, 'ephemeral-storage': '50Gi' },
    });
  });

  test('the template\'s pod security reaches both pods, and they meet the restricted standard', () => {
    for (const role of ['driver', 'executor'] as const) {
      const { pod, container } = pods[role];
      expect(pod.spec.securityContext).toEqual(app.spec[role].template.spec.securityContext);
      expect(container.securityContext).toEqual(app.spec[role].template.spec.containers[0].securityContext);
      expect(app.spec[role].template.spec.containers[0].resources.limits['ephemeral-storage']).toBe('50Gi');
      expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
      expect(pod.spec.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      for (const v of pod.spec.volumes ?? []) {
        expect(Object.keys(v).filter(k => k !== 'name').every(k => RESTRICTED_VOLUMES.includes(k))).toBe(true);
      }
      expect(pod.spec.hostNetwork ?? false).toBe(false);
    }
  });

  test('placement, service accounts and the timeout reach the pods', () => {
    expect(pods.driver.pod.spec.nodeSelector).toEqual({ 'karpenter.sh/capacity-type': 'on-demand' });
    expect(pods.executor.pod.spec.nodeSelector).toEqual({ 'karpenter.sh/capacity-type': 'spot' });
    expect(pods.executor.pod.spec.tolerations).toEqual([{ key: 'workload', operator: 'Equal', value: 'spark', effect: 'NoSchedule' }]);
    expect(pods.driver.pod.spec.serviceAccountName).toBe('spark-driver');
    expect(pods.executor.pod.spec.serviceAccountName).toBe('spark-executor');
    expect(pods.executor.pod.spec.automountServiceAccountToken).toBe(false);
    expect(pods.driver.pod.spec.activeDeadlineSeconds).toBe(90 * 60);
  });

  test('labels, annotations, image, entry point, arguments and --py-files reach the driver', () => {
    expect(pods.driver.pod.metadata.labels).toMatchObject(app.spec.driver.labels);
    expect(pods.executor.pod.metadata.labels).toMatchObject(app.spec.executor.labels);
    expect(pods.driver.pod.metadata.annotations).toMatchObject({ 'karpenter.sh/do-not-disrupt': 'true', 'prometheus.io/port': '4040' });
    expect(pods.driver.container.image).toBe(image);
    const args: string[] = pods.driver.container.args;
    expect(args.slice(args.indexOf(app.spec.mainApplicationFile))).toEqual([app.spec.mainApplicationFile, ...app.spec.arguments]);
    expect(pods.driverSystemProperties['spark.submit.pyFiles']).toBe(app.spec.deps.pyFiles.join(','));
  });
});
