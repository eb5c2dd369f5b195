import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { connectorPackages } from '../../src/config';
import { localSparkEnvironment } from '../../src/local/local-environment';

const ROOT = path.join(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'scripts', 'fetch-s3a-jars.sh');

/** The `line|group:artifact:version|sha1` entries of the script. */
function scriptJars(): Array<{ line: string; coords: string; sha1: string }> {
  const text = fs.readFileSync(SCRIPT, 'utf8');
  return [...text.matchAll(/^\s*"(\d\.\d)\|([^|]+)\|([0-9a-f]{40})"$/gm)].map(m => ({ line: m[1], coords: m[2], sha1: m[3] }));
}

function run(args: string[], env: { [k: string]: string }): { status: number | null; stderr: string } {
  const r = spawnSync('bash', [SCRIPT, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr };
}

describe('scripts/fetch-s3a-jars.sh', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fetch-jars-'));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test.each(['3.5', '4.0'])('Spark %s: the jars are the model\'s connector packages, on the Hadoop of the venv\'s pyspark', line => {
    const jars = scriptJars().filter(j => j.line === line);
    const cloud = jars.find(j => j.coords.includes(':spark-hadoop-cloud_'))!;
    const cloudVersion = cloud.coords.split(':')[2];
    // The model's list for that Spark version is exactly what the script fetches
    expect(jars.map(j => j.coords)).toEqual(connectorPackages(line, cloudVersion, false));
    // hadoop-aws matches the Hadoop client jars pyspark ships (never mix versions)
    const env = localSparkEnvironment(line);
    const pysparkJars = fs.readdirSync(path.join(path.dirname(env.sparkSubmit), '..', 'lib'))
      .flatMap(py => {
        const dir = path.join(env.venvDir, 'lib', py, 'site-packages', 'pyspark', 'jars');
        return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
      });
    const hadoop = pysparkJars.map(f => /^hadoop-client-api-([\d.]+)\.jar$/.exec(f)?.[1]).find(Boolean);
    expect(jars.find(j => j.coords.startsWith('org.apache.hadoop:hadoop-aws:'))!.coords).toBe(`org.apache.hadoop:hadoop-aws:${hadoop}`);
    // spark-hadoop-cloud is of the same Spark line as the venv
    expect(cloudVersion.split('.').slice(0, 2).join('.')).toBe(env.sparkVersion.split('.').slice(0, 2).join('.'));
  });

  test('present jars with the pinned SHA-1 are not downloaded again', () => {
    // GIVEN the fetched jars of 3.5 (links) and a repository URL nothing listens on
    const dest = path.join(work, 'present');
    fs.mkdirSync(path.join(dest, '3.5'), { recursive: true });
    const fetched = path.join(ROOT, '.tools', 'jars', '3.5');
    for (const f of fs.readdirSync(fetched).filter(n => n.endsWith('.jar'))) fs.symlinkSync(path.join(fetched, f), path.join(dest, '3.5', f));
    // WHEN the script runs
    const r = run(['3.5'], { S3A_JARS_DIR: dest, MAVEN_REPO_URL: 'http://127.0.0.1:9' });
    // THEN it checks each and fetches nothing
    expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stderr.match(/^ {2}ok /gm)?.length).toBe(3);
    expect(r.stderr).not.toMatch(/fetching/);
  });

  test('fails for a download whose SHA-1 does not match, and installs nothing', async () => {
    // GIVEN a repository that serves wrong bytes for every jar
    const server = http.createServer((_req, res) => res.end('not the jar'));
    await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const dest = path.join(work, 'tampered');
      const r = await new Promise<{ status: number | null; stderr: string }>(resolve => {
        const child = spawn('bash', [SCRIPT, '4.0'], {
          env: { ...process.env, S3A_JARS_DIR: dest, MAVEN_REPO_URL: `http://127.0.0.1:${port}` },
        });
        let stderr = '';
        child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
        child.on('close', (status: number | null) => resolve({ status, stderr }));
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/hadoop-aws-3\.4\.1\.jar has SHA-1 [0-9a-f]{40}, expected 641d8fe1d7683cdcc05cc3a794c0374553f6bd6a; not installed/);
      expect(fs.readdirSync(path.join(dest, '4.0'))).toEqual([]);
    } finally {
      server.close();
    }
  });

  test('fails for an unknown Spark line', () => {
    const r = run(['2.4'], { S3A_JARS_DIR: path.join(work, 'x') });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/Spark line must be 3\.5 or 4\.0, got '2\.4'/);
  });
});
