import { chartWithRbac, featuresJob, IMAGE, only } from './fixtures';
import { SparkOperatorApplication } from '../../src/spark-operator';
import { eksReservedCpuMillis, eksReservedMemoryMiB, KubernetesNodeShape } from '../../src/spark-operator/node-shape';
import { synthManifests } from '../support/k8s-validation';

describe('EKS reservations (amazon-eks-ami bootstrap formula)', () => {
  test.each([
    // 60 + 10 + 2 x 5 (+ 0.25% of each core above 4), worked by hand from the published percentages
    [1, 60], [2, 70], [4, 80], [8, 90], [16, 110], [32, 150],
  ])('kube-reserved CPU of %i vCPU is %im', (vcpu, millis) => {
    expect(eksReservedCpuMillis(vcpu)).toBeCloseTo(millis, 9);
  });

  test('kube-reserved memory is 11 MiB per pod plus 255 MiB (58 pods: 893 MiB; 234 pods: 2829 MiB)', () => {
    expect(eksReservedMemoryMiB(58)).toBe(893);
    expect(eksReservedMemoryMiB(234)).toBe(2829);
  });

  test('an m5.xlarge offers 3920m and 94% of 16 GiB less 893Mi and the 100Mi eviction threshold', () => {
    const node = KubernetesNodeShape.eks('m5.xlarge');
    expect(node.allocatableCpuMillis).toBe(3920);
    expect(node.allocatableMemoryMiB).toBe(Math.floor(16384 * 0.94) - 893 - 100);
    // aws-node 25m + kube-proxy 100m
    expect(node.podCpuMillis).toBe(3795);
  });
});

describe('executorShape', () => {
  test('N executors of the shape fit the node, and N of a 10m / 1 MiB larger shape do not', () => {
    const node = KubernetesNodeShape.fromAllocatable({ cpu: 7.91, memoryGb: 29.5 }, { cpu: 0.2, memoryGb: 0.25 });
    for (const n of [1, 2, 3, 4]) {
      const shape = node.executorShape(n);
      const cpuMillis = Math.round(shape.cpu * 1000);
      const memoryMiB = shape.memoryGb * 1024;
      expect(Number.isInteger(memoryMiB)).toBe(true);
      expect(n * cpuMillis + 200).toBeLessThanOrEqual(7910);
      expect(n * memoryMiB + 256).toBeLessThanOrEqual(29.5 * 1024);
      expect(n * (cpuMillis + 10) + 200 > 7910 || n * (memoryMiB + 1) + 256 > 29.5 * 1024).toBe(true);
    }
  });

  test('renders as the executor pod\'s request = limit', () => {
    const shape = KubernetesNodeShape.eks('r5.2xlarge').executorShape(2);
    const { chart, rbac } = chartWithRbac();
    new SparkOperatorApplication(chart, 'App', { job: featuresJob(), rbac, image: IMAGE, executor: shape });
    const app = only(synthManifests(chart), 'SparkApplication');
    expect(app.spec.executor.coreRequest).toBe(`${Math.round(shape.cpu * 1000)}m`);
    expect(app.spec.executor.coreLimit).toBe(app.spec.executor.coreRequest);
    // Two per node leaves each pod just under 4 vCPU: 4 task threads still get >= 90% of a vCPU each.
    expect(shape.cpu).toBeLessThan(4);
    expect(shape.cpu / 4).toBeGreaterThanOrEqual(0.9);
    expect(app.spec.executor.cores).toBe(4);
  });

  test.each([
    [() => KubernetesNodeShape.eks('m5.huge'), /instanceType.*m5\.huge.*expected one of m5\.xlarge/],
    [() => KubernetesNodeShape.eks('m5.xlarge', { maxPods: 0 }), /maxPods.*0/],
    [() => KubernetesNodeShape.eks('m5.xlarge', { reportedMemoryFraction: 1.2 }), /reportedMemoryFraction.*1\.2/],
    [() => KubernetesNodeShape.eks('c5.xlarge').executorShape(4), /executorsPerNode.*4.*at least 1 vCPU \(at most 3 per node\)/],
    [() => KubernetesNodeShape.eks('c5.xlarge').executorShape(1.5), /executorsPerNode.*1\.5.*whole number/],
    [() => KubernetesNodeShape.fromAllocatable({ cpu: 0, memoryGb: 8 }), /allocatable\.cpu.*0.*positive/],
    [() => KubernetesNodeShape.fromAllocatable({ cpu: 2, memoryGb: 8 }, { cpu: 1.5, memoryGb: 0 }), /daemonSets.*at least 1 vCPU/],
  ])('refuses bad input, naming the field (%#)', (make, message) => {
    expect(make).toThrow(message);
  });
});
