// The validators must fail on what they exist to catch: each check here starts from a valid manifest and
// breaks one thing.
import { coreFindings, crdFindings, expectValidManifests, parseManifestsStrictly, securityFindings, synthManifests } from './k8s-validation';
import { SparkOperatorApplication } from '../../src/spark-operator';
import { chartWithRbac, featuresJob, IMAGE } from '../spark-operator/fixtures';

function validDocs(): any[] {
  const { chart, rbac } = chartWithRbac();
  new SparkOperatorApplication(chart, 'App', { job: featuresJob(), rbac, image: IMAGE, executor: { cpu: 2, memoryGb: 8 } });
  return synthManifests(chart);
}

function app(docs: any[]): any {
  return docs.find(d => d.kind === 'SparkApplication');
}

describe('strict YAML', () => {
  test('fails on a duplicate key', () => {
    expect(() => parseManifestsStrictly('a: 1\nb: 2\na: 3\n', 'dup.yaml')).toThrow(/dup.yaml document 0: .*Map keys must be unique/);
  });

  test('reads every document of a stream', () => {
    expect(parseManifestsStrictly('a: 1\n---\nb: 2\n')).toEqual([{ a: 1 }, { b: 2 }]);
  });
});

describe('CRD schema (ajv)', () => {
  test('passes the valid manifest', () => {
    expect(crdFindings(validDocs())).toEqual([]);
  });

  test.each([
    ['fractional cores', (s: any) => { s.driver.cores = 0.5; }, /\/spec\/driver\/cores must be integer/],
    ['zero instances', (s: any) => { s.executor.instances = 0; }, /\/spec\/executor\/instances must be >= 1/],
    ['an unquoted sparkConf number', (s: any) => { s.sparkConf['spark.sql.shuffle.partitions'] = 400; }, /sparkConf\/spark.sql.shuffle.partitions must be string/],
    ['a lower-case type', (s: any) => { s.type = 'python'; }, /\/spec\/type must be equal to one of the allowed values/],
    ['an unknown field (strict)', (s: any) => { s.driver.memoryOverheadFraction = '0.2'; }, /must NOT have additional properties 'memoryOverheadFraction'/],
    ['a missing required field', (s: any) => { delete s.mainApplicationFile; }, /must have required property 'mainApplicationFile'/],
  ])('fails on %s', (_what, breakIt, message) => {
    const docs = validDocs();
    breakIt(app(docs).spec);
    expect(crdFindings(docs).map(f => f.message).join('\n')).toMatch(message);
  });
});

describe('core schemas (kubernetes-validate)', () => {
  test('pass the valid manifests', () => {
    expect(coreFindings(validDocs())).toEqual([]);
  });

  test('fail on a bad core object and on a bad pod template', () => {
    const docs = validDocs();
    docs.find(d => d.kind === 'ServiceAccount').automountServiceAccountToken = 'yes';
    app(docs).spec.executor.template.spec.containers[0].securityContext.runAsNonRoot = 'true';
    app(docs).spec.driver.template.spec.nodeSelectorr = {};
    const messages = coreFindings(docs).map(f => `${f.kind} ${f.message}`).join('\n');
    expect(messages).toMatch(/ServiceAccount automountServiceAccountToken: 'yes' is not of type 'boolean'/);
    expect(messages).toMatch(/SparkApplication spec.executor.template: .*'true' is not of type 'boolean'/);
    expect(messages).toMatch(/SparkApplication spec.driver.template: .*nodeSelectorr/);
  });
});

describe('security check', () => {
  test('passes the valid manifests', () => {
    expect(securityFindings(validDocs())).toEqual([]);
  });

  test.each([
    ['root', (d: any[]) => { app(d).spec.driver.template.spec.securityContext.runAsNonRoot = false; }, /runAsNonRoot: must be true/],
    ['privilege escalation', (d: any[]) => { app(d).spec.executor.template.spec.containers[0].securityContext.allowPrivilegeEscalation = true; }, /allowPrivilegeEscalation must be false/],
    ['capabilities kept', (d: any[]) => { app(d).spec.executor.template.spec.containers[0].securityContext.capabilities.drop = []; }, /capabilities must drop ALL/],
    ['no seccomp', (d: any[]) => { delete app(d).spec.driver.template.spec.securityContext.seccompProfile; }, /seccompProfile: must be RuntimeDefault/],
    ['no template', (d: any[]) => { delete app(d).spec.executor.template; }, /template: missing/],
    ['webhook-only securityContext', (d: any[]) => { app(d).spec.driver.securityContext = { runAsNonRoot: true }; }, /driver.securityContext: applied only by the operator's webhook/],
    ['request below limit', (d: any[]) => { app(d).spec.executor.coreRequest = '1'; }, /coreRequest '1' must equal coreLimit '2'/],
    ['shared service account', (d: any[]) => { app(d).spec.executor.serviceAccount = app(d).spec.driver.serviceAccount; }, /share the driver's service account/],
    ['a static key in hadoopConf', (d: any[]) => { app(d).spec.hadoopConf['fs.s3a.secret.key'] = 'x'; }, /fs.s3a.secret.key'\]: static credentials/],
    ['a key-based provider', (d: any[]) => { app(d).spec.hadoopConf['fs.s3a.aws.credentials.provider'] = 'org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider'; }, /key-based credentials provider/],
    ['an access key id anywhere', (d: any[]) => { app(d).spec.arguments.push('AKIAABCDEFGHIJKLMNOP'); }, /looks like an AWS access key id/],
    ['a wildcard verb', (d: any[]) => { d.find(x => x.kind === 'Role').rules[0].verbs = ['*']; }, /rules\[0\].verbs: wildcard/],
    ['secrets', (d: any[]) => { d.find(x => x.kind === 'Role').rules[0].resources.push('secrets'); }, /grants secrets/],
    ['a ClusterRole', (d: any[]) => { d.push({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'x' }, rules: [] }); }, /cluster-wide RBAC/],
    ['an executor token', (d: any[]) => { d.find(x => x.kind === 'ServiceAccount' && x.metadata.name === 'spark-executor').automountServiceAccountToken = true; }, /must not mount an API token/],
  ])('fails on %s', (_what, breakIt, message) => {
    const docs = validDocs();
    breakIt(docs);
    expect(securityFindings(docs).map(f => f.message).join('\n')).toMatch(message);
  });

  test('a security finding fails the combined check, naming the object', () => {
    const docs = validDocs();
    app(docs).spec.driver.template.spec.securityContext.runAsNonRoot = false;
    expect(() => expectValidManifests(docs)).toThrow(/invalid manifests:\nsecurity SparkApplication\/customer-features: spec.driver.template.spec.securityContext.runAsNonRoot: must be true/);
  });

  test('a scheduled application without a concurrency policy fails', () => {
    const docs = validDocs();
    const spec = app(docs).spec;
    const scheduled = { apiVersion: 'sparkoperator.k8s.io/v1beta2', kind: 'ScheduledSparkApplication', metadata: { name: 's' }, spec: { schedule: '@daily', template: spec } };
    expect(securityFindings([scheduled]).map(f => f.message)).toEqual(["spec.concurrencyPolicy: 'undefined' (must be set to Allow, Forbid or Replace)"]);
  });
});
