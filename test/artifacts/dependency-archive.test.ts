import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CP310_AARCH64_JAMMY, CP311_X86_64, EMR7_ARM64, offlineDependencies, pinnedWheels, wheelDir } from './dependency-wheels';
import { pythonJson } from './python';
import { buildDependencyArchive } from '../../src/artifacts/dependency-archive';
import { buildJobArtifact } from '../../src/artifacts/job-artifact-builder';
import { PythonArchitecture, PythonTarget, pythonTargetForEmr, PythonTargets, wheelIncompatibility } from '../../src/artifacts/python-target';

const tmp = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/**
 * Independent reading of an archive, with Python: every `*.dist-info/WHEEL`'s Tag lines and METADATA's
 * name and version from inside the zip, and whether each tag is one pip's own tag logic (its vendored
 * packaging.tags) accepts for the target's CPython, ABI and manylinux platforms up to the glibc.
 */
const READ_ARCHIVE = String.raw`
import json, sys, zipfile
from pip._vendor.packaging import tags
zpath, version, arch, glibc = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
major, minor = (int(p) for p in version.split('.'))
top = int(glibc.split('.')[1])
platforms = [f"manylinux_2_{y}_{arch}" for y in range(top, 16, -1)] + [f"manylinux2014_{arch}"]
supported = {str(t) for t in tags.cpython_tags((major, minor), [f"cp{major}{minor}"], platforms)}
supported |= {str(t) for t in tags.compatible_tags((major, minor), f"cp{major}{minor}", platforms)}
z = zipfile.ZipFile(zpath)
out = {"dists": {}, "names": z.namelist()}
for n in z.namelist():
    if n.endswith(".dist-info/WHEEL"):
        wheel_tags = [l.split(":", 1)[1].strip() for l in z.read(n).decode().splitlines() if l.startswith("Tag:")]
        meta = dict(l.split(": ", 1) for l in z.read(n[:-5] + "METADATA").decode().split("\n\n")[0].splitlines() if ": " in l)
        out["dists"][meta["Name"].lower().replace("_", "-")] = {
            "version": meta["Version"], "tags": wheel_tags, "loads": any(t in supported for t in wheel_tags)}
print(json.dumps(out))
`;

interface ReadArchive {
  readonly dists: { [name: string]: { version: string; tags: string[]; loads: boolean } };
  readonly names: string[];
}

function readArchive(zip: string, target: PythonTarget): ReadArchive {
  return pythonJson(READ_ARCHIVE, zip, target.pythonVersion, target.architecture, target.glibc);
}

describe('dependency archives of the jobs, built offline for two runtimes', () => {
  // One artifact with three archives: emr-7.x on ARM64 (CPython 3.9, Spark 3.5 bounds), x86_64 CPython 3.11
  // (Spark 4.0 bounds) and the Spark Operator example's image (aarch64 CPython 3.10, glibc 2.35, Spark 3.5
  // bounds). The archive cache in .tools/ makes later builds (and other test files) cheap.
  const outDir = path.join(tmp('deps-artifact-'), 'out');
  const built = buildJobArtifact({
    outDir,
    dependencies: offlineDependencies([
      { target: EMR7_ARM64, sparkLine: '3.5' }, { target: CP311_X86_64, sparkLine: '4.0' }, { target: CP310_AARCH64_JAMMY, sparkLine: '3.5' },
    ]),
  });
  const manifest = JSON.parse(fs.readFileSync(built.manifestPath, 'utf8'));

  test.each([
    ['aarch64, Python 3.9', EMR7_ARM64, 0],
    ['x86_64, Python 3.11', CP311_X86_64, 1],
    ['aarch64, Python 3.10, glibc 2.35', CP310_AARCH64_JAMMY, 2],
  ])('%s: every wheel inside is the pinned one and loads on the target by pip\'s own tag rules', (_name, target, index) => {
    // GIVEN
    const listed = manifest.dependencies[index];
    const zip = path.join(outDir, listed.path);
    // WHEN
    const read = readArchive(zip, target as PythonTarget);
    // THEN the archive holds exactly the pinned distributions, no pyspark, and each loads on the target
    expect(listed.target).toEqual(target);
    expect(Object.fromEntries(Object.entries(read.dists).map(([n, d]) => [n, d.version]))).toEqual(pinnedWheels(target as PythonTarget));
    for (const [name, dist] of Object.entries(read.dists)) {
      expect({ name, loads: dist.loads }).toEqual({ name, loads: true });
    }
    expect(read.names.some(n => n.startsWith('pyspark/') || n.startsWith('py4j/'))).toBe(false);
    // and the manifest lists every wheel with the name, version and tags found inside
    expect(listed.wheels.map((w: any) => [w.name, w.version]).sort()).toEqual(Object.entries(read.dists).map(([n, d]) => [n, d.version]).sort());
    for (const w of listed.wheels) expect(w.tags.slice().sort()).toEqual(read.dists[w.name].tags.slice().sort());
    expect(listed.topLevel).toEqual(expect.arrayContaining(['numpy', 'pandas', 'pyarrow']));
  });

  test('the archives are files of the artifact: hashed in its manifest and part of its content hash', () => {
    // GIVEN the same code without dependencies
    const plain = buildJobArtifact({ outDir: path.join(tmp('deps-plain-'), 'out') });
    // THEN
    for (const dep of manifest.dependencies) {
      const file = manifest.files.find((f: any) => f.path === dep.path);
      expect(file).toEqual({ path: dep.path, sha256: dep.sha256, size: fs.statSync(path.join(outDir, dep.path)).size });
    }
    expect(built.contentHash).not.toEqual(plain.contentHash);
    // and the job package's own imports are listed for the synth-time check
    expect(Object.keys(manifest.imports)).toEqual(expect.arrayContaining(['numpy', 'pandas', 'pyarrow', 'pyspark']));
    expect(manifest.imports.pandas).toContain('features/feature_validator.py');
  });

  test('a second build of the same wheels gives the same archive bytes (from the cache)', () => {
    // WHEN
    const again = buildJobArtifact({ outDir: path.join(tmp('deps-again-'), 'out'), dependencies: offlineDependencies([{ target: EMR7_ARM64, sparkLine: '3.5' }]) });
    // THEN
    expect(again.dependencyArchives[0].sha256).toEqual(manifest.dependencies[0].sha256);
    expect(again.contentHash).not.toEqual(built.contentHash); // one archive, not two: another version
  });
});

