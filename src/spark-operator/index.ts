export * from './identity';
export * from './rbac';
export * from './monitoring';
export { PodPlacement, PodToleration, TolerationOperator, TaintEffect } from './pod-template';
export { SparkImagePython, SparkOperatorApplicationProps } from './application-spec';
export * from './spark-application';
export * from './scheduled-spark-application';
export { MAX_SCHEDULED_NAME_LENGTH } from './validation';
export { KubernetesNodeShape, NodeResources, EksNodeOptions } from './node-shape';
