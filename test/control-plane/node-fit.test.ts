// Executor pods on real nodes' allocatable, placed by the real kube-scheduler: kwok registers two nodes with
// the allocatable KubernetesNodeShape.eks('m5.xlarge') computes (EKS reservations), and the executor pods are
// the ones Spark's own builder makes from our SparkApplications. Pods sized for the node's capacity
// (4 vCPU / 16 GB) stay Pending with the scheduler's reason; pods sized by executorShape(2) bind, 2 per node.
import { asList, kubectl, kubectlOk } from './plane';
import { WorkerShape } from '../../src/config/types';
import { KubernetesNodeShape, SparkOperatorApplication, TaintEffect, TolerationOperator } from '../../src/spark-operator';
import { chartWithRbac, featuresJob, imageCode, only } from '../spark-operator/fixtures';
import { buildPodsWithSpark, synthManifests } from '../support/k8s-validation';

const NS = 'node-fit';
const NODES = ['kwok-m5-xlarge-0', 'kwok-m5-xlarge-1'];
const PER_NODE = 2;
const node = KubernetesNodeShape.eks('m5.xlarge');

function kwokNode(name: string): any {
  const resources = { cpu: `${node.allocatableCpuMillis}m`, memory: `${node.allocatableMemoryMiB}Mi`, pods: '58' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { 'type': 'kwok', 'kubernetes.io/hostname': name, 'node.kubernetes.io/instance-type': 'm5.xlarge' },
    },
    // kwok's own nodes are tainted so nothing else lands on them; our executors tolerate it
    spec: { taints: [{ key: 'kwok.x-k8s.io/node', value: 'fake', effect: 'NoSchedule' }] },
    // allocatable as a kubelet would report it; the daemonsets' requests are left for executorShape to subtract
    status: { allocatable: resources, capacity: { cpu: '4', memory: '16Gi', pods: '58' } },
  };
}

/** The executor pod Spark builds for an application with this executor shape, on the kwok nodes. */
function executorPod(executor: WorkerShape, rbacNamespace: string): any {
  const { chart, rbac } = chartWithRbac({ namespace: rbacNamespace });
  new SparkOperatorApplication(chart, 'App', {
    job: featuresJob({ code: imageCode() }),
    rbac,
    image: 'apache/spark:4.0.1-python3',
    sparkVersion: '4.0.1',
    executor,
    executorInstances: NODES.length * PER_NODE,
    executorPlacement: {
      nodeSelector: { type: 'kwok' },
      tolerations: [{ key: 'kwok.x-k8s.io/node', operator: TolerationOperator.EQUAL, value: 'fake', effect: TaintEffect.NO_SCHEDULE }],
    },
  });
  const docs = synthManifests(chart);
  kubectlOk(['apply', '--server-side', '--field-manager', 'spark-deploy', '-f', '-'], asList(docs.filter(d => d.kind !== 'SparkApplication')));
  const built = buildPodsWithSpark(only(docs, 'SparkApplication'), '4.0').executor;
  return { ...built.pod, spec: { ...built.pod.spec, containers: [built.container] } };
}

function createPods(template: any, prefix: string, count: number): string[] {
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  const pods = names.map(name => ({
    ...template,
    metadata: { ...template.metadata, name, namespace: NS, labels: { ...template.metadata.labels, fit: prefix } },
  }));
  kubectlOk(['create', '-f', '-'], asList(pods));
  return names;
}