describe('buildDependencyArchive', () => {
  test('is deterministic: two cold builds in separate caches give identical bytes', () => {
    // GIVEN pure wheels only (small), each build in its own fresh cache
    const options = { target: EMR7_ARM64, requirements: ['six==1.17.0', 'tzdata==2026.6'], findLinks: [wheelDir(EMR7_ARM64)], noIndex: true };
    // WHEN
    const a = buildDependencyArchive({ ...options, outDir: tmp('deps-a-'), cacheDir: tmp('cache-a-') });
    const b = buildDependencyArchive({ ...options, outDir: tmp('deps-b-'), cacheDir: tmp('cache-b-') });
    // THEN
    expect([a.cached, b.cached]).toEqual([false, false]);
    expect(b.sha256).toEqual(a.sha256);
    expect(a.fileName).toMatch(/^cp39-manylinux_2_34_aarch64-[0-9a-f]{16}\.zip$/);
    expect(a.topLevel).toEqual(['six', 'tzdata']);
  });

  test('wheels of another architecture or Python are never packaged: the build fails naming the target', () => {
    // GIVEN only x86_64 CPython 3.11 wheels on offer for an aarch64 CPython 3.9 runtime
    const build = () => buildDependencyArchive({
      target: EMR7_ARM64, requirements: ['numpy'], findLinks: [wheelDir(CP311_X86_64)], noIndex: true, outDir: tmp('deps-x-'), cacheDir: tmp('cache-x-'),
    });
    // THEN
    expect(build).toThrow(/requirements: \["numpy"\] is not valid; pip could not resolve them as binary wheels for CPython 3\.9 on aarch64 \(glibc 2\.34\)/);
  });

  test('pyspark is refused: the runtime provides Spark', () => {
    expect(() => buildDependencyArchive({ target: EMR7_ARM64, requirements: ['pandas', 'pyspark>=3.5'], outDir: tmp('deps-p-') }))
      .toThrow(/requirements: 'pyspark>=3.5' is not valid; the runtime provides pyspark and py4j/);
  });
});

describe('a user\'s own PySpark project', () => {
  test('with a requirements.txt: its requirements are packaged for the target and its imports listed', () => {
    // GIVEN a project directory with requirements.txt (no pyproject.toml) and a package importing six
    const root = tmp('user-project-');
    fs.writeFileSync(path.join(root, 'requirements.txt'), '# runtime\nsix==1.17.0\npyspark==3.5.6  # provided by the runtime\n');
    const pkg = path.join(root, 'my_jobs');
    fs.mkdirSync(path.join(pkg, 'entrypoints'), { recursive: true });
    fs.writeFileSync(path.join(pkg, '__init__.py'), '');
    fs.writeFileSync(path.join(pkg, 'entrypoints', 'score.py'), 'import json\nimport six\nfrom pyspark.sql import SparkSession\ntry:\n    import ujson\nexcept ImportError:\n    ujson = None\n');
    // WHEN
    const built = buildJobArtifact({
      sourceDir: pkg,
      version: '2.0.0',
      outDir: path.join(tmp('user-out-'), 'out'),
      dependencies: { targets: [{ target: EMR7_ARM64 }], findLinks: [wheelDir(EMR7_ARM64)], noIndex: true, cacheDir: tmp('user-cache-') },
    });
    // THEN six is in the archive (pyspark left to the runtime), and the optional ujson import is not required
    const archive = built.dependencyArchives[0];
    expect(archive.requirements).toEqual(['six==1.17.0']);
    expect(archive.wheels.map(w => `${w.name} ${w.version}`)).toEqual(['six 1.17.0']);
    expect(Object.keys(readArchive(path.join(built.outDir, archive.path), EMR7_ARM64).dists)).toEqual(['six']);
    expect(built.imports).toEqual({ pyspark: ['entrypoints/score.py'], six: ['entrypoints/score.py'] });
    expect(built.keyPrefix).toMatch(/^my_jobs\/2\.0\.0\/[0-9a-f]{16}$/);
  });
});

