import * as emrs from 'aws-cdk-lib/aws-emrserverless';
import { InitialCapacity, MaximumCapacity } from './application-options';
import { describeCapacity } from '../config/emr-serverless-rules';
import { invalidValue } from '../config/errors';
import { SparkConfiguration } from '../config/spark-configuration';
import { DiskType, WorkerShape } from '../config/types';

/** The executor and driver worker shapes of a configuration (an application's or a job's): as given, the driver completed by the model. */
export function workerShapes(tuned: SparkConfiguration): { executor: WorkerShape; driver: WorkerShape } {
  // The model's own default driver shape (its vCPU and memory), not one read back from the sizes.
  const driver = tuned._resolved.tuning.driverShape;
  return {
    executor: tuned.props.executor,
    driver: tuned.props.driver ?? { cpu: driver.cpu, memoryGb: driver.memoryGb },
  };
}

/** A worker shape as CloudFormation's `WorkerConfiguration` (`4 vCPU`, `16 GB`, `20 GB`). */
export function workerConfiguration(shape: WorkerShape): emrs.CfnApplication.WorkerConfigurationProperty {
  return {
    cpu: `${shape.cpu} vCPU`,
    memory: `${shape.memoryGb} GB`,
    disk: `${shape.diskGb ?? 20} GB`,
    diskType: shape.diskType === DiskType.SHUFFLE_OPTIMIZED ? 'SHUFFLE_OPTIMIZED' : undefined,
  };
}

export function resolveMaximumCapacity(given: MaximumCapacity | undefined, driver: WorkerShape, executor: WorkerShape, maxExecutors: number,
  initial: InitialCapacity | undefined): MaximumCapacity {
  const disk = (s: WorkerShape) => s.diskGb ?? 20;
  const capacity = given ?? {
    cpu: driver.cpu + maxExecutors * executor.cpu,
    memoryGb: driver.memoryGb + maxExecutors * executor.memoryGb,
    diskGb: disk(driver) + maxExecutors * disk(executor),
  };
  for (const field of ['cpu', 'memoryGb', 'diskGb'] as const) {
    const v = capacity[field];
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) {
      throw invalidValue(`maximumCapacity.${field}`, v, 'expected a whole number, at least 1');
    }
  }
  // The smallest useful run is one driver and one executor; pre-initialized workers must fit too.
  const drivers = Math.max(1, initial?.driverWorkers ?? 0);
  const executors = Math.max(1, initial?.executorWorkers ?? 0);
  const need = {
    cpu: drivers * driver.cpu + executors * executor.cpu,
    memoryGb: drivers * driver.memoryGb + executors * executor.memoryGb,
    diskGb: drivers * disk(driver) + executors * disk(executor),
  };
  const what = `${drivers} driver(s) of ${driver.cpu} vCPU/${driver.memoryGb} GB and ${executors} executor(s) of ${executor.cpu} vCPU/${executor.memoryGb} GB`;
  for (const field of ['cpu', 'memoryGb', 'diskGb'] as const) {
    const v = capacity[field];
    if (v !== undefined && v < need[field]) {
      throw invalidValue(`maximumCapacity.${field}`, v, `at least ${need[field]} to hold ${what}`);
    }
  }
  return capacity;
}

/** Why an application's maximumCapacity holds `fit` executors, for reasons and errors. */
export function capacityReason(capacity: MaximumCapacity, fit: number, driver: WorkerShape, executor: WorkerShape): string {
  return `the application's maximumCapacity (${describeCapacity(capacity)}) holds a ${driver.cpu} vCPU/${driver.memoryGb} GB driver `
    + `and ${fit} executor(s) of ${executor.cpu} vCPU/${executor.memoryGb} GB${capacity.diskGb === undefined ? '' : ` (disks ${driver.diskGb ?? 20}/${executor.diskGb ?? 20} GB)`}`;
}
