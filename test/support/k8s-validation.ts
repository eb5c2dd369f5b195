/**
 * Validation of synthesized Kubernetes manifests, shared by the Spark Operator tests and the example test:
 * - strict YAML parsing (duplicate keys are errors: the `yaml` package with `uniqueKeys`),
 * - the Spark Operator CRD schemas in ../shared/schemas (ajv on `spec.versions[].schema.openAPIV3Schema`,
 *   made strict like `kubectl --validate=strict`),
 * - the core Kubernetes schemas bundled by the PyPI package kubernetes-validate (installed in the jobs venv by
 *   jobs/pyproject.toml's test extras), also for the CRDs' schemaless pod templates,
 * - a security check (pod security, RBAC, credentials).
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { Chart, Yaml } from 'cdk8s';
import { parseAllDocuments } from 'yaml';

const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** The CRDs, beside the repository (`../shared/schemas`). */
export const SCHEMAS_DIR = process.env.SPARK_OPERATOR_SCHEMAS ?? path.resolve(REPO_ROOT, '..', 'shared', 'schemas');
/** The Kubernetes version the core schemas are taken from (EKS standard support). */
export const KUBERNETES_VERSION = '1.30.0';

// ---- Strict YAML ---------------------------------------------------------------------------------

/** Parses multi-document YAML; duplicate keys and any YAML error throw, naming the document. */
export function parseManifestsStrictly(text: string, source = 'manifest'): any[] {
  const docs = parseAllDocuments(text, { uniqueKeys: true, strict: true, prettyErrors: true });
  if (!Array.isArray(docs)) throw new Error(`${source}: not a YAML stream`);
  const out: any[] = [];
  docs.forEach((doc, i) => {
    const problems = [...doc.errors, ...doc.warnings];
    if (problems.length > 0) {
      throw new Error(`${source} document ${i}: ${problems.map(p => p.message).join('; ')}`);
    }
    const value = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  });
  return out;
}

/**
 * Synthesizes a chart the way `cdk8s synth` writes it (YAML), then parses it back strictly. With
 * SPARK_DEPLOY_MANIFESTS_DIR set (`npm test` sets it), the YAML is also kept there, one file per distinct chart,
 * for the real API server's dry-run in test/control-plane.
 */
export function synthManifests(chart: Chart): any[] {
  const text = Yaml.stringify(...chart.toJson());
  keepForControlPlane(text);
  return parseManifestsStrictly(text, chart.node.path);
}

