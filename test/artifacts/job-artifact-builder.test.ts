import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pythonJson } from './python';
import { buildJobArtifact, defaultJobSourceDir, readPyprojectVersion } from '../../src/artifacts/job-artifact-builder';
import { JobArtifacts } from '../../src/artifacts/job-artifacts';
import { JobCode } from '../../src/artifacts/job-code';
import { PythonArchitecture, PythonTarget } from '../../src/artifacts/python-target';

/** A small project: pyproject.toml + src/mypkg with two entry points, a private helper and build droppings. */
function makeProject(version = '1.2.3'): { root: string; pkg: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'artifact-src-'));
  fs.writeFileSync(path.join(root, 'pyproject.toml'), `[build-system]\nrequires = ["x"]\nversion = "9.9.9"\n\n[project]\nname = "mypkg"\nversion = "${version}"\n`);
  const pkg = path.join(root, 'src', 'mypkg');
  const files: { [rel: string]: string } = {
    '__init__.py': '',
    'core.py': 'def double(x):\n    return 2 * x\n',
    'entrypoints/__init__.py': '',
    'entrypoints/features.py': 'from mypkg.core import double\nprint(double(21))\n',
    'entrypoints/validate.py': 'print("validate")\n',
    'entrypoints/_shared.py': 'X = 1\n',
    'entrypoints/nested/deep.py': 'print("not an entry point")\n',
    '__pycache__/core.cpython-311.pyc': 'junk',
    'core.pyc': 'junk',
    '.hidden': 'junk',
  };
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(pkg, rel)), { recursive: true });
    fs.writeFileSync(path.join(pkg, rel), text);
  }
  return { root, pkg };
}

const tmpOut = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'artifact-out-')), 'out');
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

