/**
 * The local Kubernetes control plane the tests in this folder run against (etcd, kube-apiserver,
 * kube-scheduler and kwok from scripts/k8s-control-plane.sh). `npx projen test:k8s` starts it once, runs
 * these tests with SPARK_DEPLOY_K8S_ENV pointing at its env file, and stops it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseManifestsStrictly } from '../support/k8s-validation';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Where the running plane is: its API server, CA, admin kubeconfig and the pinned kubectl. */
export interface ControlPlane {
  readonly apiServerUrl: string;
  readonly caFile: string;
  readonly kubeconfig: string;
  readonly kubectlPath: string;
}

/** The running plane; throws with how to start it when these tests run outside `test:k8s`. */
export function controlPlane(): ControlPlane {
  const envFile = process.env.SPARK_DEPLOY_K8S_ENV;
  if (!envFile || !fs.existsSync(envFile)) {
    throw new Error('no control plane: run these tests with `npx projen test:k8s` '
      + '(or `bash scripts/k8s-control-plane.sh run -- npx jest --testPathIgnorePatterns /node_modules/ --runInBand test/control-plane`)');
  }
  const env = Object.fromEntries(fs.readFileSync(envFile, 'utf8').split('\n').filter(l => l.includes('='))
    .map(l => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  return { apiServerUrl: env.APISERVER_URL, caFile: env.CA_FILE, kubeconfig: env.KUBECONFIG, kubectlPath: env.KUBECTL };
}

/** What one kubectl call returned. */
export interface KubectlResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the pinned kubectl against the plane (as its admin unless `--as` is given); never throws. */
export function kubectl(args: string[], input?: string): KubectlResult {
  const plane = controlPlane();
  const r = spawnSync(plane.kubectlPath, ['--kubeconfig', plane.kubeconfig, ...args], {
    input, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Runs kubectl and returns its stdout; throws with its stderr when it fails. */
export function kubectlOk(args: string[], input?: string): string {
  const r = kubectl(args, input);
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** The objects kubectl prints for `create -o json` of several inputs (one JSON document after another). */
export function parseJsonStream(text: string): any[] {
  return text.trim() === '' ? [] : text.trim().split(/\n(?=\{)/).map(doc => JSON.parse(doc));
}

/** Objects as a kubectl input stream (JSON list, so no YAML re-serialization is involved). */
export function asList(docs: any[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items: docs });
}

/** The Spark Operator CRDs of ../shared/schemas, applied and Established (idempotent). */
export function installSparkOperatorCrds(schemasDir: string): string[] {
  const files = fs.readdirSync(schemasDir).filter(f => /\.ya?ml$/.test(f)).sort();
  const crds = files.flatMap(f => parseManifestsStrictly(fs.readFileSync(path.join(schemasDir, f), 'utf8'), f))
    .filter(d => d.kind === 'CustomResourceDefinition');
  kubectlOk(['apply', '--server-side', '--field-manager', 'spark-deploy', '-f', '-'], asList(crds));
  const names = crds.map(c => c.metadata.name);
  kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', ...names.map(n => `crd/${n}`)]);
  return names;
}

/** Creates the namespaces among `docs` for real (labels included), so namespaced dry-runs have a home. */
export function ensureNamespaces(docs: any[]): void {
  const namespaces = docs.filter(d => d.kind === 'Namespace');
  const referenced = [...new Set(docs.map(d => d.metadata?.namespace).filter((n: any) => typeof n === 'string'))]
    .filter(n => !namespaces.some(ns => ns.metadata.name === n))
    .map(n => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } }));
  const all = [...namespaces, ...referenced];
  if (all.length > 0) kubectlOk(['apply', '--server-side', '--field-manager', 'spark-deploy', '-f', '-'], asList(all));
}