function keepForControlPlane(text: string): void {
  const dir = process.env.SPARK_DEPLOY_MANIFESTS_DIR;
  if (!dir) return;
  const testFile = path.basename(expect.getState().testPath ?? 'unknown', '.test.ts');
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${testFile}-${hash}.yaml`), text);
}

// ---- CRD schemas (ajv) ---------------------------------------------------------------------------

interface CrdValidator {
  readonly kind: string;
  readonly apiVersion: string;
  readonly validate: ValidateFunction;
}

let crdValidators: CrdValidator[] | undefined;

/** Every CRD document in the schemas directory, compiled once. */
export function loadCrdValidators(): CrdValidator[] {
  if (crdValidators) return crdValidators;
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => !Number.isNaN(Date.parse(s)) });
  const validators: CrdValidator[] = [];
  const files = fs.readdirSync(SCHEMAS_DIR).filter(f => /\.ya?ml$/.test(f)).sort();
  for (const file of files) {
    for (const crd of parseManifestsStrictly(fs.readFileSync(path.join(SCHEMAS_DIR, file), 'utf8'), file)) {
      if (crd.kind !== 'CustomResourceDefinition') continue;
      for (const version of crd.spec.versions) {
        validators.push({
          kind: crd.spec.names.kind,
          apiVersion: `${crd.spec.group}/${version.name}`,
          validate: ajv.compile(strictSchema(version.schema.openAPIV3Schema)),
        });
      }
    }
  }
  if (validators.length === 0) throw new Error(`no CustomResourceDefinition found in ${SCHEMAS_DIR}`);
  crdValidators = validators;
  return validators;
}

/**
 * The structural schema as the API server applies it with `--validate=strict`: unknown fields are errors
 * (instead of being pruned silently), int-or-string is either; schemaless (preserve-unknown-fields) parts stay open.
 */
function strictSchema(schema: any): any {
  if (Array.isArray(schema)) return schema.map(strictSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: any = {};
  for (const [key, value] of Object.entries(schema)) {
    out[key] = key === 'properties'
      ? Object.fromEntries(Object.entries(value as any).map(([k, v]) => [k, strictSchema(v)]))
      : strictSchema(value);
  }
  if (out['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  if (out.properties && out.additionalProperties === undefined && !out['x-kubernetes-preserve-unknown-fields']) {
    out.additionalProperties = false;
  }
  return out;
}

/** A problem found in one manifest. */
export interface ManifestFinding {
  readonly kind: string;
  readonly name: string;
  readonly message: string;
}

function describe(doc: any): { kind: string; name: string } {
  return { kind: String(doc?.kind), name: String(doc?.metadata?.name) };
}

/** Validates the Spark Operator objects among `docs` against their CRD; other kinds are skipped. */
export function crdFindings(docs: any[]): ManifestFinding[] {
  const validators = loadCrdValidators();
  const findings: ManifestFinding[] = [];
  for (const doc of docs) {
    if (!String(doc.apiVersion).startsWith('sparkoperator.k8s.io/')) continue;
    const v = validators.find(c => c.kind === doc.kind && c.apiVersion === doc.apiVersion);
    if (!v) {
      findings.push({ ...describe(doc), message: `no CRD for ${doc.apiVersion} ${doc.kind}` });
      continue;
    }
    if (!v.validate(doc)) {
      for (const e of v.validate.errors as ErrorObject[]) {
        const extra = e.keyword === 'additionalProperties' ? ` '${(e.params as any).additionalProperty}'` : '';
        findings.push({ ...describe(doc), message: `${e.instancePath || '/'} ${e.message}${extra}` });
      }
    }
  }
  return findings;
}

// ---- Core Kubernetes schemas (kubernetes-validate) ---------------------------------------------------

let venvChecked = false;

/**
 * Brings the jobs venv up to date with jobs/pyproject.toml once per process (a no-op when its stamp matches),
 * under a lock so that parallel test workers never install into it at the same time.
 */
function ensureVenv(): void {
  if (venvChecked) return;
  const setup = path.join(REPO_ROOT, 'jobs', 'scripts', 'setup-venv.sh');
  execFileSync('flock', [path.join(os.tmpdir(), 'spark-deploy-venv-setup.lock'), 'bash', setup], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000 });
  venvChecked = true;
}

/**
 * Validates every core object, and every Spark pod template as a core PodTemplate, with kubernetes-validate
 * in strict mode (offline, schemas bundled by the package). Runs one Python process per call.
 */
export function coreFindings(docs: any[]): ManifestFinding[] {
  ensureVenv();
  const script = path.join(__dirname, 'validate_k8s_core.py');
  const out = execFileSync('bash', [path.join(REPO_ROOT, 'jobs', 'scripts', 'in-venv.sh'), 'python', script, KUBERNETES_VERSION], {
    input: JSON.stringify(docs),
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 120_000,
  });
  return (JSON.parse(out) as any[]).map(f => ({
    kind: String(f.kind), name: String(f.name), message: `${f.path ? f.path + ': ' : ''}${f.error}`,
  }));
}

// ---- Security check ------------------------------------------------------------------------------------

const STATIC_CREDENTIAL_KEY = /(^|\.)(access\.key|secret\.key|session\.token|awsAccessKeyId|awsSecretAccessKey|oauthToken)$/i;
const AWS_ACCESS_KEY_ID = /\b(AKIA|ASIA)[0-9A-Z]{16}\b/;
/** Pod fields the operator applies only through its mutating webhook (sparkpod_defaulter.go). */
const WEBHOOK_ONLY_POD_FIELDS = [
  'securityContext', 'podSecurityContext', 'tolerations', 'affinity', 'nodeSelector', 'sidecars', 'initContainers',
  'hostNetwork', 'dnsConfig', 'env', 'envFrom', 'envVars', 'volumeMounts', 'schedulerName', 'priorityClassName',
  'terminationGracePeriodSeconds', 'hostAliases', 'shareProcessNamespace', 'memoryLimit',
];

/**
 * The security rules every synthesized manifest must pass: pod security in the Spark pod templates (not in
 * webhook-only fields), CPU and memory set with request = limit, separate service accounts, least RBAC
 * (namespaced Roles only, no wildcard, no secrets), executor service accounts without an API token, and no
 * static credentials anywhere.
 */
export function securityFindings(docs: any[]): ManifestFinding[] {
  const findings: ManifestFinding[] = [];
  const bound = new Set<string>();
  for (const doc of docs) {
    if (doc.kind === 'RoleBinding') for (const s of doc.subjects ?? []) if (s.kind === 'ServiceAccount') bound.add(`${s.namespace}/${s.name}`);
  }
  for (const doc of docs) {
    const add = (message: string) => findings.push({ ...describe(doc), message });
    scanStrings(doc, '', (where, value) => {
      if (AWS_ACCESS_KEY_ID.test(value)) add(`${where}: looks like an AWS access key id`);
    });
    switch (doc.kind) {
      case 'SparkApplication':
        checkSparkSpec(doc.spec, 'spec', add);
        break;
      case 'ScheduledSparkApplication':
        checkSparkSpec(doc.spec?.template, 'spec.template', add);
        if (!['Allow', 'Forbid', 'Replace'].includes(doc.spec?.concurrencyPolicy)) {
          add(`spec.concurrencyPolicy: '${doc.spec?.concurrencyPolicy}' (must be set to Allow, Forbid or Replace)`);
        }
        break;
      case 'ClusterRole':
      case 'ClusterRoleBinding':
        add('cluster-wide RBAC is not allowed; Spark drivers need a namespaced Role');
        break;
      case 'Role':
        (doc.rules ?? []).forEach((r: any, i: number) => {
          for (const field of ['verbs', 'resources', 'apiGroups']) {
            if ((r[field] ?? []).includes('*')) add(`rules[${i}].${field}: wildcard '*'`);
          }
          if ((r.resources ?? []).some((x: string) => x === 'secrets' || x.startsWith('secrets/'))) add(`rules[${i}].resources: grants secrets`);
          if ((r.apiGroups ?? []).some((g: string) => g.includes('rbac.authorization.k8s.io'))) add(`rules[${i}].apiGroups: grants RBAC`);
        });
        break;
      case 'ServiceAccount':
        if (!bound.has(`${doc.metadata?.namespace}/${doc.metadata?.name}`) && doc.automountServiceAccountToken !== false) {
          add('a service account without RBAC must not mount an API token (automountServiceAccountToken: false)');
        }
        break;
      case 'Secret':
        add('manifests carry no Secrets; credentials come from the workload identity');
        break;
      default:
        break;
    }
  }
  return findings;
}

function checkSparkSpec(spec: any, at: string, add: (m: string) => void): void {
  if (!spec) return add(`${at}: missing`);
  for (const [key, value] of Object.entries({ ...(spec.sparkConf ?? {}), ...prefixed(spec.hadoopConf ?? {}) })) {
    if (STATIC_CREDENTIAL_KEY.test(key)) add(`${at}.sparkConf['${key}']: static credentials`);
    if (/credentials\.provider$/.test(key) && /SimpleAWSCredentialsProvider|TemporaryAWSCredentialsProvider/.test(String(value))) {
      add(`${at}.sparkConf['${key}']: a key-based credentials provider`);
    }
  }
  if (spec.driver?.serviceAccount === undefined || spec.executor?.serviceAccount === undefined) add(`${at}: driver and executor service accounts must both be set`);
  if (spec.driver?.serviceAccount !== undefined && spec.driver.serviceAccount === spec.executor?.serviceAccount) {
    add(`${at}: the executors share the driver's service account (and its RBAC)`);
  }
  for (const volume of spec.volumes ?? []) if (volume.hostPath) add(`${at}.volumes: hostPath volume '${volume.name}'`);
  for (const role of ['driver', 'executor']) {
    const pod = spec[role] ?? {};
    const where = `${at}.${role}`;
    for (const field of WEBHOOK_ONLY_POD_FIELDS) {
      if (pod[field] !== undefined) add(`${where}.${field}: applied only by the operator's webhook; put it in the pod template`);
    }
    if (!Number.isInteger(pod.cores) || pod.cores < 1) add(`${where}.cores: not set`);
    if (!pod.coreRequest || pod.coreRequest !== pod.coreLimit) add(`${where}: coreRequest '${pod.coreRequest}' must equal coreLimit '${pod.coreLimit}'`);
    if (!pod.memory || !pod.memoryOverhead) add(`${where}: memory and memoryOverhead must be set (they are the pod's memory limit)`);
    const tpl = pod.template?.spec;
    if (!tpl) {
      add(`${where}.template: missing (pod security would depend on the webhook)`);
      continue;
    }
    const psc = tpl.securityContext ?? {};
    if (psc.runAsNonRoot !== true) add(`${where}.template.spec.securityContext.runAsNonRoot: must be true`);
    if (psc.runAsUser === 0) add(`${where}.template.spec.securityContext.runAsUser: root`);
    if (psc.seccompProfile?.type !== 'RuntimeDefault') add(`${where}.template.spec.securityContext.seccompProfile: must be RuntimeDefault`);
    for (const field of ['hostNetwork', 'hostPID', 'hostIPC']) if (tpl[field]) add(`${where}.template.spec.${field}: true`);
    for (const volume of tpl.volumes ?? []) if (volume.hostPath) add(`${where}.template.spec.volumes: hostPath '${volume.name}'`);
    const containers = [...(tpl.containers ?? []), ...(tpl.initContainers ?? [])];
    if (containers.length === 0) add(`${where}.template.spec.containers: no Spark container to secure`);
    for (const c of containers) {
      const sc = c.securityContext ?? {};
      if (sc.allowPrivilegeEscalation !== false) add(`${where} container '${c.name}': allowPrivilegeEscalation must be false`);
      if (sc.privileged === true) add(`${where} container '${c.name}': privileged`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL')) add(`${where} container '${c.name}': capabilities must drop ALL`);
      if ((sc.capabilities?.add ?? []).length > 0) add(`${where} container '${c.name}': adds capabilities`);
    }
    if (role === 'executor' && tpl.automountServiceAccountToken !== false) add(`${where}.template.spec.automountServiceAccountToken: executors need no API token`);
  }
}

