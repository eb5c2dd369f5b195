/* eslint-disable no-bitwise */ // Zip headers and CRC-32 are bit-level formats.
import * as zlib from 'zlib';
import { invalidValue } from '../config/errors';

/** How one zip entry is stored. */
export enum ZipCompression {
  /** Stored as is (method 0). */
  STORE = 'store',
  /** Raw deflate (method 8), zlib level 9. */
  DEFLATE = 'deflate',
}

/** One file to put in a zip. */
export interface ZipEntry {
  /** Path inside the archive, `/`-separated, no leading slash. */
  readonly path: string;
  /** The file's bytes. */
  readonly data: Buffer;
}

// Zip format (PKWARE APPNOTE 6.3.x, sections 4.3.7, 4.3.12, 4.3.16). No zip64: small code archives only.
const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;
const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const VERSION_NEEDED = 20; // 2.0: deflate and folders
const VERSION_MADE_BY = (3 << 8) | 20; // UNIX host, so external attributes carry permission bits
const FLAG_UTF8 = 1 << 11;
// 1980-01-01 00:00:00, the earliest DOS timestamp: fixed so equal input gives equal bytes.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;
const FILE_MODE = 0o100644; // regular file, rw-r--r--
const MAX_ZIP32 = 0xffffffff;
const MAX_ENTRIES = 0xffff;

let crcTable: Int32Array | undefined;

/** CRC-32 (IEEE), with zlib's when the runtime has it (Node 20.15+), a table otherwise. */
export function crc32(data: Buffer): number {
  const native = (zlib as unknown as { crc32?: (d: Buffer) => number }).crc32;
  if (typeof native === 'function') return native(data) >>> 0;
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let crc = -1;
  for (const byte of data) crc = crcTable[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/**
 * Writes a deterministic zip: entries sorted by path (byte order), a fixed 1980-01-01 timestamp, fixed
 * permissions and no extra fields, so the same files always give the same bytes (for a given zlib).
 */
export function writeZip(entries: ZipEntry[], compression: ZipCompression = ZipCompression.DEFLATE, level: number = 9): Buffer {
  if (entries.length > MAX_ENTRIES) {
    throw invalidValue('entries', entries.length, `at most ${MAX_ENTRIES} files fit a zip without zip64`);
  }
  const sorted = [...entries].sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const seen = new Set<string>();
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of sorted) {
    if (!entry.path || entry.path.startsWith('/') || entry.path.includes('\\') || entry.path.split('/').includes('..')) {
      throw invalidValue('entries.path', entry.path, 'expected a relative /-separated path without ..');
    }
    if (seen.has(entry.path)) throw invalidValue('entries.path', entry.path, 'each path may appear once');
    seen.add(entry.path);
    const name = Buffer.from(entry.path, 'utf8');
    const crc = crc32(entry.data);
    const deflated = compression === ZipCompression.DEFLATE ? zlib.deflateRawSync(entry.data, { level }) : undefined;
    // Store when deflate does not help (tiny or incompressible files), as zip tools do.
    const useDeflate = deflated !== undefined && deflated.length < entry.data.length;
    const body = useDeflate ? deflated : entry.data;
    const method = useDeflate ? 8 : 0;
    if (offset > MAX_ZIP32 || entry.data.length > MAX_ZIP32) {
      throw invalidValue('entries', entry.path, 'the archive would exceed 4 GiB, which needs zip64');
    }

    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL_HEADER, 0);
    local.writeUInt16LE(VERSION_NEEDED, 4);
    local.writeUInt16LE(FLAG_UTF8, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(entry.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(CENTRAL_HEADER, 0);
    central.writeUInt16LE(VERSION_MADE_BY, 4);
    central.writeUInt16LE(VERSION_NEEDED, 6);
    central.writeUInt16LE(FLAG_UTF8, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(DOS_TIME, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(entry.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(0, 30); // extra length
    central.writeUInt16LE(0, 32); // comment length
    central.writeUInt16LE(0, 34); // disk number
    central.writeUInt16LE(0, 36); // internal attributes
    central.writeUInt32LE((FILE_MODE << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);

    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const centralDirectory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END_OF_CENTRAL_DIRECTORY, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(sorted.length, 8);
  end.writeUInt16LE(sorted.length, 10);
  end.writeUInt32LE(centralDirectory.length, 12);
  end.writeUInt32LE(offset, 16);
  end.writeUInt16LE(0, 20);
  return Buffer.concat([...locals, centralDirectory, end]);
}
