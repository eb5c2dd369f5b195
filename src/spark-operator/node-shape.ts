import { invalidValue } from '../config/errors';
import { WorkerShape } from '../config/types';

/** CPU and memory of a node or of what runs on it. */
export interface NodeResources {
  /** vCPU (fractions allowed, e.g. 0.125 for 125m). */
  readonly cpu: number;
  /** Memory in GB (1 GB = 1024 MiB, as Kubernetes' Gi). */
  readonly memoryGb: number;
}

/** Options of `KubernetesNodeShape.eks`. */
export interface EksNodeOptions {
  /**
   * The kubelet's `maxPods` (it sizes EKS' memory reservation).
   * @default - the instance type's ENI limit from the EKS AMI's eni-max-pods.txt (VPC CNI without prefix delegation)
   */
  readonly maxPods?: number;
  /**
   * Share of the nominal instance memory the node reports as capacity (the kernel and firmware keep the rest).
   * UNCONFIRMED estimate: EKS nodes are commonly seen reporting about 95% of the nominal memory; read your
   * nodes' `status.allocatable` and use `KubernetesNodeShape.fromAllocatable` for an exact fit.
   * @default 0.94
   */
  readonly reportedMemoryFraction?: number;
}

/** vCPU, GiB and ENI-limited max pods of the instance types known here (EC2 instance type specs; eni-max-pods.txt of amazon-eks-ami). */
const EKS_INSTANCE_TYPES: { [type: string]: [vcpu: number, memoryGib: number, maxPods: number] } = {
  'm5.xlarge': [4, 16, 58],
  'm5.2xlarge': [8, 32, 58],
  'm5.4xlarge': [16, 64, 234],
  'm5.8xlarge': [32, 128, 234],
  'm5d.xlarge': [4, 16, 58],
  'm5d.2xlarge': [8, 32, 58],
  'm5d.4xlarge': [16, 64, 234],
  'm6g.xlarge': [4, 16, 58],
  'm6g.2xlarge': [8, 32, 58],
  'm6g.4xlarge': [16, 64, 234],
  'r5.xlarge': [4, 32, 58],
  'r5.2xlarge': [8, 64, 58],
  'r5.4xlarge': [16, 128, 234],
  'r5.8xlarge': [32, 256, 234],
  'r5d.xlarge': [4, 32, 58],
  'r5d.2xlarge': [8, 64, 58],
  'r5d.4xlarge': [16, 128, 234],
  'c5.xlarge': [4, 8, 58],
  'c5.2xlarge': [8, 16, 58],
  'c5.4xlarge': [16, 32, 234],
};

/** The kubelet's hard eviction threshold on EKS AMIs (`memory.available<100Mi`). */
const EKS_EVICTION_MIB = 100;
/**
 * Requests of the DaemonSets every EKS node runs by default: aws-node (VPC CNI, 25m) and kube-proxy (100m),
 * no memory requests. UNCONFIRMED for your add-on versions; add your own DaemonSets (log shippers, CSI nodes).
 */
const EKS_DEFAULT_DAEMONSETS: NodeResources = { cpu: 0.125, memoryGb: 0 };

/**
 * EKS' kube-reserved CPU in millicores (amazon-eks-ami bootstrap, after GKE's ranges): 6% of the first core,
 * 1% of the second, 0.5% of cores 3-4, 0.25% of every core above 4.
 */
export function eksReservedCpuMillis(vcpu: number): number {
  const ranges: [from: number, to: number, percent: number][] = [[0, 1, 6], [1, 2, 1], [2, 4, 0.5], [4, Infinity, 0.25]];
  return ranges.reduce((sum, [from, to, percent]) => sum + Math.max(0, Math.min(vcpu, to) - from) * 10 * percent, 0);
}

/** EKS' kube-reserved memory in MiB (amazon-eks-ami bootstrap): 11 MiB per pod the node may run, plus 255 MiB. */
export function eksReservedMemoryMiB(maxPods: number): number {
  return 11 * maxPods + 255;
}

/**
 * What a Kubernetes node offers pods: its allocatable CPU and memory (capacity less the kubelet's reservations
 * and eviction threshold) less the requests of the DaemonSets on it. `executorShape` sizes the largest executor
 * pod of which N fit one node, so executors are neither stuck Pending nor leave a node half empty; a pod sized
 * for the node's capacity ("4 vCPU / 16 GB on a 4 vCPU / 16 GiB node") never schedules.
 */
