import { TaintEffect, TolerationOperator } from '../../src/spark-operator';
import { podTemplate, validatePlacement } from '../../src/spark-operator/pod-template';
import { coreFindings, securityFindings } from '../support/k8s-validation';

describe('pod templates', () => {
  const executor = podTemplate({
    role: 'executor',
    runAsUser: 185,
    automountServiceAccountToken: false,
    placement: {
      nodeSelector: { 'kubernetes.io/arch': 'arm64' },
      tolerations: [
        { key: 'spark', operator: TolerationOperator.EXISTS, effect: TaintEffect.NO_EXECUTE, tolerationSeconds: 60 },
        { operator: TolerationOperator.EXISTS },
      ],
      priorityClassName: 'batch',
    },
  });

  test('are valid core PodTemplateSpecs (kubernetes-validate, strict)', () => {
    const doc = { apiVersion: 'sparkoperator.k8s.io/v1beta2', kind: 'SparkApplication', metadata: { name: 'x' }, spec: { executor: { template: executor } } };
    expect(coreFindings([doc])).toEqual([]);
  });

  test('render tolerations with only the fields given', () => {
    expect(executor.spec.tolerations).toEqual([
      { key: 'spark', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 },
      { operator: 'Exists' },
    ]);
  });

  test('secure the one Spark container and the pod', () => {
    expect(executor.spec.containers).toEqual([{
      name: 'spark-kubernetes-executor',
      securityContext: {
        allowPrivilegeEscalation: false, privileged: false, runAsNonRoot: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
      },
    }]);
    expect(executor.spec.automountServiceAccountToken).toBe(false);
  });

  test('fail on an unknown operator or effect', () => {
    expect(() => validatePlacement('p', { tolerations: [{ key: 'k', operator: 'Like' as any }] })).toThrow(/^p.tolerations\[0\].operator: 'Like' is not valid; expected one of Equal, Exists/);
    expect(() => validatePlacement('p', { tolerations: [{ key: 'k', effect: 'Evict' as any }] })).toThrow(/^p.tolerations\[0\].effect: 'Evict' is not valid/);
  });

  test('the security check accepts them inside a SparkApplication', () => {
    const driver = podTemplate({ role: 'driver', runAsUser: 185, automountServiceAccountToken: true, placement: {} });
    const pod = { cores: 1, coreRequest: '1', coreLimit: '1', memory: '1g', memoryOverhead: '384m' };
    const doc = {
      apiVersion: 'sparkoperator.k8s.io/v1beta2',
      kind: 'SparkApplication',
      metadata: { name: 'x' },
      spec: { driver: { ...pod, serviceAccount: 'd', template: driver }, executor: { ...pod, serviceAccount: 'e', template: executor } },
    };
    expect(securityFindings([doc])).toEqual([]);
  });
});
