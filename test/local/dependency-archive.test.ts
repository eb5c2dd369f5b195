import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pysparkOnlyPython, canImport } from './pyspark-only-python';
import { buildJobArtifact } from '../../src/artifacts/job-artifact-builder';
import { DeploymentTarget } from '../../src/config/types';
import { localSparkEnvironment, LocalSparkEnvironment } from '../../src/local/local-environment';
import { localJob } from '../../src/local/local-job';
import { runLocal } from '../../src/local/local-runner';
import { CP311_X86_64, offlineDependencies } from '../artifacts/dependency-wheels';

const ROOT = path.resolve(__dirname, '..', '..');

describe('a local run of the features job with an interpreter that has pyspark only', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'local-deps-'));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  const full = localSparkEnvironment('4.0');
  const env: LocalSparkEnvironment = { ...full, python: pysparkOnlyPython(full, work) };
  // The artifact with its archive for this machine (x86_64, CPython 3.11, glibc >= 2.34), offline.
  const artifactDir = path.join(work, 'artifact');
  buildJobArtifact({ outDir: artifactDir, dependencies: offlineDependencies([{ target: CP311_X86_64, sparkLine: '4.0' }]) });
  const input = path.join(work, 'input');
  execFileSync(full.python, ['-m', 'spark_jobs.sample_data', '--rows', '400', '--seed', '3', '--output', input], { stdio: 'ignore' });
  const spec = path.join(ROOT, 'jobs', 'examples', 'feature_spec.json');
  const sparkHome = execFileSync(full.python, ['-c', 'import os, pyspark; print(os.path.dirname(pyspark.__file__))'], { encoding: 'utf8' }).trim();
  const table = (dir: string) => JSON.parse(execFileSync(full.python, [path.join(ROOT, 'scripts', 'demo', 'inspect_output.py'), 'table', dir], { encoding: 'utf8' }));
  const job = (output: string, useDependencyArchive: boolean) => localJob({
    env,
    entryPoint: 'features',
    arguments: ['--input', input, '--output', output, '--spec', spec],
    artifactDir,
    tuning: { target: DeploymentTarget.KUBERNETES, executor: { cpu: 2, memoryGb: 4 } },
    master: 'local[2]',
    maxDriverMemoryMiB: 1024,
    useDependencyArchive,
    environment: { SPARK_HOME: sparkHome },
  });

  test('the interpreter really lacks pandas, numpy and pyarrow', () => {
    expect(['pyspark', 'pandas', 'numpy', 'pyarrow'].map(m => [m, canImport(env.python, m)]))
      .toEqual([['pyspark', true], ['pandas', false], ['numpy', false], ['pyarrow', false]]);
  });

  test('without the archive it fails at once, naming the missing packages, before Spark starts', async () => {
    // WHEN / THEN: the invocation is refused before any spark-submit
    await expect(runLocal(job(path.join(work, 'out-without'), false).invocation))
      .rejects.toThrow(/dependencies: \["numpy","pandas","pyarrow"\] is not valid; the job imports numpy, pandas, pyarrow, which .*\/venv\/bin\/python cannot import/);
    expect(fs.existsSync(path.join(work, 'out-without'))).toBe(false);
  });

  test('with the archive it succeeds: every input row gets its features', async () => {
    // WHEN
    const output = path.join(work, 'out-with');
    const result = await runLocal(job(output, true).invocation);
    // THEN
    expect({ exitCode: result.exitCode, stderr: result.exitCode === 0 ? '' : result.stderr.slice(-3000) }).toEqual({ exitCode: 0, stderr: '' });
    const source = table(input);
    const features = table(output);
    expect(features.rows).toEqual(source.rows);
    expect(features.columns).toEqual(expect.arrayContaining([...source.columns, 'amount_log1p', 'customer_amount_mean']));
  }, 300_000); // one Spark run of the features job: ~40 s alone, over 120 s at a load average of 20 on the shared cores
});