describe('buildJobArtifact', () => {
  test('writes the zip, entry points and a manifest whose hashes match the files', () => {
    // GIVEN
    const { pkg } = makeProject();
    const outDir = tmpOut();

    // WHEN
    const built = buildJobArtifact({ sourceDir: pkg, outDir });

    // THEN
    expect(built.version).toBe('1.2.3');
    expect(built.contentHash).toMatch(/^[0-9a-f]{16}$/);
    expect(built.keyPrefix).toBe(`mypkg/1.2.3/${built.contentHash}`);
    expect(built.entryPoints).toEqual({ features: 'entrypoints/features.py', validate: 'entrypoints/validate.py' });
    expect(built.pyFiles).toEqual(['mypkg.zip']);
    expect(built.files.map(f => f.path)).toEqual(['entrypoints/features.py', 'entrypoints/validate.py', 'mypkg.zip']);
    for (const f of built.files) {
      const data = fs.readFileSync(path.join(outDir, f.path));
      expect(f.sha256).toBe(sha(data));
      expect(f.size).toBe(data.length);
    }
    const manifest = JSON.parse(fs.readFileSync(built.manifestPath, 'utf8'));
    expect(manifest).toMatchObject({ format: 'spark-deploy-artifact/1', package: 'mypkg', version: '1.2.3', contentHash: built.contentHash });
    expect(manifest.files).toEqual(built.files);
    expect(fs.readFileSync(path.join(outDir, 'entrypoints/features.py'), 'utf8')).toContain('double(21)');
  });

  test('the zip holds the package (no build droppings) and is importable from Python as --py-files would', () => {
    const { pkg } = makeProject();
    const outDir = tmpOut();
    const built = buildJobArtifact({ sourceDir: pkg, outDir });

    // Python puts the zip on sys.path exactly like spark-submit --py-files, then imports from it.
    const result = pythonJson(`
import json, sys, zipfile
sys.path.insert(0, sys.argv[1])
from mypkg.core import double
with zipfile.ZipFile(sys.argv[1]) as z:
    print(json.dumps({"names": z.namelist(), "bad": z.testzip(), "double": double(4)}))
`, path.join(outDir, 'mypkg.zip'));
    expect(result.bad).toBeNull();
    expect(result.double).toBe(8);
    expect(result.names).toEqual([
      'mypkg/__init__.py', 'mypkg/core.py', 'mypkg/entrypoints/__init__.py', 'mypkg/entrypoints/_shared.py',
      'mypkg/entrypoints/features.py', 'mypkg/entrypoints/nested/deep.py', 'mypkg/entrypoints/validate.py',
    ]);
    const manifest = JSON.parse(fs.readFileSync(built.manifestPath, 'utf8'));
    expect(manifest.sources.map((s: any) => s.path)).toEqual(result.names);
  });

  test('same code gives the same hash and bytes; a change gives a new hash', () => {
    const { pkg } = makeProject();
    const a = buildJobArtifact({ sourceDir: pkg, outDir: tmpOut() });
    // Build droppings and timestamps do not count.
    fs.writeFileSync(path.join(pkg, '__pycache__', 'other.pyc'), 'more junk');
    fs.utimesSync(path.join(pkg, 'core.py'), new Date(2001, 1, 1), new Date(2001, 1, 1));
    const b = buildJobArtifact({ sourceDir: pkg, outDir: tmpOut() });
    expect(b.contentHash).toBe(a.contentHash);
    expect(b.files).toEqual(a.files);

    fs.appendFileSync(path.join(pkg, 'core.py'), '# changed\n');
    const c = buildJobArtifact({ sourceDir: pkg, outDir: tmpOut() });
    expect(c.contentHash).not.toBe(a.contentHash);
  });

  test('an explicit version wins over pyproject.toml', () => {
    const { pkg } = makeProject();
    const built = buildJobArtifact({ sourceDir: pkg, outDir: tmpOut(), version: '2.0.0rc1' });
    expect(built.keyPrefix).toBe(`mypkg/2.0.0rc1/${built.contentHash}`);
  });

  test('rebuilding into an earlier artifact directory replaces it', () => {
    const { pkg } = makeProject();
    const outDir = tmpOut();
    buildJobArtifact({ sourceDir: pkg, outDir });
    fs.rmSync(path.join(pkg, 'entrypoints', 'validate.py'));
    const again = buildJobArtifact({ sourceDir: pkg, outDir });
    expect(Object.keys(again.entryPoints)).toEqual(['features']);
    expect(fs.existsSync(path.join(outDir, 'entrypoints', 'validate.py'))).toBe(false);
  });

  test('the default source is this repository\'s spark_jobs package, versioned from jobs/pyproject.toml', () => {
    const pyproject = fs.readFileSync(path.join(__dirname, '..', '..', 'jobs', 'pyproject.toml'), 'utf8');
    const expected = /\[project\][^[]*?\nversion\s*=\s*"([^"]+)"/.exec(pyproject)![1];
    expect(path.basename(defaultJobSourceDir())).toBe('spark_jobs');
    expect(readPyprojectVersion(defaultJobSourceDir())).toBe(expected);
    const built = buildJobArtifact({ outDir: tmpOut() });
    expect(built.keyPrefix).toBe(`spark_jobs/${expected}/${built.contentHash}`);
  });

  test('fails when the source directory does not exist', () => {
    expect(() => buildJobArtifact({ sourceDir: '/nonexistent/pkg', outDir: tmpOut() })).toThrow(/sourceDir: '\/nonexistent\/pkg' is not valid; expected an existing Python package directory/);
  });

  test('fails when the source directory is not a package', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notpkg'));
    fs.writeFileSync(path.join(dir, 'x.py'), '');
    expect(() => buildJobArtifact({ sourceDir: dir, outDir: tmpOut(), version: '1' })).toThrow(/sourceDir: .*no __init__.py/);
  });

  test('fails on a version that cannot be an S3 key segment', () => {
    const { pkg } = makeProject();
    expect(() => buildJobArtifact({ sourceDir: pkg, outDir: tmpOut(), version: '1.0/evil' })).toThrow(/version: '1.0\/evil' is not valid/);
  });

  test('fails when no version is found', () => {
    const { root, pkg } = makeProject();
    fs.writeFileSync(path.join(root, 'pyproject.toml'), '[project]\nname = "x"\ndynamic = ["version"]\n');
    expect(() => buildJobArtifact({ sourceDir: pkg, outDir: tmpOut() })).toThrow(/version: .*pyproject.toml' is not valid; no static `version/);
  });

  test('fails on an output directory holding other files', () => {
    const { pkg } = makeProject();
    const outDir = tmpOut();
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'precious.txt'), 'keep me');
    expect(() => buildJobArtifact({ sourceDir: pkg, outDir })).toThrow(/outDir: .* expected a missing or empty directory/);
    expect(fs.existsSync(path.join(outDir, 'precious.txt'))).toBe(true);
  });

  test('fails on an output directory inside the source', () => {
    const { pkg } = makeProject();
    expect(() => buildJobArtifact({ sourceDir: pkg, outDir: path.join(pkg, 'dist') })).toThrow(/outDir: .*must not contain or be inside the source directory/);
  });

  test('fails when the entry-point directory is missing', () => {
    const { pkg } = makeProject();
    expect(() => buildJobArtifact({ sourceDir: pkg, outDir: tmpOut(), entryPointsDir: 'scripts' })).toThrow(/entryPointsDir: 'scripts' is not valid/);
  });
});