function prefixed(hadoopConf: { [key: string]: string }): { [key: string]: string } {
  return Object.fromEntries(Object.entries(hadoopConf).map(([k, v]) => [`spark.hadoop.${k}`, v]));
}

function scanStrings(value: any, where: string, visit: (where: string, value: string) => void): void {
  if (typeof value === 'string') visit(where, value);
  else if (Array.isArray(value)) value.forEach((v, i) => scanStrings(v, `${where}[${i}]`, visit));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) scanStrings(v, where ? `${where}.${k}` : k, visit);
}

// ---- All checks ------------------------------------------------------------------------------------------

/** Runs the CRD, core and security checks; throws listing every finding. Returns the documents. */
export function expectValidManifests(docs: any[]): any[] {
  if (docs.length === 0) throw new Error('no manifests to validate');
  const problems = [
    ...crdFindings(docs).map(f => `CRD ${f.kind}/${f.name}: ${f.message}`),
    ...coreFindings(docs).map(f => `core ${f.kind}/${f.name}: ${f.message}`),
    ...securityFindings(docs).map(f => `security ${f.kind}/${f.name}: ${f.message}`),
  ];
  if (problems.length > 0) throw new Error(`invalid manifests:\n${problems.join('\n')}`);
  return docs;
}

// ---- Pods as Spark builds them -----------------------------------------------------------------------

