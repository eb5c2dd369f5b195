import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

// The command line and the configuration model run without aws-cdk-lib (or constructs, cdk8s): loading them in
// a fresh process leaves those packages out of require.cache. One child process, the sources through ts-node.
const ROOT = path.resolve(__dirname, '..', '..');
const PROBE = `
const cdk = () => [...new Set(Object.keys(require.cache)
  .map(k => /node_modules[\\\\/](aws-cdk-lib|constructs|cdk8s|cdk8s-plus-[0-9]+)[\\\\/]/.exec(k))
  .filter(Boolean).map(m => m[1]))];
const out = {};
require('./src/config'); out.config = cdk();
require('./src/job/emr-job-run'); out.job = cdk();
require('./src/cli/main'); out.cli = cdk();
// The check: the constructs do load aws-cdk-lib.
require('./src/emr-serverless'); out.constructs = cdk();
process.stdout.write(JSON.stringify(out));
`;

test('config/, the run contract and the CLI load no aws-cdk-lib; the constructs do', () => {
  const out = execFileSync(process.execPath, ['-r', 'ts-node/register', '-e', PROBE], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') },
    encoding: 'utf8',
  });
  const loaded = JSON.parse(out);
  expect(loaded.config).toEqual([]);
  expect(loaded.job).toEqual([]);
  expect(loaded.cli).toEqual([]);
  expect(loaded.constructs).toEqual(expect.arrayContaining(['aws-cdk-lib', 'constructs']));
}, 120_000);

// A CDK app that imports only `spark-deploy/lib/config` (not the package root, so no construct is loaded): its
// tokens are still recognised, and ordinary values are still validated, without aws-cdk-lib loading before the
// first token. The compiled lib/ (`npx projen compile`, which CI runs before the tests), one fresh process.
const LIB_PROBE = `
const loaded = () => Object.keys(require.cache).some(k => /node_modules[\\\\/]aws-cdk-lib[\\\\/]/.test(k));
const outcome = f => { try { f(); return 'ok'; } catch (e) { return e.message; } };
const { SparkConfiguration, DeploymentTarget } = require('./lib/config');
const tune = extra => () => SparkConfiguration.tune({ target: DeploymentTarget.EMR_SERVERLESS, executor: { cpu: 4, memoryGb: 16 }, ...extra });
const out = {};
out.plainOk = outcome(tune({ executorInstances: 4, overrides: { 'spark.executor.memory': '12g' } }));
out.plainBadInstances = outcome(tune({ executorInstances: -1 }));
out.plainBadMemory = outcome(tune({ overrides: { 'spark.executor.memory': 'lots' } }));
out.loadedBeforeTokens = loaded();
const { Lazy, Token } = require('aws-cdk-lib');
out.tokenInstances = outcome(tune({ executorInstances: Token.asNumber({ Ref: 'Count' }) }));
out.lazyInstances = outcome(tune({ executorInstances: Lazy.number({ produce: () => 4 }) }));
out.tokenMemory = outcome(tune({ overrides: { 'spark.executor.memory': Token.asString({ Ref: 'Memory' }) } }));
out.stillBadAfterTokens = outcome(tune({ overrides: { 'spark.executor.memory': 'lots' } }));
process.stdout.write(JSON.stringify(out));
`;

test('lib/config alone: CDK tokens pass unchecked, ordinary values are validated, aws-cdk-lib loads only for tokens', () => {
  if (!fs.existsSync(path.join(ROOT, 'lib', 'config', 'unresolved.js'))) {
    throw new Error('lib/ is not compiled: run `npx projen compile` first');
  }
  const out = JSON.parse(execFileSync(process.execPath, ['-e', LIB_PROBE], { cwd: ROOT, encoding: 'utf8' }));
  expect(out.plainOk).toBe('ok');
  expect(out.plainBadInstances).toMatch(/executorInstances: -1 is not valid/);
  expect(out.plainBadMemory).toMatch(/overrides\['spark\.executor\.memory'\]: 'lots' is not valid/);
  expect(out.loadedBeforeTokens).toBe(false);
  expect(out.tokenInstances).toBe('ok');
  expect(out.lazyInstances).toBe('ok');
  expect(out.tokenMemory).toBe('ok');
  expect(out.stillBadAfterTokens).toMatch(/overrides\['spark\.executor\.memory'\]: 'lots' is not valid/);
}, 120_000);
