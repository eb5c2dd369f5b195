import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { gunzipSync } from 'zlib';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { callWithRetries } from './aws-errors';
import { EvidenceError, evidenceFromEventLog } from './event-log-evidence';
import { evidenceFromMetricsFile } from './metrics-file-evidence';
import { RunEvidence } from '../config/run-informed/evidence';
import { parseS3Uri, s3Uri } from '../config/s3-paths';

/** How to reach S3 for `s3://` sources. */
export interface EvidenceReaderOptions {
  /** A ready client. @default - one built from region and endpoint */
  readonly s3?: S3Client;
  /** @default - the SDK's chain */
  readonly region?: string;
  /** An S3-compatible endpoint (path-style). @default - AWS S3 */
  readonly endpoint?: string;
}

/** One file of a source: its name and bytes. */
interface NamedBytes {
  readonly name: string;
  readonly bytes: Buffer;
}

/**
 * Decompresses an event log file by its extension, as Spark names them: none, `.gz`, `.zstd`/`.zst`
 * (the `zstd` command; Spark 4.0's default codec). Spark's `.lz4` and `.snappy` are its own block streams,
 * not the tools' frame formats, so they are refused with what to do instead.
 */
export function decompressEventLog(file: NamedBytes): string {
  const name = file.name.replace(/\.inprogress$/, '');
  if (name.endsWith('.gz')) return gunzipSync(file.bytes).toString('utf8');
  if (name.endsWith('.zstd') || name.endsWith('.zst')) {
    // zstd -dc stops with an error at a cut-off frame, after writing what it could decode.
    const result = spawnSync('zstd', ['-dc', '-q'], { input: file.bytes, maxBuffer: 1024 * 1024 * 1024 });
    if (result.error) {
      throw new EvidenceError(`${file.name}: reading a zstd event log needs the zstd command (Debian package zstd): ${result.error.message}`);
    }
    // A cut-off frame makes zstd fail after writing what it decoded: that part goes on to the parser, whose
    // completeness checks (partial last line, no application end) name the problem.
    return result.stdout.toString('utf8');
  }
  if (/\.(lz4|lzf|snappy)$/.test(name)) {
    throw new EvidenceError(`${file.name}: Spark's ${path.extname(name).slice(1)} event logs are Spark's own block format, which this reader does not decode; `
      + 'write the log with spark.eventLog.compression.codec=zstd (Spark 4.0\'s default) or spark.eventLog.compress=false');
  }
  return file.bytes.toString('utf8');
}

function parseS3(uri: string): { bucket: string; prefix: string } {
  const m = parseS3Uri(uri, { s3a: true });
  if (!m) throw new EvidenceError(`'${uri}' is not an S3 URI (s3://bucket/key)`);
  return { bucket: m.bucket, prefix: m.key };
}

async function s3Files(uri: string, options: EvidenceReaderOptions): Promise<NamedBytes[]> {
  const client = options.s3 ?? new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.endpoint !== undefined,
    maxAttempts: 1,
  });
  const { bucket, prefix } = parseS3(uri);
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await callWithRetries('ListObjectsV2', () => client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token })));
    for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith('/')) keys.push(o.Key);
    token = page.NextContinuationToken;
  } while (token);
  if (keys.length === 0) throw new EvidenceError(`${uri}: no objects there (no event log or metrics file)`);
  const files: NamedBytes[] = [];
  for (const key of keys.filter(k => !k.endsWith('.crc'))) {
    const bytes = await callWithRetries('GetObject', async () => {
      const r = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await r.Body!.transformToByteArray());
    });
    files.push({ name: s3Uri(bucket, key), bytes });
  }
  return files;
}

function localFiles(source: string): NamedBytes[] {
  if (!fs.existsSync(source)) throw new EvidenceError(`${source}: no such file or directory`);
  const walk = (p: string): string[] => (fs.statSync(p).isDirectory()
    ? fs.readdirSync(p).sort().flatMap(n => walk(path.join(p, n)))
    : [p]);
  return walk(source).filter(p => !path.basename(p).startsWith('.')).map(p => ({ name: p, bytes: fs.readFileSync(p) }));
}

/** The roll number of `events_<n>_<appId>[.codec]`. */
function rollIndex(name: string): number {
  return Number(/events_(\d+)_/.exec(path.basename(name))?.[1] ?? 0);
}

/** Picks one application's event log out of the files of a source and reads it. */
function evidenceFromFiles(source: string, files: NamedBytes[]): RunEvidence {
  const base = (f: NamedBytes) => f.name.split('/').pop()!;
  const eventFiles = files.filter(f => base(f) !== '_metrics.json' && !base(f).endsWith('.crc'));
  const metrics = files.filter(f => base(f) === '_metrics.json');
  if (metrics.length === 1 && !eventFiles.some(f => /^(events_|eventlog|appstatus_|app-|local-|spark-|application_)/.test(base(f)))) {
    return evidenceFromMetricsFile(metrics[0].bytes.toString('utf8'), metrics[0].name);
  }
  if (files.length === 1 && !/^events_/.test(base(files[0]))) {
    // A single file: an event log starts with its LogStart event; anything else is read as a metrics file.
    const text = decompressEventLog(files[0]);
    if (!text.trimStart().startsWith('{"Event"')) return evidenceFromMetricsFile(text, files[0].name);
  }
  // Spark 4.0 rolling layout: eventlog_v2_<appId>/{events_<n>_<appId>[.zstd], appstatus_<appId>[.inprogress]}.
  const status = files.filter(f => /^appstatus_/.test(base(f)));
  if (status.some(f => base(f).endsWith('.inprogress'))) {
    throw new EvidenceError(`${source}: the application is still running (${base(status.find(f => base(f).endsWith('.inprogress'))!)}); tune from a finished run`);
  }
  const rolled = files.filter(f => /^events_\d+_/.test(base(f)));
  const apps = new Set(rolled.map(f => base(f).replace(/^events_\d+_/, '').replace(/\.[a-z0-9]+$/, '')));
  const single = eventFiles.filter(f => !/^(events_|appstatus_)/.test(base(f)));
  if (apps.size + single.length > 1) {
    const names = [...apps, ...single.map(base)].join(', ');
    throw new EvidenceError(`${source}: holds the logs of ${apps.size + single.length} applications (${names}); give one of them`);
  }
  if (rolled.length > 0) {
    const text = rolled.sort((a, b) => rollIndex(a.name) - rollIndex(b.name)).map(f => {
      const t = decompressEventLog(f);
      return t.endsWith('\n') ? t : t + '\n';
    }).join('');
    return evidenceFromEventLog(text, source);
  }
  if (single.length === 0) throw new EvidenceError(`${source}: no event log or _metrics.json found`);
  const file = single[0];
  if (file.name.endsWith('.inprogress')) {
    throw new EvidenceError(`${file.name}: the application is still running (its event log is .inprogress); tune from a finished run`);
  }
  return evidenceFromEventLog(decompressEventLog(file), file.name);
}

/**
 * Reads a run's evidence from SOURCE: an event log file (plain, .gz or .zstd), a directory holding one
 * application's log (Spark 4.0's rolling `eventlog_v2_*` layout included), our jobs' `_metrics.json`, or the
 * same under an `s3://` URI. Throws `EvidenceError` for anything it cannot use.
 */
export async function readRunEvidence(source: string, options: EvidenceReaderOptions = {}): Promise<RunEvidence> {
  const files = /^s3a?:\/\//.test(source) ? await s3Files(source, options) : localFiles(source);
  return evidenceFromFiles(source, files);
}
