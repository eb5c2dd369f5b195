// Pod Security admission judges the pods Spark itself creates from our SparkApplication: pyspark's own
// spark-submit (cluster mode, as the operator runs it) submits to the real API server, whose admission
// admits our driver pod under the namespace's `restricted` enforcement and refuses the same submission
// without our pod templates. The executor pod, as Spark's builder makes it, is created with the driver's
// service account (as the running driver would) and admitted too.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse } from 'yaml';
import { asList, controlPlane, kubectl, kubectlOk, REPO_ROOT } from './plane';
import { SparkOperatorApplication } from '../../src/spark-operator';
import { chartWithRbac, featuresJob, imageCode, only } from '../spark-operator/fixtures';
import { buildPodsWithSpark, synthManifests } from '../support/k8s-validation';

interface Submitted { readonly returncode: number; readonly output: string }

/** Runs spark_submit_k8s.py in the jobs venv of `line` against the plane, as its admin (the operator's role). */
function sparkSubmit(app: any, line: '3.5' | '4.0', dropTemplates: boolean, tokenFile: string): Submitted {
  const plane = controlPlane();
  const request = {
    name: app.metadata.name,
    namespace: app.metadata.namespace,
    spec: app.spec,
    master: `k8s://${plane.apiServerUrl}`,
    caFile: plane.caFile,
    tokenFile,
    dropTemplates,
  };
  const out = execFileSync('bash', [path.join(REPO_ROOT, 'jobs', 'scripts', 'in-venv.sh'), 'python', path.join(__dirname, 'spark_submit_k8s.py')], {
    input: JSON.stringify(request), encoding: 'utf8', timeout: 300_000, env: { ...process.env, SPARK_LINE: line },
  });
  return JSON.parse(out);
}

function adminTokenFile(dir: string): string {
  const config = parse(fs.readFileSync(controlPlane().kubeconfig, 'utf8'));
  const file = path.join(dir, 'token');
  fs.writeFileSync(file, config.users[0].user.token, { mode: 0o600 });
  return file;
}

describe.each([['4.0', '4.0.1', 'apache/spark:4.0.1-python3'], ['3.5', '3.5.6', 'apache/spark:3.5.6-python3']] as const)(
  'spark-submit of Spark %s into a restricted namespace', (line, sparkVersion, image) => {
    const ns = `psa-spark-${line.replace('.', '')}`;
    const { chart, rbac } = chartWithRbac({ namespace: ns });
    new SparkOperatorApplication(chart, 'App', {
      job: featuresJob({ code: imageCode() }),
      rbac,
      image,
      sparkVersion,
      executor: { cpu: 2, memoryGb: 8 },
      driver: { cpu: 1, memoryGb: 4 },
      ephemeralStorage: '20Gi',
    });
    const docs = synthManifests(chart);
    const app = only(docs, 'SparkApplication');
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'spark-submit-k8s-'));
    let tokenFile: string;
    let submitted: Submitted;

    beforeAll(() => {
      tokenFile = adminTokenFile(scratch);
      // the namespace (Pod Security labels), service accounts and RBAC, for real; no operator runs the app
      kubectlOk(['apply', '--server-side', '--field-manager', 'spark-deploy', '-f', '-'], asList(docs.filter(d => d.kind !== 'SparkApplication')));
      submitted = sparkSubmit(app, line, false, tokenFile);
    });
    afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

    test('the namespace enforces the restricted standard', () => {
      const labels = JSON.parse(kubectlOk(['get', 'namespace', ns, '-o', 'json'])).metadata.labels;
      expect(labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
    });

    test('Spark\'s submission client creates the driver pod, its config maps and service; admission admits them', () => {
      expect({ returncode: submitted.returncode, tail: submitted.output.slice(-3000) }).toMatchObject({ returncode: 0 });
      const pods = JSON.parse(kubectlOk(['get', 'pods', '-n', ns, '-l', 'spark-role=driver', '-o', 'json'])).items;
      expect(pods).toHaveLength(1);
      const pod = pods[0];
      expect(pod.spec.serviceAccountName).toBe(rbac.driverServiceAccountName);
      expect(pod.spec.securityContext).toEqual(app.spec.driver.template.spec.securityContext);
      const container = pod.spec.containers.find((c: any) => c.name === 'spark-kubernetes-driver');
      expect(container.securityContext).toEqual(app.spec.driver.template.spec.containers[0].securityContext);
      // (the API server stores quantities in canonical form: Spark's 4096Mi is 4Gi)
      expect(container.resources.limits).toEqual({ 'cpu': '1', 'memory': '4Gi', 'ephemeral-storage': '20Gi' });
      // the objects Spark made beside the pod, owned by it
      const owned = (kind: string) => JSON.parse(kubectlOk(['get', kind, '-n', ns, '-o', 'json'])).items
        .filter((o: any) => (o.metadata.ownerReferences ?? []).some((r: any) => r.kind === 'Pod' && r.uid === pod.metadata.uid));
      expect(owned('configmaps').length).toBeGreaterThanOrEqual(1);
      const services = owned('services');
      expect(services).toHaveLength(1);
      expect(services[0].spec.clusterIP).toBe('None');
    });

    test('without our pod templates the same submission is refused by Pod Security admission', () => {
      kubectl(['delete', 'pods', '--all', '-n', ns, '--wait=false']);
      const refused = sparkSubmit(app, line, true, tokenFile);
      expect(refused.returncode).not.toBe(0);
      expect(refused.output).toMatch(/violates PodSecurity "restricted:latest"/);
      expect(refused.output).toMatch(/allowPrivilegeEscalation != false/);
      expect(refused.output).toMatch(/runAsNonRoot != true/);
      expect(refused.output).toMatch(/seccompProfile/);
    });

    test('the executor pod Spark builds is admitted when the driver\'s service account creates it', () => {
      const executor = buildPodsWithSpark(app, line).executor;
      const pod = { ...executor.pod, metadata: { ...executor.pod.metadata, name: `${app.metadata.name}-exec-1`, namespace: ns } };
      pod.spec = { ...pod.spec, containers: [executor.container] };
      const driver = `system:serviceaccount:${ns}:${rbac.driverServiceAccountName}`;
      const created = kubectl(['create', '--as', driver, '-f', '-', '-o', 'name'], JSON.stringify(pod));
      expect(created.stderr).toBe('');
      expect(created.stdout.trim()).toBe(`pod/${pod.metadata.name}`);
      // and the executor's own account may not create it (it has no RBAC at all)
      const asExecutor = kubectl(['create', '--dry-run=server', '--as', `system:serviceaccount:${ns}:${rbac.executorServiceAccountName}`, '-f', '-'],
        JSON.stringify({ ...pod, metadata: { ...pod.metadata, name: `${pod.metadata.name}-x` } }));
      expect(asExecutor.status).not.toBe(0);
      expect(asExecutor.stderr).toMatch(/forbidden: User "system:serviceaccount:[^"]+:spark-executor" cannot create resource "pods"/);
    });
  });
