import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pysparkOnlyPython } from './pyspark-only-python';
import { stageTimes } from '../../scripts/demo/stage-times';
import { buildJobArtifact } from '../../src/artifacts/job-artifact-builder';
import { CliIo } from '../../src/cli/args';
import { localCommand } from '../../src/cli/local-command';
import { main } from '../../src/cli/main';
import { localSparkEnvironment } from '../../src/local/local-environment';
import { CP311_X86_64, wheelDir } from '../artifacts/dependency-wheels';

function capture(): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { stdout: t => { out += t; }, stderr: t => { err += t; }, out: () => out, err: () => err };
}

/** A built-artifact-shaped directory with one entry point that records what Spark saw. */
function artifactWithProbe(dir: string): void {
  fs.mkdirSync(path.join(dir, 'entrypoints'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'entrypoints', 'probe.py'), [
    'import json, sys',
    'from pyspark.sql import SparkSession',
    'spark = SparkSession.builder.getOrCreate()',
    'conf = spark.sparkContext.getConf()',
    'keys = ["spark.master", "spark.driver.memory", "spark.sql.shuffle.partitions", "spark.serializer", "spark.executor.cores"]',
    'spark.sparkContext.setJobGroup("probe", "probe")',
    'rows = spark.range(100).selectExpr("sum(id) AS s").first()',
    'tracker = spark.sparkContext.statusTracker()',
    'ids = [s for j in tracker.getJobIdsForGroup("probe") for s in tracker.getJobInfo(j).stageIds]',
    '# Stages that ran (a stage whose shuffle output is reused is skipped: no tasks completed)',
    'stages = sorted(s for s in ids if (tracker.getStageInfo(s) or None) and tracker.getStageInfo(s).numCompletedTasks > 0)',
    'out = {k: conf.get(k, None) for k in keys}',
    'out["sum"] = rows["s"]',
    'out["args"] = sys.argv[1:]',
    'out["stages"] = stages',
    'open(sys.argv[1], "w").write(json.dumps(out))',
    'spark.stop()',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ entryPoints: { probe: 'entrypoints/probe.py' }, pyFiles: [] }));
}

