// The real kube-apiserver as the judge of what we emit: the operator's CRDs (../shared/schemas) install and
// become Established, every manifest of the example and of the unit tests' charts passes
// `kubectl apply --server-side --dry-run=server`, and broken manifests are refused with the server's own message.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { asList, ensureNamespaces, installSparkOperatorCrds, kubectl, kubectlOk, REPO_ROOT } from './plane';
import { buildExampleApp } from '../../examples/spark-operator/app';
import { ScheduledSparkOperatorApplication } from '../../src/spark-operator';
import { chartWithRbac, featuresJob, IMAGE, only } from '../spark-operator/fixtures';
import { crdFindings, parseManifestsStrictly, SCHEMAS_DIR, synthManifests } from '../support/k8s-validation';

/** Where `npm test` keeps the unit tests' charts (test/support/k8s-validation.ts, synthManifests). */
const MANIFESTS_DIR = process.env.SPARK_DEPLOY_MANIFESTS_DIR ?? path.join(REPO_ROOT, '.tools', 'k8s', 'manifests');

function exampleDocs(): any[] {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-example-'));
  try {
    buildExampleApp(outdir).synth();
    return fs.readdirSync(outdir).filter(f => f.endsWith('.yaml')).sort()
      .flatMap(f => parseManifestsStrictly(fs.readFileSync(path.join(outdir, f), 'utf8'), f));
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** Server-side dry-run apply of `docs`, strict field validation; returns kubectl's result. */
function dryRunApply(docs: any[]) {
  return kubectl(['apply', '--server-side', '--dry-run=server', '--validate=strict', '--field-manager', 'spark-deploy', '-f', '-'], asList(docs));
}

function expectAccepted(docs: any[]): void {
  ensureNamespaces(docs);
  const r = dryRunApply(docs);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  // one "<kind>/<name> serverside-applied (server dry run)" line per object
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(docs.length);
  expect(lines.every(l => / serverside-applied \(server dry run\)$/.test(l))).toBe(true);
}

let crdNames: string[];
beforeAll(() => {
  crdNames = installSparkOperatorCrds(SCHEMAS_DIR);
});

describe('the operator CRDs', () => {
  test('apply and become Established, with their names accepted', () => {
    expect(crdNames.sort()).toEqual(['scheduledsparkapplications.sparkoperator.k8s.io', 'sparkapplications.sparkoperator.k8s.io']);
    for (const name of crdNames) {
      const crd = JSON.parse(kubectlOk(['get', 'crd', name, '-o', 'json']));
      const conditions = Object.fromEntries(crd.status.conditions.map((c: any) => [c.type, c.status]));
      expect(conditions).toMatchObject({ Established: 'True', NamesAccepted: 'True' });
      expect(conditions.NonStructuralSchema).toBeUndefined();
    }
  });
});

describe('kubectl apply --server-side --dry-run=server', () => {
  test('accepts every manifest of the example', () => {
    const docs = exampleDocs();
    expect(docs.map(d => d.kind)).toContain('ScheduledSparkApplication');
    expectAccepted(docs);
  });

  const files = fs.existsSync(MANIFESTS_DIR) ? fs.readdirSync(MANIFESTS_DIR).filter(f => f.endsWith('.yaml')).sort() : [];
  test('has the unit tests\' charts to check (kept by `npm test` in SPARK_DEPLOY_MANIFESTS_DIR)', () => {
    // Fails when this suite runs without them: run `npx projen test` (or the unit tests with the variable set) first.
    expect(files.length).toBeGreaterThan(20);
    const testFiles = new Set(files.map(f => f.replace(/-[0-9a-f]{16}\.yaml$/, '')));
    expect([...testFiles]).toEqual(expect.arrayContaining(['spark-application', 'scheduled-spark-application', 'rbac']));
  });

  test.each(files)('accepts the unit tests\' chart %s', file => {
    expectAccepted(parseManifestsStrictly(fs.readFileSync(path.join(MANIFESTS_DIR, file), 'utf8'), file));
  });
});

describe('the API server refuses broken manifests with its own message', () => {
  const docs = exampleDocs();
  const app = () => JSON.parse(JSON.stringify(docs.find(d => d.kind === 'SparkApplication')));
  beforeAll(() => ensureNamespaces(docs));

  test.each([
    ['fractional driver cores', (s: any) => { s.driver.cores = 0.5; }, /spec\.driver\.cores: Invalid value: .*spec\.driver\.cores in body must be of type int32/],
    ['zero executor instances', (s: any) => { s.executor.instances = 0; }, /spec\.executor\.instances: Invalid value: 0: spec\.executor\.instances in body should be greater than or equal to 1/],
    ['a number in sparkConf', (s: any) => { s.sparkConf['spark.sql.shuffle.partitions'] = 400; }, /\.spec\.sparkConf\.spark\.sql\.shuffle\.partitions: expected string, got .*400/],
    ['a lower-case application type', (s: any) => { s.type = 'python'; }, /spec\.type: Unsupported value: "python": supported values: "Java", "Python", "Scala", "R"/],
  ])('%s', (_what, breakIt, serverMessage) => {
    const broken = app();
    breakIt(broken.spec);
    const r = dryRunApply([broken]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(serverMessage);
    // our offline CRD check (ajv) refuses the same object
    expect(crdFindings([broken]).length).toBeGreaterThan(0);
  });

  // kubectl checks unknown and missing fields itself against the schema the server publishes; post these to
  // the server directly (dry run, strict field validation) so its own validation answers
  test.each([
    ['an unknown field', (s: any) => { s.driver.memoryOverheadFraction = '0.2'; }, /unknown field "spec\.driver\.memoryOverheadFraction"/],
    ['no main application file', (s: any) => { delete s.mainApplicationFile; }, /spec\.mainApplicationFile: Required value/],
  ])('%s (posted to the server)', (_what, breakIt, serverMessage) => {
    const broken = app();
    breakIt(broken.spec);
    const url = `/apis/sparkoperator.k8s.io/v1beta2/namespaces/${broken.metadata.namespace}/sparkapplications?dryRun=All&fieldValidation=Strict`;
    const r = kubectl(['create', '--raw', url, '-f', '-'], JSON.stringify(broken));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(serverMessage);
    expect(crdFindings([broken]).length).toBeGreaterThan(0);
  });

  test('a Pod Security level that does not exist, on the namespace', () => {
    const ns = JSON.parse(JSON.stringify(docs.find(d => d.kind === 'Namespace')));
    ns.metadata.labels['pod-security.kubernetes.io/enforce'] = 'strictest';
    const r = dryRunApply([ns]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/pod-security\.kubernetes\.io\/enforce.*strictest.*must be one of privileged, baseline, restricted/);
  });

  test('a RoleBinding whose roleRef is changed in place (immutable)', () => {
    const binding = docs.find(d => d.kind === 'RoleBinding');
    kubectlOk(['apply', '--server-side', '--field-manager', 'spark-deploy', '-f', '-'], asList([binding]));
    const changed = JSON.parse(JSON.stringify(binding));
    changed.roleRef.name = 'another-role';
    const r = dryRunApply([changed]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/The RoleBinding "spark-driver" is invalid: roleRef: Invalid value: .*another-role.*field is immutable/);
  });
});

describe('what the API server accepts and only the operator (and our synth-time checks) refuse', () => {
  const { chart, rbac } = chartWithRbac({ namespace: 'operator-only' });
  new ScheduledSparkOperatorApplication(chart, 'Nightly', {
    job: featuresJob(), rbac, image: IMAGE, executor: { cpu: 2, memoryGb: 8 }, schedule: '0 3 * * *',
  });
  const docs = synthManifests(chart);
  const scheduled = () => JSON.parse(JSON.stringify(only(docs, 'ScheduledSparkApplication')));
  beforeAll(() => ensureNamespaces(docs));

  test.each([
    ['a cron schedule the operator cannot parse', (s: any) => { s.schedule = 'every night at 3'; }, { schedule: 'every night at 3' }, /schedule/],
    ['an unknown concurrency policy', (s: any) => { s.concurrencyPolicy = 'Sometimes'; }, { concurrencyPolicy: 'Sometimes' as any }, /concurrencyPolicy/],
    ['an unknown time zone', (s: any) => { s.timeZone = 'Mars/Olympus_Mons'; }, { timeZone: 'Mars/Olympus_Mons' }, /timeZone/],
  ])('%s', (_what, breakIt, props, ourMessage) => {
    const broken = scheduled();
    breakIt(broken.spec);
    const r = dryRunApply([broken]);
    // the CRD has no enum or pattern for it: the server stores it, and the operator would fail the runs later
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const again = chartWithRbac({ namespace: 'operator-only' });
    expect(() => new ScheduledSparkOperatorApplication(again.chart, 'Nightly', {
      job: featuresJob(), rbac: again.rbac, image: IMAGE, executor: { cpu: 2, memoryGb: 8 }, schedule: '0 3 * * *', ...props,
    })).toThrow(ourMessage);
  });

  test('a sparkConf key the operator\'s webhook denies (the driver\'s service account)', () => {
    const broken = scheduled();
    broken.spec.template.sparkConf['spark.kubernetes.authenticate.driver.serviceAccountName'] = 'default';
    const r = dryRunApply([broken]);
    expect(r.status).toBe(0);
    const again = chartWithRbac({ namespace: 'operator-only' });
    expect(() => new ScheduledSparkOperatorApplication(again.chart, 'Nightly', {
      job: featuresJob({ sparkConf: { 'spark.kubernetes.authenticate.driver.serviceAccountName': 'default' } }),
      rbac: again.rbac,
      image: IMAGE,
      executor: { cpu: 2, memoryGb: 8 },
      schedule: '0 3 * * *',
    })).toThrow(/spark\.kubernetes\.authenticate\.driver\.serviceAccountName/);
  });
});
