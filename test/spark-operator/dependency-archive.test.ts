import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chartWithRbac, only } from './fixtures';
import { JobCode } from '../../src/artifacts';
import { buildJobArtifact } from '../../src/artifacts/job-artifact-builder';
import { PythonArchitecture } from '../../src/artifacts/python-target';
import { SparkJobDefinition } from '../../src/job/spark-job-definition';
import { SparkOperatorApplication } from '../../src/spark-operator';
import { CP311_X86_64, offlineDependencies } from '../artifacts/dependency-wheels';
import { expectValidManifests, synthManifests } from '../support/k8s-validation';

const IMAGE = 'apache/spark:4.0.1-python3';

// Our jobs built with the x86_64 CPython 3.11 archive, referenced the way VersionedJobArtifact does it.
const built = buildJobArtifact({
  outDir: path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'op-deps-')), 'out'),
  dependencies: offlineDependencies([{ target: CP311_X86_64, sparkLine: '4.0' }]),
});
function code(withArchive = true): JobCode {
  return JobCode.fromBucket({
    bucketName: 'spark-deploy-artifacts',
    prefix: `artifacts/${built.keyPrefix}`,
    entryPoints: built.entryPoints,
    pyFiles: built.pyFiles,
    version: built.version,
    contentHash: built.contentHash,
    dependencyArchives: withArchive ? built.dependencyArchives.map(a => ({ path: a.path, target: a.target, topLevel: a.topLevel })) : [],
    requiredImports: Object.keys(built.imports!),
  });
}

function application(jobCode: JobCode, imagePython?: any) {
  const { chart, rbac } = chartWithRbac();
  const job = new SparkJobDefinition({ name: 'features', code: jobCode, entryPoint: 'features', arguments: ['--spec', 'default'] });
  const make = () => new SparkOperatorApplication(chart, 'Features', {
    job, rbac, image: IMAGE, sparkVersion: '4.0.1', executor: { cpu: 2, memoryGb: 8 }, imagePython,
  });
  return { chart, make };
}

describe('SparkApplication with a dependency archive', () => {
  test('the archive for the image\'s declared Python goes to deps.archives, ./deps on the driver and executor Python path', () => {
    // GIVEN
    const { chart, make } = application(code(), CP311_X86_64);
    // WHEN
    make();
    const docs = synthManifests(chart);
    // THEN the manifests stay valid against the operator's CRD and the core schemas
    expectValidManifests(docs);
    const spec = only(docs, 'SparkApplication').spec;
    expect(spec.deps.archives).toEqual([`s3a://spark-deploy-artifacts/artifacts/${built.keyPrefix}/${built.dependencyArchives[0].path}#deps`]);
    expect(spec.deps.pyFiles).toEqual([`s3a://spark-deploy-artifacts/artifacts/${built.keyPrefix}/spark_jobs.zip`]);
    expect(spec.sparkConf['spark.kubernetes.driverEnv.PYTHONPATH']).toEqual('./deps');
    expect(spec.sparkConf['spark.executorEnv.PYTHONPATH']).toEqual('./deps');
  });

  test('an image declared as aarch64 refuses the x86_64 archive, naming both sides', () => {
    const { make } = application(code(), { ...CP311_X86_64, architecture: PythonArchitecture.AARCH64 });
    expect(make).toThrow(/job\.code\.dependencyArchives: .* is not valid; the job's dependency archive is built for CPython 3\.11 on x86_64 \(glibc 2\.34\), but the image apache\/spark:4\.0\.1-python3 runs CPython 3\.11 on aarch64 \(glibc 2\.34\)/);
  });

  test('an image with another Python than the archive was built for is refused, naming both', () => {
    // e.g. apache/spark:3.5.6-python3 (Ubuntu 20.04, CPython 3.8) declared for an archive of CPython 3.11
    const { make } = application(code(), { ...CP311_X86_64, pythonVersion: '3.8', glibc: '2.31' });
    expect(make).toThrow(/the job's dependency archive is built for CPython 3\.11 on x86_64 \(glibc 2\.34\), but the image apache\/spark:4\.0\.1-python3 runs CPython 3\.8 on x86_64 \(glibc 2\.31\)/);
  });

  test('an image with an older glibc than the archive was built for is refused', () => {
    const { make } = application(code(), { ...CP311_X86_64, glibc: '2.31' });
    expect(make).toThrow(/runs CPython 3\.11 on x86_64 \(glibc 2\.31\)/);
  });

  test('code with an archive needs the image\'s Python declared', () => {
    const { make } = application(code());
    expect(make).toThrow(/imagePython: undefined is not valid; the job's code ships dependency archives for CPython 3\.11 on x86_64 \(glibc 2\.34\); declare the image's Python/);
  });

  test('without an archive, the image must declare the modules it provides', () => {
    // pandas, numpy and pyarrow neither in the archive nor declared: refused
    expect(application(code(false), CP311_X86_64).make).toThrow(/job\.code\.requiredImports: \["numpy","pandas","pyarrow"\] is not valid; the job's code imports numpy, pandas, pyarrow, which the image apache\/spark:4\.0\.1-python3 does not provide/);
    // an image that has them installed: accepted, no archive rendered
    const { chart, make } = application(code(false), { ...CP311_X86_64, providedModules: ['numpy', 'pandas', 'pyarrow'] });
    make();
    const spec = only(synthManifests(chart), 'SparkApplication').spec;
    expect(spec.deps.archives).toBeUndefined();
    expect(spec.sparkConf['spark.executorEnv.PYTHONPATH']).toBeUndefined();
  });
});
