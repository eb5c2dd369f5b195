import { validateAnnotations, validateDns1123Subdomain, validateLabelKey, validateLabels, validateWholeNumber } from './validation';
import { invalidValue } from '../config/errors';

/** How a toleration matches a taint. */
export enum TolerationOperator {
  /** The taint's value must equal the toleration's. */
  EQUAL = 'Equal',
  /** Any value of the key (or any taint, without a key). */
  EXISTS = 'Exists',
}

/** The effect of a taint. */
export enum TaintEffect {
  /** Pods are not scheduled on the node. */
  NO_SCHEDULE = 'NoSchedule',
  /** The scheduler avoids the node. */
  PREFER_NO_SCHEDULE = 'PreferNoSchedule',
  /** Running pods are evicted. */
  NO_EXECUTE = 'NoExecute',
}

/** A toleration of a node taint. */
export interface PodToleration {
  /**
   * The taint key.
   * @default - all keys (only with TolerationOperator.EXISTS)
   */
  readonly key?: string;
  /**
   * How the value matches.
   * @default TolerationOperator.EQUAL
   */
  readonly operator?: TolerationOperator;
  /**
   * The taint value (only with TolerationOperator.EQUAL).
   * @default - empty
   */
  readonly value?: string;
  /**
   * The taint effect tolerated.
   * @default - all effects
   */
  readonly effect?: TaintEffect;
  /**
   * How long a NoExecute taint is tolerated, seconds.
   * @default - forever
   */
  readonly tolerationSeconds?: number;
}

/** Where the driver or the executors run, and the metadata their pods carry. */
export interface PodPlacement {
  /**
   * Node labels the pods require (e.g. `karpenter.sh/capacity-type: on-demand` for drivers).
   * @default - no node selector
   */
  readonly nodeSelector?: { [key: string]: string };
  /**
   * Taints the pods tolerate (e.g. a dedicated Spark node pool).
   * @default - none
   */
  readonly tolerations?: PodToleration[];
  /**
   * Extra pod annotations.
   * @default - none besides what monitoring and disruption protection add
   */
  readonly annotations?: { [key: string]: string };
  /**
   * The pods' priority class.
   * @default - the cluster default
   */
  readonly priorityClassName?: string;
}

/** The Spark container names the operator hands to Spark with the templates (pkg/common/spark.go). */
export const DRIVER_CONTAINER_NAME = 'spark-kubernetes-driver';
export const EXECUTOR_CONTAINER_NAME = 'spark-kubernetes-executor';
/** The `spark` user of the Apache Spark images (numeric, so the kubelet can verify runAsNonRoot). */
export const SPARK_IMAGE_UID = 185;

/** The container security context every Spark container gets (Pod Security Standards, restricted). */
export function containerSecurityContext(): any {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Options of one role's pod template. */
export interface PodTemplateOptions {
  readonly role: 'driver' | 'executor';
  readonly runAsUser: number;
  readonly placement: PodPlacement;
  readonly activeDeadlineSeconds?: number;
  readonly automountServiceAccountToken: boolean;
  readonly ephemeralStorage?: string;
}

/**
 * A pod template (`spec.driver.template` / `spec.executor.template`) with the pod security and placement.
 * The operator writes it to a file for spark-submit (`spark.kubernetes.*.podTemplateFile`), so these fields
 * reach the pods without the mutating webhook; with a template set, the operator does not even ask the
 * webhook to mutate the pods (submission.go), so the webhook-only spec fields must not be used alongside.
 */
export function podTemplate(options: PodTemplateOptions): any {
  const placement = options.placement;
  const spec: any = {
    securityContext: {
      runAsNonRoot: true,
      runAsUser: options.runAsUser,
      runAsGroup: options.runAsUser,
      fsGroup: options.runAsUser,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    automountServiceAccountToken: options.automountServiceAccountToken,
    containers: [{
      name: options.role === 'driver' ? DRIVER_CONTAINER_NAME : EXECUTOR_CONTAINER_NAME,
      securityContext: containerSecurityContext(),
      // Spark sets CPU and memory itself and keeps other resources of the template container.
      ...(options.ephemeralStorage !== undefined ? {
        resources: {
          requests: { 'ephemeral-storage': options.ephemeralStorage },
          limits: { 'ephemeral-storage': options.ephemeralStorage },
        },
      } : {}),
    }],
  };
  if (options.activeDeadlineSeconds !== undefined) spec.activeDeadlineSeconds = options.activeDeadlineSeconds;
  if (placement.nodeSelector && Object.keys(placement.nodeSelector).length > 0) spec.nodeSelector = { ...placement.nodeSelector };
  if (placement.tolerations && placement.tolerations.length > 0) spec.tolerations = placement.tolerations.map(renderToleration);
  if (placement.priorityClassName !== undefined) spec.priorityClassName = placement.priorityClassName;
  return { spec };
}

/** Validates a placement; `field` names it in errors. */
export function validatePlacement(field: string, placement: PodPlacement | undefined): PodPlacement {
  const p = placement ?? {};
  validateLabels(`${field}.nodeSelector`, p.nodeSelector);
  validateAnnotations(`${field}.annotations`, p.annotations);
  (p.tolerations ?? []).forEach((t, i) => validateToleration(`${field}.tolerations[${i}]`, t));
  if (p.priorityClassName !== undefined) validateDns1123Subdomain(`${field}.priorityClassName`, p.priorityClassName);
  return p;
}

function validateToleration(field: string, t: PodToleration): void {
  const operator = t.operator ?? TolerationOperator.EQUAL;
  if (!Object.values(TolerationOperator).includes(operator)) {
    throw invalidValue(`${field}.operator`, operator, `expected one of ${Object.values(TolerationOperator).join(', ')}`);
  }
  if (t.effect !== undefined && !Object.values(TaintEffect).includes(t.effect)) {
    throw invalidValue(`${field}.effect`, t.effect, `expected one of ${Object.values(TaintEffect).join(', ')}`);
  }
  if (t.key === undefined && operator !== TolerationOperator.EXISTS) {
    throw invalidValue(`${field}.key`, t.key, 'a toleration without a key must use operator Exists');
  }
  if (t.key !== undefined) validateLabelKey(`${field}.key`, t.key);
  if (operator === TolerationOperator.EXISTS && t.value !== undefined) {
    throw invalidValue(`${field}.value`, t.value, 'a toleration with operator Exists has no value');
  }
  if (t.tolerationSeconds !== undefined) {
    if (t.effect !== TaintEffect.NO_EXECUTE) {
      throw invalidValue(`${field}.tolerationSeconds`, t.tolerationSeconds, 'tolerationSeconds applies to the NoExecute effect only');
    }
    validateWholeNumber(`${field}.tolerationSeconds`, t.tolerationSeconds, 0, Number.MAX_SAFE_INTEGER);
  }
}

function renderToleration(t: PodToleration): any {
  const out: any = { operator: t.operator ?? TolerationOperator.EQUAL };
  if (t.key !== undefined) out.key = t.key;
  if (t.value !== undefined) out.value = t.value;
  if (t.effect !== undefined) out.effect = t.effect;
  if (t.tolerationSeconds !== undefined) out.tolerationSeconds = t.tolerationSeconds;
  return out;
}
