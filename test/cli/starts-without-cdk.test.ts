import { execFileSync } from 'child_process';
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
