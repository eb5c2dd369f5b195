// RBAC as the API server decides it: SubjectAccessReviews for the service accounts SparkOperatorRbac creates.
// The driver may do what Spark's driver does in its namespace (its executor pods, their services, config maps
// and on-demand volume claims: Spark's running-on-kubernetes RBAC section) and nothing else; the executor
// account may do nothing. Every (verb, resource, namespace) pair asked is printed with the server's answer.
import { asList, kubectlOk, parseJsonStream } from './plane';
import { SparkOperatorRbac } from '../../src/spark-operator';
import { chartWithRbac } from '../spark-operator/fixtures';
import { synthManifests } from '../support/k8s-validation';

const NS = 'rbac-check';
const OTHER_NS = 'rbac-check-other';
const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
/** What Spark's driver manages (Spark's docs, "RBAC"; its ExecutorPodsAllocator, config map and PVC features). */
const DRIVER_RESOURCES = ['pods', 'services', 'configmaps', 'persistentvolumeclaims'];
/** Namespaced resources the driver has no business with. */
const OTHER_NAMESPACED = ['secrets', 'serviceaccounts', 'roles', 'rolebindings', 'pods/exec', 'pods/log', 'events', 'deployments', 'jobs', 'sparkapplications'];
/** Cluster-scoped resources. */
const CLUSTER_SCOPED = ['nodes', 'namespaces', 'persistentvolumes', 'clusterroles', 'clusterrolebindings', 'customresourcedefinitions'];
const GROUPS: { [resource: string]: string } = {
  roles: 'rbac.authorization.k8s.io',
  rolebindings: 'rbac.authorization.k8s.io',
  clusterroles: 'rbac.authorization.k8s.io',
  clusterrolebindings: 'rbac.authorization.k8s.io',
  deployments: 'apps',
  jobs: 'batch',
  sparkapplications: 'sparkoperator.k8s.io',
  customresourcedefinitions: 'apiextensions.k8s.io',
};

interface Check { readonly verb: string; readonly resource: string; readonly namespace?: string }

function checks(): Check[] {
  const out: Check[] = [];
  for (const verb of VERBS) {
    for (const resource of [...DRIVER_RESOURCES, ...OTHER_NAMESPACED]) {
      out.push({ verb, resource, namespace: NS }, { verb, resource, namespace: OTHER_NS });
    }
    for (const resource of CLUSTER_SCOPED) out.push({ verb, resource });
    for (const resource of DRIVER_RESOURCES) out.push({ verb, resource }); // across all namespaces
  }
  for (const verb of ['bind', 'escalate', 'impersonate']) {
    out.push({ verb, resource: 'roles', namespace: NS }, { verb, resource: 'serviceaccounts', namespace: NS });
  }
  return out;
}

/** Asks the API server about every check for `user`, in one `kubectl create` of SubjectAccessReviews. */
function review(user: string, groups: string[], list: Check[]): boolean[] {
  const reviews = list.map(c => {
    const [resource, subresource] = c.resource.split('/');
    return {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SubjectAccessReview',
      spec: {
        user,
        groups,
        resourceAttributes: { verb: c.verb, resource, subresource, group: GROUPS[resource] ?? '', namespace: c.namespace },
      },
    };
  });
  const items = parseJsonStream(kubectlOk(['create', '-o', 'json', '-f', '-'], asList(reviews)));
  if (items.length !== list.length) throw new Error(`asked ${list.length} reviews, got ${items.length} answers`);
  return items.map((r: any) => r.status.allowed === true);
}

function serviceAccount(name: string): { user: string; groups: string[] } {
  return { user: `system:serviceaccount:${NS}:${name}`, groups: ['system:serviceaccounts', `system:serviceaccounts:${NS}`, 'system:authenticated'] };
}

describe('RBAC of SparkOperatorRbac, asked of the API server', () => {
  let rbac: SparkOperatorRbac;
  const all = checks();
  beforeAll(() => {
    const made = chartWithRbac({ namespace: NS });
    rbac = made.rbac;
    const docs = synthManifests(made.chart);
    kubectlOk(['apply', '--server-side', '--field-manager', 'spark-deploy', '-f', '-'],
      asList([...docs, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: OTHER_NS } }]));
  });

  test('the driver may do exactly what Spark\'s driver needs, in its namespace only', () => {
    const sa = serviceAccount(rbac.driverServiceAccountName);
    const answers = review(sa.user, sa.groups, all);
    const expected = all.map(c => c.namespace === NS && DRIVER_RESOURCES.includes(c.resource) && VERBS.includes(c.verb));
    const table = all.map((c, i) => `${answers[i] ? 'allowed' : 'denied '} ${c.verb} ${c.resource} ${c.namespace ?? '(cluster)'}`);
    // the list of every pair checked, with the server's answer
    console.log(`driver ${sa.user}: ${answers.filter(a => a).length} allowed, ${answers.filter(a => !a).length} denied\n${table.join('\n')}`);
    expect(all.filter((_c, i) => answers[i] !== expected[i])).toEqual([]);
    expect(answers.filter(a => a)).toHaveLength(DRIVER_RESOURCES.length * VERBS.length);
  });

  test('the executor may do nothing', () => {
    const sa = serviceAccount(rbac.executorServiceAccountName);
    const answers = review(sa.user, sa.groups, all);
    expect(all.filter((_c, i) => answers[i])).toEqual([]);
    expect(answers).toHaveLength(all.length);
  });

  test('the executor\'s rules, as the server lists them, are only the ones every account gets', () => {
    const rules = rulesOf(serviceAccount(rbac.executorServiceAccountName).user);
    expect(rules.filter(r => !builtIn(r))).toEqual([]);
  });

  test('the driver\'s rules, as the server lists them, are its Role\'s and the ones every account gets', () => {
    const own = rulesOf(serviceAccount(rbac.driverServiceAccountName).user).filter(r => !builtIn(r));
    expect(own.flatMap(r => r.resources).sort()).toEqual([...DRIVER_RESOURCES].sort());
    for (const rule of own) {
      expect(rule.apiGroups).toEqual(['']);
      expect([...rule.verbs].sort()).toEqual([...VERBS].sort());
      expect(rule.resourceNames).toBeUndefined();
    }
  });
});

/** The resource rules the server lists for `user` in NS (SelfSubjectRulesReview, impersonated). */
function rulesOf(user: string): any[] {
  return JSON.parse(kubectlOk(['create', '-o', 'json', '--validate=false', '--as', user, '-f', '-'], JSON.stringify({
    apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace: NS },
  }))).status.resourceRules;
}

/**
 * Rules the API server's bootstrap roles give every authenticated account: asking about itself
 * (system:basic-user) and reading the public ClusterTrustBundles (certificates.k8s.io, 1.33+).
 */
function builtIn(rule: any): boolean {
  return rule.resources.every((r: string) => ['selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'selfsubjectreviews'].includes(r))
    || (rule.apiGroups.join() === 'certificates.k8s.io' && rule.resources.join() === 'clustertrustbundles'
      && rule.verbs.every((v: string) => ['get', 'list', 'watch'].includes(v)));
}
