import { Testing } from 'cdk8s';
import { chartWithRbac, only, ROLE_ARN } from './fixtures';
import { PodSecurityLevel, SparkOperatorRbac, WorkloadIdentity } from '../../src/spark-operator';
import { expectValidManifests, securityFindings, synthManifests } from '../support/k8s-validation';

describe('SparkOperatorRbac', () => {
  test('renders valid, least-privilege RBAC', () => {
    const { chart } = chartWithRbac();
    const docs = synthManifests(chart);
    expectValidManifests(docs);
    expect(docs.map(d => d.kind)).toEqual(['Namespace', 'ServiceAccount', 'ServiceAccount', 'Role', 'RoleBinding']);
  });

  test('the driver Role is namespaced, has no wildcard and no secrets, and covers what Spark drivers create', () => {
    const { chart } = chartWithRbac();
    const role = only(synthManifests(chart), 'Role');
    expect(role.metadata).toEqual({ name: 'spark-driver', namespace: 'spark-jobs' });
    const resources = role.rules.flatMap((r: any) => r.resources).sort();
    expect(resources).toEqual(['configmaps', 'persistentvolumeclaims', 'pods', 'services']);
    for (const rule of role.rules) {
      expect(rule.apiGroups).toEqual(['']);
      expect(rule.verbs).toEqual(['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']);
    }
  });

  test('only the driver is bound; the executor account has no token', () => {
    const { chart } = chartWithRbac();
    const docs = synthManifests(chart);
    const binding = only(docs, 'RoleBinding');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'spark-driver' });
    expect(binding.subjects).toEqual([{ apiGroup: '', kind: 'ServiceAccount', name: 'spark-driver', namespace: 'spark-jobs' }]);
    const accounts = docs.filter(d => d.kind === 'ServiceAccount');
    expect(accounts.map(a => [a.metadata.name, a.automountServiceAccountToken])).toEqual([['spark-driver', true], ['spark-executor', false]]);
  });

  test('IRSA annotates both service accounts with the same role', () => {
    const { chart } = chartWithRbac();
    const accounts = synthManifests(chart).filter(d => d.kind === 'ServiceAccount');
    for (const a of accounts) expect(a.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': ROLE_ARN });
  });

  test('EKS Pod Identity lists the associations to make and adds no annotation', () => {
    const { chart, rbac } = chartWithRbac({ identity: WorkloadIdentity.podIdentity(ROLE_ARN) });
    for (const a of synthManifests(chart).filter(d => d.kind === 'ServiceAccount')) expect(a.metadata.annotations).toBeUndefined();
    expect(rbac.podIdentityAssociations()).toEqual([
      { namespace: 'spark-jobs', serviceAccount: 'spark-driver', roleArn: ROLE_ARN },
      { namespace: 'spark-jobs', serviceAccount: 'spark-executor', roleArn: ROLE_ARN },
    ]);
  });

  test('a created namespace enforces the restricted Pod Security Standard by default', () => {
    const { chart } = chartWithRbac({ namespaceLabels: { team: 'data' } });
    expect(only(synthManifests(chart), 'Namespace').metadata.labels).toEqual({
      'team': 'data',
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/audit': 'restricted',
    });
    const baseline = chartWithRbac({ podSecurity: PodSecurityLevel.BASELINE }).chart;
    expect(only(synthManifests(baseline), 'Namespace').metadata.labels['pod-security.kubernetes.io/enforce']).toBe('baseline');
  });

  test('an existing namespace is not created', () => {
    const chart = Testing.chart();
    new SparkOperatorRbac(chart, 'Rbac', { namespace: 'analytics', driverServiceAccountName: 'driver', executorServiceAccountName: 'executor' });
    const docs = synthManifests(chart);
    expect(docs.map(d => d.kind)).toEqual(['ServiceAccount', 'ServiceAccount', 'Role', 'RoleBinding']);
    expect(docs.every(d => d.metadata.namespace === 'analytics')).toBe(true);
    expect(securityFindings(docs)).toEqual([]);
  });

  describe('bad input', () => {
    test.each([
      [{ namespace: 'Spark_Jobs' }, /^namespace: 'Spark_Jobs' is not valid; expected a DNS-1123 label/],
      [{ driverServiceAccountName: 'spark.driver' }, /^driverServiceAccountName: 'spark.driver' is not valid/],
      [{ driverServiceAccountName: 'spark', executorServiceAccountName: 'spark' }, /^executorServiceAccountName: 'spark' is not valid; the executors need their own service account/],
      [{ podSecurity: 'strict' as any }, /^podSecurity: 'strict' is not valid; expected one of restricted, baseline, privileged/],
      [{ createNamespace: false, namespaceLabels: { a: 'b' } }, /^namespaceLabels: .* namespace labels apply only with createNamespace: true/],
      [{ identity: { kind: 'irsa' } as any }, /^identity: .* expected a WorkloadIdentity/],
    ])('fails on %j', (props, message) => {
      expect(() => chartWithRbac(props as any)).toThrow(message);
    });
  });
});