export class KubernetesNodeShape {
  /**
   * An EKS node of a named instance type, with the EKS AMI's reservations: kube-reserved CPU and memory by the
   * bootstrap formula, the 100Mi eviction threshold, and the default DaemonSets (aws-node, kube-proxy).
   */
  public static eks(instanceType: string, options: EksNodeOptions = {}): KubernetesNodeShape {
    const known = EKS_INSTANCE_TYPES[instanceType];
    if (!known) {
      throw invalidValue('instanceType', instanceType,
        `expected one of ${Object.keys(EKS_INSTANCE_TYPES).join(', ')}; for another node use KubernetesNodeShape.fromAllocatable with its status.allocatable`);
    }
    const [vcpu, memoryGib, eniMaxPods] = known;
    const maxPods = options.maxPods ?? eniMaxPods;
    if (!Number.isInteger(maxPods) || maxPods < 1 || maxPods > 1000) {
      throw invalidValue('maxPods', maxPods, 'expected a whole number of pods from 1 to 1000');
    }
    const fraction = options.reportedMemoryFraction ?? 0.94;
    if (typeof fraction !== 'number' || !(fraction > 0.5 && fraction <= 1)) {
      throw invalidValue('reportedMemoryFraction', fraction, 'expected a share of the nominal memory above 0.5 and at most 1');
    }
    const cpuMillis = vcpu * 1000 - eksReservedCpuMillis(vcpu);
    const memoryMiB = Math.floor(memoryGib * 1024 * fraction) - eksReservedMemoryMiB(maxPods) - EKS_EVICTION_MIB;
    return new KubernetesNodeShape(`EKS ${instanceType}`, cpuMillis, memoryMiB, EKS_DEFAULT_DAEMONSETS);
  }

  /**
   * A node by its `status.allocatable` (`kubectl get node NAME -o jsonpath='{.status.allocatable}'`) and the
   * requests of the DaemonSets that run on every such node.
   */
  public static fromAllocatable(allocatable: NodeResources, daemonSets: NodeResources = { cpu: 0, memoryGb: 0 }): KubernetesNodeShape {
    checkResources('allocatable', allocatable, false);
    return new KubernetesNodeShape('node', Math.floor(allocatable.cpu * 1000), Math.floor(allocatable.memoryGb * 1024), daemonSets);
  }

  /** What the shape describes (`EKS m5.xlarge` or `node`). */
  public readonly description: string;
  /** The node's allocatable CPU, in millicores. */
  public readonly allocatableCpuMillis: number;
  /** The node's allocatable memory, in MiB. */
  public readonly allocatableMemoryMiB: number;
  /** CPU left for Spark pods after the DaemonSets, in millicores. */
  public readonly podCpuMillis: number;
  /** Memory left for Spark pods after the DaemonSets, in MiB. */
  public readonly podMemoryMiB: number;

  private constructor(description: string, cpuMillis: number, memoryMiB: number, daemonSets: NodeResources) {
    checkResources('daemonSets', daemonSets, true);
    this.description = description;
    this.allocatableCpuMillis = cpuMillis;
    this.allocatableMemoryMiB = memoryMiB;
    this.podCpuMillis = cpuMillis - Math.ceil(daemonSets.cpu * 1000);
    this.podMemoryMiB = memoryMiB - Math.ceil(daemonSets.memoryGb * 1024);
    if (this.podCpuMillis < 1000 || this.podMemoryMiB < 1024) {
      throw invalidValue('daemonSets', daemonSets, `leave at least 1 vCPU and 1 GB for Spark on the ${description} (allocatable ${cpuMillis}m, ${memoryMiB}Mi)`);
    }
  }

  /**
   * The largest executor pod shape of which `executorsPerNode` fit one node (request = limit, as our pods are):
   * CPU rounded down to 10m, memory to 1 MiB. Pass it as the application's `executor`.
   */
  public executorShape(executorsPerNode: number): WorkerShape {
    if (!Number.isInteger(executorsPerNode) || executorsPerNode < 1) {
      throw invalidValue('executorsPerNode', executorsPerNode, 'expected a whole number of executors per node, at least 1');
    }
    const cpuMillis = Math.floor(this.podCpuMillis / executorsPerNode / 10) * 10;
    const memoryMiB = Math.floor(this.podMemoryMiB / executorsPerNode);
    if (cpuMillis < 1000) {
      throw invalidValue('executorsPerNode', executorsPerNode,
        `${executorsPerNode} executors leave ${cpuMillis}m each on the ${this.description}; an executor pod needs at least 1 vCPU (at most ${Math.floor(this.podCpuMillis / 1000)} per node)`);
    }
    return { cpu: cpuMillis / 1000, memoryGb: memoryMiB / 1024 };
  }
}

function checkResources(field: string, r: NodeResources, zeroAllowed: boolean): void {
  if (r === null || typeof r !== 'object') throw invalidValue(field, r, 'expected { cpu, memoryGb }');
  for (const key of ['cpu', 'memoryGb'] as const) {
    const v = r[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!zeroAllowed && v === 0)) {
      throw invalidValue(`${field}.${key}`, v, zeroAllowed ? 'expected a number >= 0' : 'expected a positive number');
    }
  }
}
