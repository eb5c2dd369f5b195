import * as emrs from 'aws-cdk-lib/aws-emrserverless';
import { DiskType, WorkerShape } from '../config/types';

/** A worker shape as CloudFormation's `WorkerConfiguration` (`4 vCPU`, `16 GB`, `20 GB`). */
export function workerConfiguration(shape: WorkerShape): emrs.CfnApplication.WorkerConfigurationProperty {
  return {
    cpu: `${shape.cpu} vCPU`,
    memory: `${shape.memoryGb} GB`,
    disk: `${shape.diskGb ?? 20} GB`,
    diskType: shape.diskType === DiskType.SHUFFLE_OPTIMIZED ? 'SHUFFLE_OPTIMIZED' : undefined,
  };
}

/** Whether an EMR release label (`emr-7.1.0`, `emr-spark-8.0.0`) is at least major.minor. */
export function emrAtLeast(label: string, major: number, minor: number): boolean {
  const m = /^emr-(?:spark-)?(\d+)\.(\d+)\.\d+$/.exec(label);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a > major || (a === major && b >= minor);
}