describe('JobArtifacts (the static face jsii languages call)', () => {
  test('buildArtifact packages the same bytes as buildJobArtifact, with hashes that match the files', () => {
    const { pkg } = makeProject();
    const viaFace = JobArtifacts.buildArtifact({ sourceDir: pkg, outDir: tmpOut() });
    const viaFunction = buildJobArtifact({ sourceDir: pkg, outDir: tmpOut() });
    expect(viaFace.contentHash).toBe(viaFunction.contentHash);
    const zipSha = (built: typeof viaFace) => sha(fs.readFileSync(path.join(built.outDir, built.pyFiles[0])));
    expect(zipSha(viaFace)).toBe(zipSha(viaFunction));
    expect(viaFace.files.find(f => f.path === viaFace.pyFiles[0])?.sha256).toBe(zipSha(viaFace));
  });

  test('defaultSourceDir and pyprojectVersion read this repository\'s spark_jobs package and jobs/pyproject.toml', () => {
    const pyproject = fs.readFileSync(path.join(__dirname, '..', '..', 'jobs', 'pyproject.toml'), 'utf8');
    const expected = /\[project\][^[]*?\nversion\s*=\s*"([^"]+)"/.exec(pyproject)![1];
    expect(JobArtifacts.defaultSourceDir()).toBe(path.resolve(__dirname, '..', '..', 'jobs', 'src', 'spark_jobs'));
    expect(JobArtifacts.pyprojectVersion(JobArtifacts.defaultSourceDir())).toBe(expected);
  });

  test('runtimeDependencies picks the archive for the runtime\'s Python and refuses one built for another', () => {
    const cp39Arm: PythonTarget = { pythonVersion: '3.9', architecture: PythonArchitecture.AARCH64, glibc: '2.34' };
    const cp311X86: PythonTarget = { pythonVersion: '3.11', architecture: PythonArchitecture.X86_64, glibc: '2.34' };
    const archive = { path: 'dependencies/cp39-manylinux_2_34_aarch64-abc.zip', target: cp39Arm, topLevel: ['numpy'] };
    const code = JobCode.fromBucket({
      bucketName: 'my-artifacts',
      prefix: 'jobs/1',
      entryPoints: { features: 'entrypoints/features.py' },
      dependencyArchives: [archive],
      requiredImports: ['numpy'],
    });
    expect(JobArtifacts.runtimeDependencies(code, { target: cp39Arm, description: 'the application' })).toEqual(archive);
    expect(() => JobArtifacts.runtimeDependencies(code, { target: cp311X86, description: 'the application' }))
      .toThrow(/code\.dependencyArchives: .* is not valid; the job's dependency archive is built for CPython 3\.9 on aarch64 \(glibc 2\.34\), but the application runs CPython 3\.11/);
    const noArchive = JobCode.fromBucket({ bucketName: 'my-artifacts', prefix: 'jobs/1', entryPoints: { features: 'entrypoints/features.py' } });
    expect(JobArtifacts.runtimeDependencies(noArchive, { target: cp311X86, description: 'the application' })).toBeUndefined();
  });
});
