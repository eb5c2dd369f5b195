// The cost of committing one output on S3A, old rename commit vs the versioned commit: requests by
// method, server-side copies, bytes uploaded and time, counted by a proxy in front of a local moto S3
// server (the real S3A connector, configured by the model's renderer, magic committer). Each way
// writes the same output twice; the second run (which replaces an existing output) is measured.
//
// Run: npx ts-node --transpile-only -P test/tsconfig.json bench/commit-cost.ts [--line 4.0|3.5] [--rows 150000]
import * as path from 'path';
import { DeploymentTarget, SparkConfiguration, StorageKind } from '../src/config';
import { localSparkEnvironment, s3aJars } from '../src/local/local-environment';
import { runLocal } from '../src/local/local-runner';
import { LocalSparkDefaults } from '../src/local/local-spark-defaults';
import { CountingProxy } from '../test/local/support/counting-proxy';
import { LocalS3Server } from '../test/local/support/local-s3';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const line = option('--line', '4.0');
  const rows = option('--rows', '150000');
  const env = localSparkEnvironment(line);
  const server = await LocalS3Server.start(env.venvDir);
  const proxy = await CountingProxy.start(server.endpoint);
  try {
    server.tool('mkbucket', 'lake');
    const config = SparkConfiguration.tune({
      target: DeploymentTarget.KUBERNETES,
      release: env.sparkVersion,
      executor: { cpu: 2, memoryGb: 8 },
      storage: { kind: StorageKind.S3_COMPATIBLE, endpoint: proxy.endpoint },
    });
    const defaults = LocalSparkDefaults.fromConfiguration(config, { jars: s3aJars(env), master: 'local[2]' });
    const rowsOut: string[] = [];
    for (const commit of ['rename', 'versioned']) {
      let measured: any;
      for (const run of [1, 2]) {
        proxy.reset();
        const r = await runLocal({
          env,
          entryPoint: path.join(__dirname, 'commit_job.py'),
          defaults,
          environment: server.environment,
          arguments: ['--output', `s3a://lake/out/${commit}`, '--rows', rows, '--commit', commit],
        });
        if (r.exitCode !== 0) throw new Error(`${commit} run ${run} failed:\n${r.stderr.slice(-3000)}`);
        const result = JSON.parse(r.stdout.split('\n').find(l => l.startsWith('RESULT '))!.slice(7));
        measured = { ...proxy.summary(), ...result };
      }
      const sizes: { [key: string]: number } = server.tool('list', 'lake', `out/${commit}/`).sizes;
      const outputBytes = Object.values(sizes).reduce((a, b) => a + b, 0);
      const m = measured.byMethod;
      rowsOut.push(`| ${commit} | ${measured.requests} | ${m.PUT ?? 0} | ${m.POST ?? 0} | ${m.GET ?? 0} | ${m.HEAD ?? 0} | ${m.DELETE ?? 0} | ${measured.copies} | ${(measured.bytesUploaded / 1e6).toFixed(2)} MB | ${(outputBytes / 1e6).toFixed(2)} MB | ${(measured.bytesUploaded / outputBytes).toFixed(3)} | ${measured.write_s.toFixed(2)} s | ${measured.commit_s.toFixed(2)} s |`);
    }
    console.log(`Spark ${env.sparkVersion}, ${rows} rows (id + 4 random doubles), 2 partitions, second run (replaces an output):\n`);
    console.log('| commit | requests | PUT | POST | GET | HEAD | DELETE | copies (x-amz-copy-source) | bytes uploaded | output size | uploaded / output | write | commit after the write |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rowsOut) console.log(r);
  } finally {
    await proxy.stop();
    await server.stop();
  }
}

main().catch(err => {
  console.error(err);
  process.exit(1);
});