describe('spark-deploy local', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'local-cmd-'));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  artifactWithProbe(path.join(work, 'artifact'));

  test('is registered in the command table', async () => {
    const io = capture();
    await main(['--help'], io);
    expect(io.out()).toMatch(/\n {2}local +run an entry point on local Spark/);
  });

  test('--print-conf prints the rendered conf with the local changes and the command', async () => {
    const io = capture();
    const code = await localCommand(['run', 'probe', '--artifact', path.join(work, 'artifact'), '--spark-line', '4.0',
      '--worker-cpu', '4', '--worker-memory-gb', '16', '--print-conf', '--', '--flag', 'x'], io);
    expect({ code, err: io.err() }).toEqual({ code: 0, err: '' });
    expect(io.out()).toMatch(/^spark\.executor\.cores 4$/m);
    expect(io.out()).toMatch(/^spark\.master local\[\*\]$/m);
    expect(io.out()).toMatch(/^spark\.driver\.memory 2g$/m);
    expect(io.out()).toMatch(/# command: .*spark-submit .*entrypoints\/probe\.py --flag x/);
  });

  test('runs the entry point through spark-submit with the rendered configuration', async () => {
    // GIVEN the probe entry point
    const result = path.join(work, 'probe.json');
    // WHEN it runs with two local cores and an override
    const io = capture();
    const eventLogs = path.join(work, 'eventlogs');
    fs.mkdirSync(eventLogs);
    const code = await localCommand(['run', 'probe', '--artifact', path.join(work, 'artifact'), '--spark-line', '3.5',
      '--master', 'local[2]', '--conf', 'spark.sql.shuffle.partitions=7', '--conf', 'spark.eventLog.enabled=true',
      '--conf', `spark.eventLog.dir=file://${eventLogs}`, '--conf', 'spark.eventLog.compress=false', result], io);
    // THEN Spark saw the rendered and the local properties, and computed
    expect({ code, err: code === 0 ? '' : io.err() }).toEqual({ code: 0, err: '' });
    const { stages, ...seen } = JSON.parse(fs.readFileSync(result, 'utf8'));
    expect(seen).toEqual({
      'spark.master': 'local[2]',
      'spark.driver.memory': '2g',
      'spark.sql.shuffle.partitions': '7',
      'spark.serializer': 'org.apache.spark.serializer.KryoSerializer',
      'spark.executor.cores': '2',
      'sum': 4950,
      'args': [result],
    });
    expect(io.err()).toMatch(/probe\.py on Spark 3\.5\.\d+ \(local\[2\]\)/);
    // AND the demo's event-log reader finds exactly the stages Spark's status tracker reports as run
    const fromLog = stageTimes(eventLogs);
    expect(fromLog.map(s => s.stageId).sort((a, b) => a - b)).toEqual(stages);
    fromLog.forEach(s => expect(s.durationMs).toBeGreaterThanOrEqual(0));
  }, 180_000);

  test('a failing job exits 1', async () => {
    const io = capture();
    // The probe fails without its output path argument.
    const code = await localCommand(['run', 'probe', '--artifact', path.join(work, 'artifact'), '--spark-line', '3.5', '--master', 'local[1]'], io);
    expect(code).toBe(1);
    expect(io.err()).toMatch(/the job failed with exit code [1-9]/);
  }, 180_000);

  test('fails for an unknown entry point, naming the known ones', async () => {
    const io = capture();
    expect(await localCommand(['run', 'nope', '--artifact', path.join(work, 'artifact')], io)).toBe(2);
    expect(io.err()).toMatch(/entryPoint: 'nope' is not valid; expected one of the artifact's entry points: probe/);
  });

  test('fails for an unknown Spark line', async () => {
    const io = capture();
    expect(await localCommand(['run', 'probe', '--spark-line', '2.4'], io)).toBe(2);
    expect(io.err()).toMatch(/--spark-line: '2\.4' is not valid; expected one of 3\.5, 4\.0/);
  });

  test('fails without an entry point and for an unknown subcommand', async () => {
    const io = capture();
    expect(await localCommand(['run'], io)).toBe(2);
    expect(await localCommand(['start'], io)).toBe(2);
    expect(io.err()).toMatch(/give the entry point to run/);
    expect(io.err()).toMatch(/unknown subcommand 'start'; expected run/);
  });

  describe('--dependency-archive with a --python that has pyspark only', () => {
    // GIVEN a user's project importing dateutil, built with its dependency archive for this machine
    // (CPython 3.11, x86_64), and an interpreter with pyspark and py4j but not dateutil
    const project = path.join(work, 'user-project');
    fs.mkdirSync(path.join(project, 'probe_jobs', 'entrypoints'), { recursive: true });
    fs.writeFileSync(path.join(project, 'requirements.txt'), 'python-dateutil==4.0.0\n');
    fs.writeFileSync(path.join(project, 'probe_jobs', '__init__.py'), '');
    fs.writeFileSync(path.join(project, 'probe_jobs', 'entrypoints', 'where.py'), [
      'import json, sys',
      'import dateutil',
      'from pyspark.sql import SparkSession',
      'spark = SparkSession.builder.getOrCreate()',
      '# where the driver and a Python worker import dateutil from',
      'workers = spark.sparkContext.parallelize([0, 1], 2).map(lambda _: __import__("dateutil").__file__).collect()',
      'open(sys.argv[1], "w").write(json.dumps({"driver": dateutil.__file__, "workers": workers}))',
      'spark.stop()',
    ].join('\n'));
    const built = buildJobArtifact({
      sourceDir: path.join(project, 'probe_jobs'),
      version: '1.0.0',
      outDir: path.join(work, 'user-artifact'),
      dependencies: { targets: [{ target: CP311_X86_64 }], findLinks: [wheelDir(CP311_X86_64)], noIndex: true, cacheDir: path.join(work, 'archive-cache') },
    });
    const python = pysparkOnlyPython(localSparkEnvironment('4.0'), fs.mkdtempSync(path.join(work, 'spark-only-')));
    const run = (output: string, ...flags: string[]) => localCommand(['run', 'where', '--artifact', built.outDir, '--spark-line', '4.0',
      '--python', python, '--master', 'local[2]', '--max-driver-memory-mib', '1024', ...flags, '--', output], io);
    let io = capture();

    test('without the flag the run is refused before Spark starts, naming the missing module', async () => {
      io = capture();
      const output = path.join(work, 'where-without.json');
      expect(await run(output)).toBe(2);
      expect(io.err()).toMatch(/dependencies: \["dateutil"\] is not valid; the job imports dateutil, which .*\/venv\/bin\/python cannot import/);
      expect(fs.existsSync(output)).toBe(false);
    });

    test('with the flag the driver and the Python workers import it from the unpacked archive', async () => {
      io = capture();
      const output = path.join(work, 'where-with.json');
      const code = await run(output, '--dependency-archive');
      expect({ code, err: code === 0 ? '' : io.err().slice(-2000) }).toEqual({ code: 0, err: '' });
      const where = JSON.parse(fs.readFileSync(output, 'utf8'));
      expect(where.driver).toMatch(/\/spark-deploy-run-[^/]+\/deps\/dateutil\/__init__\.py$/);
      expect(where.workers).toHaveLength(2);
      where.workers.forEach((f: string) => expect(f).toMatch(/\/deps\/dateutil\/__init__\.py$/));
    }, 180_000);

    test('the flag needs a built artifact with an archive for the interpreter', async () => {
      io = capture();
      expect(await localCommand(['run', 'probe', '--artifact', path.join(work, 'artifact'), '--dependency-archive'], io)).toBe(2);
      expect(io.err()).toMatch(/useDependencyArchive: true is not valid; the artifact in .* has no dependency archive/);
      io = capture();
      expect(await localCommand(['run', 'where', '--artifact', built.outDir, '--python', path.join(work, 'no-such-python')], io)).toBe(2);
      expect(io.err()).toMatch(/--python: '.*no-such-python' does not exist/);
    });
  });
});