/** The driver and executor pods Spark's own Kubernetes code builds from a SparkApplication. */
export interface SparkBuiltPods {
  readonly sparkVersion: string;
  readonly driver: { pod: any; container: any };
  readonly executor: { pod: any; container: any };
  readonly driverSystemProperties: { [key: string]: string };
}

/**
 * Builds the pods of a SparkApplication with Spark's KubernetesDriverBuilder and KubernetesExecutorBuilder
 * (pyspark's spark-kubernetes jar, in the jobs venv of `sparkLine`), from the configuration the operator passes
 * to spark-submit. Offline: the builders only assemble pod specs. One JVM per call.
 */
export function buildPodsWithSpark(app: any, sparkLine: '3.5' | '4.0'): SparkBuiltPods {
  const script = path.join(__dirname, 'spark_pod_builder.py');
  const request = { name: app.metadata.name, namespace: app.metadata.namespace, spec: app.spec };
  execFileSync('flock', [path.join(os.tmpdir(), 'spark-deploy-venv-setup.lock'), 'bash', path.join(REPO_ROOT, 'jobs', 'scripts', 'setup-venv.sh')], {
    stdio: ['ignore', 'ignore', 'pipe'], timeout: 600_000, env: { ...process.env, SPARK_LINE: sparkLine },
  });
  const out = execFileSync('bash', [path.join(REPO_ROOT, 'jobs', 'scripts', 'in-venv.sh'), 'python', script], {
    input: JSON.stringify(request),
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    timeout: 300_000,
    env: { ...process.env, SPARK_LINE: sparkLine },
  });
  return JSON.parse(out);
}
