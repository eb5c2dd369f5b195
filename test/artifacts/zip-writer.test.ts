import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pythonJson } from './python';
import { crc32, writeZip, ZipCompression } from '../../src/artifacts/zip-writer';

// Python's zipfile is the independent reader: it checks CRCs (testzip) and decompresses every entry.
const READ_ZIP = `
import hashlib, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    print(json.dumps({
        "bad": bad,
        "entries": [
            {"name": i.filename, "sha256": hashlib.sha256(z.read(i)).hexdigest(), "size": i.file_size,
             "method": i.compress_type, "date": list(i.date_time), "mode": i.external_attr >> 16}
            for i in z.infolist()
        ],
    }))
`;

function tmpFile(data: Buffer): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zip-test-'));
  const file = path.join(dir, 'a.zip');
  fs.writeFileSync(file, data);
  return file;
}

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

describe('writeZip', () => {
  const files = [
    { path: 'pkg/z_last.py', data: Buffer.from('print("z")\n'.repeat(200)) },
    { path: 'pkg/__init__.py', data: Buffer.alloc(0) },
    { path: 'pkg/sub/naïve.py', data: Buffer.from('x = "ünïcode"\n') },
    { path: 'pkg/random.bin', data: crypto.randomBytes(4096) },
  ];

  test('Python zipfile reads every entry back byte for byte, sorted, with fixed timestamps', () => {
    // GIVEN / WHEN
    const zip = writeZip(files);
    const read = pythonJson(READ_ZIP, tmpFile(zip));

    // THEN
    expect(read.bad).toBeNull();
    expect(read.entries.map((e: any) => e.name)).toEqual(['pkg/__init__.py', 'pkg/random.bin', 'pkg/sub/naïve.py', 'pkg/z_last.py']);
    for (const e of read.entries) {
      const original = files.find(f => f.path === e.name)!;
      expect(e.sha256).toBe(sha(original.data));
      expect(e.size).toBe(original.data.length);
      expect(e.date).toEqual([1980, 1, 1, 0, 0, 0]);
      expect(e.mode).toBe(0o100644);
    }
    // Compressible text is deflated (8); random bytes and empty files are stored (0).
    const method = Object.fromEntries(read.entries.map((e: any) => [e.name, e.method]));
    expect(method['pkg/z_last.py']).toBe(8);
    expect(method['pkg/random.bin']).toBe(0);
    expect(method['pkg/__init__.py']).toBe(0);
  });

  test('the same files in any order give the same bytes', () => {
    expect(writeZip(files).equals(writeZip([...files].reverse()))).toBe(true);
  });

  test('STORE writes method 0 for every entry', () => {
    const read = pythonJson(READ_ZIP, tmpFile(writeZip(files, ZipCompression.STORE)));
    expect(read.entries.every((e: any) => e.method === 0)).toBe(true);
    expect(read.bad).toBeNull();
  });

  test('crc32 matches Python zlib.crc32', () => {
    const data = Buffer.from('The quick brown fox jumps over the lazy dog');
    const expected = pythonJson('import json, sys, zlib; print(json.dumps(zlib.crc32(sys.argv[1].encode())))', data.toString());
    expect(crc32(data)).toBe(expected);
  });

  test('fails on a duplicate path', () => {
    expect(() => writeZip([{ path: 'a.py', data: Buffer.from('1') }, { path: 'a.py', data: Buffer.from('2') }]))
      .toThrow(/entries.path: 'a.py' is not valid; each path may appear once/);
  });

  test('fails on a path escaping the archive', () => {
    expect(() => writeZip([{ path: '../evil.py', data: Buffer.from('') }])).toThrow(/entries.path: '..\/evil.py'/);
    expect(() => writeZip([{ path: '/abs.py', data: Buffer.from('') }])).toThrow(/entries.path/);
  });
});
