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