/** Polls until every pod of the label is bound or marked Unschedulable by the scheduler. */
function settled(prefix: string, count: number): any[] {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const pods = JSON.parse(kubectlOk(['get', 'pods', '-n', NS, '-l', `fit=${prefix}`, '-o', 'json'])).items;
    const decided = pods.filter((p: any) => p.spec.nodeName
      || (p.status.conditions ?? []).some((c: any) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'));
    if (pods.length === count && decided.length === count) return pods;
    if (Date.now() > deadline) throw new Error(`pods ${prefix} not scheduled in 90 s: ${JSON.stringify(pods.map((p: any) => p.status))}`);
    spawnSleep(500);
  }
}

function spawnSleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

describe('executor pods on EKS m5.xlarge nodes (kwok), placed by kube-scheduler', () => {
  beforeAll(() => {
    kubectlOk(['apply', '--server-side', '--field-manager', 'spark-deploy', '-f', '-'], asList(NODES.map(kwokNode)));
    kubectlOk(['wait', '--for=condition=Ready', '--timeout=60s', ...NODES.map(n => `node/${n}`)]);
    // The API server taints new nodes not-ready (TaintNodesByCondition); the node lifecycle controller lifts
    // the taint once the node reports Ready. No controller manager runs here, so do its part.
    kubectlOk(['taint', 'nodes', ...NODES, 'node.kubernetes.io/not-ready:NoSchedule-']);
    // what EKS' default DaemonSets request on every node (aws-node 25m, kube-proxy 100m), bound directly as
    // DaemonSet pods are
    // (no controller manager runs, so kube-system has no default service account until we make it)
    kubectlOk(['apply', '--server-side', '--field-manager', 'spark-deploy', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'kube-system' } }));
    kubectlOk(['create', '-f', '-'], asList(NODES.flatMap(n => [['aws-node', '25m'], ['kube-proxy', '100m']].map(([name, cpu]) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${name}-${n}`, namespace: 'kube-system' },
      spec: {
        nodeName: n,
        tolerations: [{ operator: 'Exists' }],
        containers: [{ name, image: 'registry.k8s.io/pause:3.10', resources: { requests: { cpu } } }],
      },
    })))));
  });
  afterAll(() => {
    kubectl(['delete', 'namespace', NS, '--wait=false']);
    kubectl(['delete', 'pods', '-n', 'kube-system', '--all', '--wait=false']);
    kubectl(['delete', 'node', ...NODES, '--wait=false']);
  });

  test('kwok reports the nodes Ready with the allocatable given', () => {
    const nodes = JSON.parse(kubectlOk(['get', 'nodes', ...NODES, '-o', 'json'])).items;
    expect(nodes.map((n: any) => n.status.allocatable)).toEqual(NODES.map(() => ({ cpu: '3920m', memory: `${node.allocatableMemoryMiB}Mi`, pods: '58' })));
  });

  test('pods sized for the node\'s capacity stay Pending, with the scheduler\'s reason', () => {
    const names = createPods(executorPod({ cpu: 4, memoryGb: 16 }, NS), 'capacity', 2);
    const pods = settled('capacity', names.length);
    for (const pod of pods) {
      expect(pod.spec.nodeName).toBeUndefined();
      expect(pod.status.phase).toBe('Pending');
      const condition = pod.status.conditions.find((c: any) => c.type === 'PodScheduled');
      expect(condition.message).toMatch(/^0\/\d+ nodes are available: .*2 Insufficient cpu, 2 Insufficient memory/);
    }
    kubectlOk(['delete', 'pods', '-n', NS, '-l', 'fit=capacity', '--wait=false']);
  });

  test(`pods sized by executorShape(${PER_NODE}) bind ${PER_NODE} per node, and one more does not fit`, () => {
    const shape = node.executorShape(PER_NODE);
    const template = executorPod(shape, NS);
    expect(template.spec.containers[0].resources.requests).toEqual({ cpu: `${Math.round(shape.cpu * 1000)}m`, memory: `${shape.memoryGb * 1024}Mi` });
    const names = createPods(template, 'sized', NODES.length * PER_NODE + 1);
    const pods = settled('sized', names.length);
    const perNode: { [node: string]: number } = {};
    for (const pod of pods) if (pod.spec.nodeName) perNode[pod.spec.nodeName] = (perNode[pod.spec.nodeName] ?? 0) + 1;
    expect(perNode).toEqual(Object.fromEntries(NODES.map(n => [n, PER_NODE])));
    const pending = pods.filter((p: any) => !p.spec.nodeName);
    expect(pending).toHaveLength(1);
    expect(pending[0].status.conditions.find((c: any) => c.type === 'PodScheduled').message).toMatch(/Insufficient (cpu|memory)/);
  });
});
