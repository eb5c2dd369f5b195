import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { newStack } from './fixtures';
import { VersionedJobArtifact } from '../../src/artifacts/versioned-job-artifact';
import { EmrServerlessApplication } from '../../src/emr-serverless/application';
import { EmrServerlessArchitecture } from '../../src/emr-serverless/application-options';
import { SparkJobExecutionRole } from '../../src/emr-serverless/execution-role';
import { EmrServerlessSparkJob } from '../../src/emr-serverless/spark-job';
import { SparkJobDefinition } from '../../src/job/spark-job-definition';
import { CP311_X86_64, EMR7_ARM64, offlineDependencies } from '../artifacts/dependency-wheels';

/** Our jobs on an application, with the artifact built for `targets` (none: no archive). */
function jobOn(releaseLabel: string, architecture: EmrServerlessArchitecture, archives: 'emr7-arm64' | 'cp311-x86_64' | 'both' | 'none', pythonVersion?: string) {
  const { app, stack } = newStack();
  const bucket = new s3.Bucket(stack, 'Platform');
  const arm = { target: EMR7_ARM64, sparkLine: '3.5' };
  const x86 = { target: CP311_X86_64, sparkLine: '4.0' };
  const targets = archives === 'none' ? undefined
    : offlineDependencies(archives === 'both' ? [arm, x86] : archives === 'cp311-x86_64' ? [x86] : [arm]);
  const artifact = new VersionedJobArtifact(stack, 'Code', { bucket, dependencies: targets });
  const application = new EmrServerlessApplication(stack, 'App', { releaseLabel, architecture });
  const role = new SparkJobExecutionRole(stack, 'Role', { application, artifacts: [artifact] });
  const make = () => new EmrServerlessSparkJob(stack, 'Features', {
    definition: new SparkJobDefinition({ name: 'features', code: artifact.code, entryPoint: 'features' }),
    application,
    executionRole: role,
    pythonVersion,
  });
  return { app, stack, artifact, make };
}

/** `--conf key=value` pairs of the resolved sparkSubmitParameters, CloudFormation references shown as `<bucket>`. */
function confs(stack: Stack, params: string): { [key: string]: string } {
  const resolved = stack.resolve(params);
  const text: string = typeof resolved === 'string' ? resolved
    : resolved['Fn::Join'][1].map((part: unknown) => (typeof part === 'string' ? part : '<bucket>')).join('');
  const out: { [key: string]: string } = {};
  for (const m of text.matchAll(/--conf '?([^=' ]+)=([^' ]+)'?/g)) out[m[1]] = m[2];
  return out;
}

describe('EMR Serverless jobs with a dependency archive', () => {
  test('emr-7.12.0 on ARM64 ships the CPython 3.9 aarch64 archive that is uploaded with the code', () => {
    // GIVEN
    const { app, stack, artifact, make } = jobOn('emr-7.12.0', EmrServerlessArchitecture.ARM64, 'both');
    // WHEN
    const job = make();
    const conf = confs(stack, job.sparkSubmitParameters);
    // THEN the archive for this runtime, unpacked as ./deps, on the Python path of the driver and the executors
    const archive = artifact.dependencyArchives.find(a => a.target.architecture === 'aarch64')!;
    expect(conf['spark.archives']).toEqual(`s3://<bucket>/${artifact.keyPrefix}/${archive.path}#deps`);
    expect(conf['spark.emr-serverless.driverEnv.PYTHONPATH']).toEqual('./deps');
    expect(conf['spark.executorEnv.PYTHONPATH']).toEqual('./deps');
    expect(conf['spark.emr-serverless.driverEnv.PYSPARK_PYTHON']).toBeUndefined(); // the release's default Python
    // and the uploaded asset holds exactly that file, with the manifest's hash
    const assembly = app.synth();
    const assetDirs = fs.readdirSync(assembly.directory).filter(d => d.startsWith('asset.'))
      .map(d => path.join(assembly.directory, d)).filter(d => fs.existsSync(path.join(d, archive.path)));
    expect(assetDirs).toHaveLength(1);
    const bytes = fs.readFileSync(path.join(assetDirs[0], archive.path));
    expect(crypto.createHash('sha256').update(bytes).digest('hex')).toEqual(archive.sha256);
    const manifest = JSON.parse(fs.readFileSync(path.join(assetDirs[0], 'manifest.json'), 'utf8'));
    expect(manifest.dependencies.map((d: any) => d.wheels.map((w: any) => w.name)).flat()).toEqual(expect.arrayContaining(['numpy', 'pandas', 'pyarrow']));
  });

  test('an X86_64 application refuses an archive built for aarch64, naming both sides', () => {
    const { make } = jobOn('emr-7.12.0', EmrServerlessArchitecture.X86_64, 'emr7-arm64');
    expect(make).toThrow(/definition\.code\.dependencyArchives: .* is not valid; the job's dependency archive is built for CPython 3\.9 on aarch64 \(glibc 2\.34\), but the EMR Serverless application \(emr-7\.12\.0, X86_64, Python 3\.9\) runs CPython 3\.9 on x86_64 \(glibc 2\.34\)/);
  });

  test('emr-spark-8.0.0 (Python 3.11) refuses a CPython 3.9 archive', () => {
    const { make } = jobOn('emr-spark-8.0.0', EmrServerlessArchitecture.ARM64, 'emr7-arm64');
    expect(make).toThrow(/built for CPython 3\.9 on aarch64 \(glibc 2\.34\), but the EMR Serverless application \(emr-spark-8\.0\.0, ARM64, Python 3\.11\) runs CPython 3\.11 on aarch64/);
  });

  test('choosing Python 3.11 on emr-7.x needs an archive for 3.11, and picks the interpreter when it has one', () => {
    // 3.11 with only a 3.9 aarch64 archive: refused
    expect(jobOn('emr-7.12.0', EmrServerlessArchitecture.ARM64, 'emr7-arm64', '3.11').make).toThrow(/runs CPython 3\.11 on aarch64/);
    // 3.11 on X86_64 with the cp311 x86_64 archive: accepted, the driver and executors run python3.11
    const { stack, make } = jobOn('emr-7.12.0', EmrServerlessArchitecture.X86_64, 'cp311-x86_64', '3.11');
    const conf = confs(stack, make().sparkSubmitParameters);
    expect(conf['spark.archives']).toMatch(/\/dependencies\/cp311-manylinux_2_34_x86_64-[0-9a-f]{16}\.zip#deps$/);
    expect(conf['spark.emr-serverless.driverEnv.PYSPARK_PYTHON']).toEqual('/usr/bin/python3.11');
    expect(conf['spark.executorEnv.PYSPARK_PYTHON']).toEqual('/usr/bin/python3.11');
  });

  test('code that imports pandas, numpy and pyarrow without an archive fails at synth, naming them', () => {
    const { make } = jobOn('emr-7.12.0', EmrServerlessArchitecture.ARM64, 'none');
    expect(make).toThrow(/definition\.code\.requiredImports: \["numpy","pandas","pyarrow"\] is not valid; the job's code imports numpy, pandas, pyarrow, which the EMR Serverless application \(emr-7\.12\.0, ARM64, Python 3\.9\) does not provide \(it documents pyspark, py4j\) and the code has no dependency archive for it/);
  });
});