describe('wheel tags against a target', () => {
  test.each([
    ['numpy-1.26.4-cp39-cp39-manylinux_2_17_aarch64.manylinux2014_aarch64.whl', EMR7_ARM64, undefined],
    ['pyarrow-17.0.0-cp39-cp39-manylinux_2_28_aarch64.whl', EMR7_ARM64, undefined],
    ['six-1.17.0-py2.py3-none-any.whl', EMR7_ARM64, undefined],
    ['x-1.0-cp38-abi3-manylinux_2_17_x86_64.whl', CP311_X86_64, undefined],
    ['numpy-1.26.4-cp39-cp39-manylinux_2_17_x86_64.manylinux2014_x86_64.whl', EMR7_ARM64, /is for platform manylinux_2_17_x86_64\.manylinux2014_x86_64, not CPython 3\.9 on aarch64/],
    ['numpy-2.4.6-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl', { ...CP311_X86_64, pythonVersion: '3.9' }, /is for Python cp311-cp311, not CPython 3\.9 on x86_64/],
    ['x-1.0-cp311-cp311-manylinux_2_39_x86_64.whl', CP311_X86_64, /loads manylinux_2_34_x86_64 and older/],
  ])('%s on %j', (wheel, target, expected) => {
    const problem = wheelIncompatibility(wheel, target as PythonTarget);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });

  test('EMR releases map to their Python, the architecture and Amazon Linux 2023\'s glibc', () => {
    expect(pythonTargetForEmr({ releaseLabel: 'emr-7.12.0' })).toEqual(EMR7_ARM64);
    expect(pythonTargetForEmr({ releaseLabel: 'emr-spark-8.0.0', architecture: 'X86_64' })).toEqual(CP311_X86_64);
    expect(() => pythonTargetForEmr({ releaseLabel: 'emr-7.12.0', pythonVersion: '3.12' })).toThrow(/pythonVersion: '3.12' is not valid; emr-7.12.0 runs Python 3.9, 3.11/);
  });

  test('PythonTargets, the static face jsii languages call, gives the same targets and ids', () => {
    expect(PythonTargets.forEmr({ releaseLabel: 'emr-7.12.0' })).toEqual(EMR7_ARM64);
    expect(PythonTargets.idOf(PythonTargets.forEmr({ releaseLabel: 'emr-7.12.0' }))).toBe('cp39-manylinux_2_34_aarch64');
    expect(() => PythonTargets.validate({ ...CP311_X86_64, glibc: '2.5' })).toThrow(/target\.glibc: '2\.5' is not valid/);
  });

  test('the rest of the face: architecture, tags, wheel names and compatibility (PEP 427/600 tags, pip\'s own tag list)', () => {
    expect(PythonTargets.architectureOf('ARM64')).toBe(PythonArchitecture.AARCH64);
    expect(PythonTargets.architectureOf('X86_64')).toBe(PythonArchitecture.X86_64);
    expect(() => PythonTargets.architectureOf('arm')).toThrow(/architecture: 'arm' is not valid; expected ARM64 or X86_64/);
    expect(PythonTargets.describe(EMR7_ARM64)).toBe('CPython 3.9 on aarch64 (glibc 2.34)');
    expect(PythonTargets.cpythonTag(CP311_X86_64)).toBe('cp311');
    // pip's packaging.tags: manylinux_2_y for y from the glibc down to 17, then the manylinux2014 alias.
    const expectedPlatforms = [...Array.from({ length: 34 - 16 }, (_, i) => `manylinux_2_${34 - i}_aarch64`), 'manylinux2014_aarch64'];
    expect(PythonTargets.platformTags(EMR7_ARM64)).toEqual(expectedPlatforms);
    expect(PythonTargets.parseWheelName('numpy-2.0.2-cp39-cp39-manylinux_2_17_aarch64.manylinux2014_aarch64.whl')).toEqual({
      name: 'numpy', version: '2.0.2', pythonTags: ['cp39'], abiTags: ['cp39'], platformTags: ['manylinux_2_17_aarch64', 'manylinux2014_aarch64'],
    });
    expect(() => PythonTargets.parseWheelName('numpy-2.0.2.tar.gz')).toThrow(/wheel: 'numpy-2\.0\.2\.tar\.gz' is not valid/);
    expect(PythonTargets.wheelIncompatibility('numpy-2.0.2-cp39-cp39-manylinux_2_17_aarch64.manylinux2014_aarch64.whl', EMR7_ARM64)).toBeUndefined();
    expect(PythonTargets.wheelIncompatibility('numpy-2.0.2-cp39-cp39-manylinux_2_17_x86_64.whl', EMR7_ARM64)).toMatch(/is for platform manylinux_2_17_x86_64, not CPython 3\.9 on aarch64/);
  });
});
