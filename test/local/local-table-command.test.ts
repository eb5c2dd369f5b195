import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CliIo } from '../../src/cli/args';
import { localCommand } from '../../src/cli/local-command';
import { TABLE_FORMAT_PACKAGES, TableFormat } from '../../src/config/table-formats';
import { localSparkEnvironment } from '../../src/local/local-environment';
import { tableFormatOfArguments, tableJarsDir } from '../../src/local/table-jars';

// `spark-deploy local run table -- <op> ...`: the table job with its format's SQL extension, catalog and
// pinned jars in place, as the targets render them. One spark-submit: a Delta merge into a table written
// by hand (version 0), read back without Spark and compared with the upsert computed here.

function capture(): CliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { stdout: t => { out += t; }, stderr: t => { err += t; }, out: () => out, err: () => err };
}

/** `key value` lines of a spark-defaults.conf (comments skipped). */
function confLines(text: string): { [key: string]: string } {
  const out: { [key: string]: string } = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(' ');
    out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

// Writes version 0 of a Delta table (one Parquet file, one log entry) and reads a table back by replaying
// its log: pyarrow and json only.
const DELTA_TOOL = `
import json, os, sys, time, uuid
import pyarrow as pa, pyarrow.parquet as pq
from urllib.parse import unquote
command, table = sys.argv[1], sys.argv[2]
if command == "write":
    rows = json.loads(sys.argv[3])
    data = pa.table({"id": [r[0] for r in rows], "amount": [r[1] for r in rows], "ts": [r[2] for r in rows]},
                    schema=pa.schema([("id", pa.int64()), ("amount", pa.float64()), ("ts", pa.int64())]))
    os.makedirs(os.path.join(table, "_delta_log"))
    pq.write_table(data, os.path.join(table, "part-00000-seed.parquet"))
    fields = [{"name": n, "type": t, "nullable": True, "metadata": {}} for n, t in [("id", "long"), ("amount", "double"), ("ts", "long")]]
    now = int(time.time() * 1000)
    actions = [{"protocol": {"minReaderVersion": 1, "minWriterVersion": 2}},
               {"metaData": {"id": str(uuid.uuid4()), "format": {"provider": "parquet", "options": {}},
                             "schemaString": json.dumps({"type": "struct", "fields": fields}), "partitionColumns": [],
                             "configuration": {}, "createdTime": now}},
               {"add": {"path": "part-00000-seed.parquet", "partitionValues": {}, "dataChange": True, "modificationTime": now,
                        "size": os.path.getsize(os.path.join(table, "part-00000-seed.parquet"))}}]
    open(os.path.join(table, "_delta_log", "%020d.json" % 0), "w").write("\\n".join(json.dumps(a) for a in actions) + "\\n")
    print(json.dumps({"rows": len(rows)}))
else:
    log = sorted(f for f in os.listdir(os.path.join(table, "_delta_log")) if f.endswith(".json"))
    live = set()
    for name in log:
        for line in open(os.path.join(table, "_delta_log", name)):
            action = json.loads(line)
            if "add" in action: live.add(unquote(action["add"]["path"]))
            if "remove" in action: live.discard(unquote(action["remove"]["path"]))
    parts = [pq.read_table(os.path.join(table, p)) for p in sorted(live)]
    t = pa.concat_tables(parts)
    print(json.dumps({"version": int(log[-1].split(".")[0]),
                      "rows": sorted([i, a, s] for i, a, s in zip(t["id"].to_pylist(), t["amount"].to_pylist(), t["ts"].to_pylist()))}))
`;

type Row = [id: number, amount: number, ts: number];

/** The upsert by latest `ts`: per id the newer row of target and source, the source winning ties. */
function upsertReference(target: Row[], source: Row[]): Row[] {
  const byId = new Map<number, Row>(target.map(r => [r[0], r]));
  const latestSource = new Map<number, Row>();
  for (const r of source) {
    const seen = latestSource.get(r[0]);
    if (!seen || r[2] > seen[2]) latestSource.set(r[0], r);
  }
  for (const [id, r] of latestSource) {
    const t = byId.get(id);
    if (!t || r[2] >= t[2]) byId.set(id, r);
  }
  return [...byId.values()].sort((a, b) => a[0] - b[0]);
}

describe('spark-deploy local run table', () => {
  const env = localSparkEnvironment('3.5');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'local-table-'));
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));
  const deltaJars = TABLE_FORMAT_PACKAGES['3.5'][TableFormat.DELTA].map(j => path.join(tableJarsDir(env), j.file));
  const icebergJars = TABLE_FORMAT_PACKAGES['3.5'][TableFormat.ICEBERG].map(j => path.join(tableJarsDir(env), j.file));

  test('--print-conf: the job\'s --format brings the format\'s extension, catalog and the fetched pinned jars', async () => {
    const io = capture();
    const code = await localCommand(['run', 'table', '--spark-line', '3.5', '--print-conf', '--',
      'merge', '--target', '/data/t', '--source', '/data/s', '--key', 'id', '--format', 'delta'], io);
    expect({ code, err: io.err() }).toEqual({ code: 0, err: '' });
    const conf = confLines(io.out());
    expect(conf).toMatchObject({
      'spark.sql.extensions': 'io.delta.sql.DeltaSparkSessionExtension',
      'spark.sql.catalog.spark_catalog': 'org.apache.spark.sql.delta.catalog.DeltaCatalog',
      'spark.jars': deltaJars.join(','),
    });
    expect(conf['spark.jars.packages']).toBeUndefined();
    expect(io.out()).toMatch(/# local run: the table format's pinned jars, fetched once by scripts\/fetch-table-jars\.sh \(rendered: local:\/\/\/opt\/spark\/table-jars\/delta-spark_2\.12-3\.3\.2\.jar/);
  });

  test('--print-conf as EMR Serverless renders it: EMR\'s bundled Iceberg jar replaced by the same line\'s pinned one', async () => {
    const io = capture();
    const code = await localCommand(['run', 'table', '--spark-line', '3.5', '--target', 'emr-serverless', '--release', 'emr-7.12.0',
      '--table-format', 'iceberg', '--warehouse', `file://${work}/warehouse`, '--print-conf', '--', 'history', '--target', 'tables.db.t'], io);
    expect({ code, err: io.err() }).toEqual({ code: 0, err: '' });
    const conf = confLines(io.out());
    expect(conf).toMatchObject({
      'spark.sql.extensions': 'org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions',
      'spark.sql.catalog.tables': 'org.apache.iceberg.spark.SparkCatalog',
      'spark.sql.catalog.tables.type': 'hadoop',
      'spark.jars': icebergJars.join(','),
    });
    expect(io.out()).toContain('rendered: /usr/share/aws/iceberg/lib/iceberg-spark3-runtime.jar');
  });

  test('the format comes from --format, else from what a local --target holds; bad ones are usage errors', async () => {
    const delta = path.join(work, 'detect-delta');
    fs.mkdirSync(path.join(delta, '_delta_log'), { recursive: true });
    const iceberg = path.join(work, 'detect-iceberg');
    fs.mkdirSync(path.join(iceberg, 'metadata'), { recursive: true });
    expect(tableFormatOfArguments(['history', '--target', delta])).toBe(TableFormat.DELTA);
    expect(tableFormatOfArguments(['history', '--target', `file://${iceberg}`])).toBe(TableFormat.ICEBERG);
    expect(tableFormatOfArguments(['metadata', '--input', work])).toBeUndefined();
    expect(tableFormatOfArguments(['merge', '--format=parquet', '--target', delta])).toBeUndefined();
    expect(tableFormatOfArguments(['history', '--target', 's3://b/t'])).toBeUndefined();
    let io = capture();
    expect(await localCommand(['run', 'table', '--print-conf', '--', 'history', '--target', delta, '--format', 'hudi'], io)).toBe(2);
    expect(io.err()).toMatch(/--format: 'hudi' is not valid; expected one of delta, iceberg, parquet/);
    io = capture();
    expect(await localCommand(['run', 'table', '--table-format', 'delta', '--warehouse', 's3://w', '--print-conf', '--', 'history', '--target', delta], io)).toBe(2);
    expect(io.err()).toMatch(/tableFormat\.warehouse: 's3:\/\/w' is not valid; applies to Iceberg tables only/);
  });

  test('missing jars are named with the command that fetches them', async () => {
    const io = capture();
    const before = process.env.TABLE_JARS_DIR;
    process.env.TABLE_JARS_DIR = path.join(work, 'no-jars');
    try {
      expect(await localCommand(['run', 'table', '--spark-line', '3.5', '--print-conf', '--', 'history', '--target', '/t', '--format', 'delta'], io)).toBe(2);
    } finally {
      if (before === undefined) delete process.env.TABLE_JARS_DIR;
      else process.env.TABLE_JARS_DIR = before;
    }
    expect(io.err()).toMatch(/missing delta-spark_2\.12-3\.3\.2\.jar, delta-storage-3\.3\.2\.jar; fetch them once with: bash scripts\/fetch-table-jars\.sh 3\.5/);
  });

  test('a Delta merge runs with the pinned jars and commits the upsert as version 1', async () => {
    // GIVEN version 0 of a Delta table and a source with a newer, an older and a duplicated key, and new keys
    const target: Row[] = Array.from({ length: 20 }, (_, i) => [i, i * 1.5, 100 + i]);
    const source: Row[] = [
      [3, -3, 200], // newer: wins
      [4, -4, 50], // older than the table's row: the table's row stays
      [5, -5.5, 300], [5, -5, 400], // two rows for one key: the latest wins
      [7, -7, 107], // the same time as the table's row: the source wins the tie
      [25, 25, 1], [26, 26, 2], // new keys
    ];
    const table = path.join(work, 'customers');
    const sourceDir = path.join(work, 'updates');
    const python = (...args: string[]) => JSON.parse(execFileSync(env.python, ['-c', DELTA_TOOL, ...args], { encoding: 'utf8' }));
    python('write', table, JSON.stringify(target));
    fs.mkdirSync(sourceDir);
    execFileSync(env.python, ['-c', [
      'import json, sys, pyarrow as pa, pyarrow.parquet as pq',
      'rows = json.loads(sys.argv[2])',
      'pq.write_table(pa.table({"id": pa.array([r[0] for r in rows], pa.int64()), "amount": [float(r[1]) for r in rows], "ts": pa.array([r[2] for r in rows], pa.int64())}), sys.argv[1])',
    ].join('\n'), path.join(sourceDir, 'part-0.parquet'), JSON.stringify(source)]);
    const metrics = path.join(work, 'merge-metrics.json');

    // WHEN the table job merges through `spark-deploy local run table` (the format from its --format)
    const io = capture();
    const code = await localCommand(['run', 'table', '--spark-line', '3.5', '--master', 'local[2]', '--max-driver-memory-mib', '1024',
      '--conf', 'spark.sql.shuffle.partitions=2', '--', 'merge', '--target', table, '--source', sourceDir,
      '--key', 'id', '--order-by', 'ts', '--format', 'delta', '--metrics-output', metrics], io);

    // THEN it succeeded, and the table replayed from its log is the upsert computed here, as version 1
    expect({ code, err: code === 0 ? '' : io.err().slice(-3000) }).toEqual({ code: 0, err: '' });
    const read = python('read', table);
    const expected = upsertReference(target, source);
    expect(read.version).toBe(1);
    expect(read.rows).toEqual(expected);
    // AND its summary counts what the reference changed: 2 inserted, 3 updated (ids 3, 5, 7; not 4)
    const summary = JSON.parse(fs.readFileSync(metrics, 'utf8'));
    expect(summary).toMatchObject({ format: 'delta', version_before: 0, version_after: 1, rows_inserted: 2, rows_updated: 3, rows_deleted: 0 });
  }, 600_000);
});
