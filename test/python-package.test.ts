import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { compatiblePlatformTags, pythonTargetForEmr, wheelIncompatibility } from '../src/artifacts/python-target';
import { DeploymentTarget, SparkConfiguration } from '../src/config';
import { venvBin } from './artifacts/python';
import { unacceptedIamFindings } from './support/iam-lint';

/*
 * The jsii Python package as a user gets it: the wheel `npx projen package:python` built into dist/python
 * (`npm test` builds it first), installed into a fresh venv next to aws-cdk-lib, constructs and cdk8s from PyPI
 * at our devDependencies' versions. The Python code run here is the README's, so the README cannot rot.
 * Cost, measured on the shared 2-core machine: warm (wheels in .tools/pip-cache, dependency archive cached) 63 s at
 * load ~7, 2.5 min at load ~30, most of it the venv install and the jsii runtime loading aws-cdk-lib; cold adds the ~95 MB pip
 * downloads once (build tools and CDK wheels) and the first dependency-archive build. The wheel itself is built by
 * `npx projen package:python` before jest (3 min cold at load ~20, 65 s offline at load ~7, skipped when the
 * wheel holds the current assembly).
 */
const root = path.resolve(__dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'spark-deploy-python-'));
const venv = path.join(work, 'venv');
const python = path.join(venv, 'bin', 'python');
const devDependencies = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).devDependencies;

/** The ```python block that follows `<!-- python-example: NAME ... -->` in README.md. */
function readmeExample(name: string): string {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const match = new RegExp(`<!-- python-example: ${name}\\b[^>]*-->\\s*\`\`\`python\\n([\\s\\S]*?)\`\`\``).exec(readme);
  if (!match) throw new Error(`README.md has no python block marked <!-- python-example: ${name} -->`);
  return match[1];
}

/** Runs a Python script in the test venv; its stdout, or an error with its stderr. */
function runPython(script: string, env: NodeJS.ProcessEnv = {}): string {
  const file = path.join(work, `script-${fs.readdirSync(work).length}.py`);
  fs.writeFileSync(file, script);
  const run = spawnSync(python, [file], {
    cwd: work,
    encoding: 'utf8',
    timeout: 300_000,
    env: { ...process.env, JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION: '1', JSII_DEPRECATED: 'quiet', ...env },
  });
  if (run.error) throw run.error;
  if (run.status !== 0) throw new Error(`python ${file} exited ${run.status}:\n${run.stderr}`);
  return run.stdout;
}

beforeAll(() => {
  // A fresh venv with the built wheel (scripts/python-package.sh fails naming what is missing).
  execFileSync('bash', [path.join(root, 'scripts', 'python-package.sh'), 'venv', venv], { cwd: root, stdio: 'pipe', timeout: 900_000 });
}, 900_000);

afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

test('the wheel installs spark_deploy with the CDK libraries at our devDependencies\' versions', () => {
  const out = runPython([
    'import json, importlib.metadata as m',
    'import spark_deploy',
    'names = ["spark-deploy", "aws-cdk-lib", "constructs", "cdk8s", "cdk8s-plus-27"]',
    'print(json.dumps({"versions": {n: m.version(n) for n in names}, "module": spark_deploy.__name__,',
    '                  "classes": sorted(n for n in dir(spark_deploy) if n[0].isupper())}))',
  ].join('\n'));
  const { versions, module, classes } = JSON.parse(out);
  expect(module).toBe('spark_deploy');
  expect(versions).toEqual({
    'spark-deploy': JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')).version,
    'aws-cdk-lib': devDependencies['aws-cdk-lib'],
    'constructs': devDependencies.constructs,
    'cdk8s': devDependencies.cdk8s,
    'cdk8s-plus-27': devDependencies['cdk8s-plus-27'],
  });
  for (const cls of ['EmrServerlessApplication', 'EmrServerlessSparkJob', 'SparkJobExecutionRole', 'VersionedJobArtifact', 'SparkConfiguration', 'JobCode']) {
    expect(classes).toContain(cls);
  }
});

test('README: the tuned configuration from Python equals the TypeScript one', () => {
  const out = runPython(readmeExample('tune') + [
    '',
    'import json',
    'print(json.dumps({"memory": config.get("spark.executor.memory"), "reason": config.reasons()["spark.executor.memory"],',
    '                  "submit": config.to_spark_submit_parameters()}))',
  ].join('\n'));
  const fromPython = JSON.parse(out);
  const ts = SparkConfiguration.tune({
    target: DeploymentTarget.EMR_SERVERLESS, release: 'emr-7.12.0', executor: { cpu: 4, memoryGb: 16 }, inputSizeGb: 200,
  });
  expect(fromPython).toEqual({
    memory: ts.get('spark.executor.memory'),
    reason: ts.reasons()['spark.executor.memory'],
    submit: ts.toSparkSubmitParameters(),
  });
  // The value the README's comment promises.
  expect(fromPython.memory).toBe('14848m');
});

test('the static faces of TypeScript\'s free functions (PythonTargets, JobArtifacts) answer from Python as in TypeScript', () => {
  const wheel = 'numpy-2.0.2-cp39-cp39-manylinux_2_17_x86_64.whl';
  const out = runPython([
    'import json',
    'from spark_deploy import JobArtifacts, JobCode, JobCodeDependencyArchive, PythonArchitecture, PythonTargets, RuntimePython',
    'target = PythonTargets.for_emr(release_label="emr-7.12.0", architecture="ARM64")',
    'archive = JobCodeDependencyArchive(path="dependencies/deps.zip", target=target, top_level=["numpy"])',
    'code = JobCode.from_bucket(bucket_name="my-artifacts", prefix="jobs/1", entry_points={"features": "entrypoints/features.py"},',
    '                           dependency_archives=[archive], required_imports=["numpy"])',
    'chosen = JobArtifacts.runtime_dependencies(code, RuntimePython(target=target, description="the application"))',
    '# jsii lifts a trailing struct parameter into keyword arguments in Python.',
    't = dict(python_version=target.python_version, architecture=target.architecture, glibc=target.glibc)',
    'print(json.dumps({"describe": PythonTargets.describe(**t), "cp": PythonTargets.cpython_tag(**t),',
    '                  "platforms": PythonTargets.platform_tags(**t), "arch": PythonTargets.architecture_of("X86_64") == PythonArchitecture.X86_64,',
    `                  "wheel": PythonTargets.wheel_incompatibility("${wheel}", **t), "archive": chosen.path}))`,
  ].join('\n'));
  const target = pythonTargetForEmr({ releaseLabel: 'emr-7.12.0', architecture: 'ARM64' });
  expect(JSON.parse(out)).toEqual({
    describe: 'CPython 3.9 on aarch64 (glibc 2.34)',
    cp: 'cp39',
    platforms: compatiblePlatformTags(target),
    arch: true,
    wheel: wheelIncompatibility(wheel, target),
    archive: 'dependencies/deps.zip',
  });
});

describe('README: the Python CDK app (application, execution role, versioned artifact, scheduled job)', () => {
  const outdir = path.join(work, 'cdk.out');
  let template: any;
  const resources = (type: string) => Object.entries(template.Resources as { [id: string]: any })
    .filter(([, r]) => r.Type === type).map(([id, r]) => ({ id, ...r }));

  beforeAll(() => {
    // The dependency archive (numpy/pandas/pyarrow for CPython 3.9 aarch64) is built offline from the wheels
    // scripts/fetch-dependency-wheels.sh pins, as in test/examples; pip reads these from the environment.
    const wheels = path.join(root, '.tools', 'wheels', 'cp39-aarch64');
    if (!fs.existsSync(wheels)) throw new Error(`${wheels} is missing: run \`bash scripts/fetch-dependency-wheels.sh\``);
    runPython(readmeExample('app'), { CDK_OUTDIR: outdir, PIP_FIND_LINKS: wheels, PIP_NO_INDEX: '1' });
    template = JSON.parse(fs.readFileSync(path.join(outdir, 'SparkFeatures.template.json'), 'utf8'));
  }, 300_000);

  test('the application has the release label and worker shape the app asked for', () => {
    const [app] = resources('AWS::EMRServerless::Application');
    expect(resources('AWS::EMRServerless::Application')).toHaveLength(1);
    expect(app.Properties).toMatchObject({ Type: 'Spark', ReleaseLabel: 'emr-7.12.0', Architecture: 'ARM64' });
    const defaults = app.Properties.RuntimeConfiguration.find((c: any) => c.Classification === 'spark-defaults').Properties;
    expect(defaults).toMatchObject({ 'spark.executor.cores': '4', 'spark.executor.memory': '14848m', 'spark.dynamicAllocation.maxExecutors': '20' });
    // 20 executors of 4 vCPU + the driver's 4 vCPU fit the maximum capacity.
    expect(Number.parseInt(app.Properties.MaximumCapacity.Cpu, 10)).toBeGreaterThanOrEqual(84);
    const logs = app.Properties.MonitoringConfiguration.S3MonitoringConfiguration.LogUri;
    expect(JSON.stringify(logs)).toContain('/emr-serverless-logs/');
  });

  test('the job reads its entry point under the uploaded artifact\'s versioned prefix, which its role may read', () => {
    const version = /^version\s*=\s*"([^"]+)"/m.exec(fs.readFileSync(path.join(root, 'jobs', 'pyproject.toml'), 'utf8'))![1];
    const uploads = resources('Custom::CDKBucketDeployment');
    expect(uploads).toHaveLength(1);
    const platform = resources('AWS::S3::Bucket').find(b => b.id.startsWith('Platform'))!;
    expect(uploads[0].Properties.DestinationBucketName).toEqual({ Ref: platform.id });
    const keyPrefix: string = uploads[0].Properties.DestinationBucketKeyPrefix;
    expect(keyPrefix).toMatch(new RegExp(`^artifacts/spark_jobs/${version.replace(/\./g, '\\.')}/[0-9a-f]{16}/$`));
    // The run contract in the stack output: the entry point in the bucket the upload wrote to, under its prefix.
    const jobs = JSON.stringify(template.Outputs.SparkDeployJobs.Value);
    expect(jobs).toContain(JSON.stringify({ 'Fn::GetAtt': [uploads[0].id, 'DestinationBucketArn'] }));
    expect(jobs).toContain(`/${keyPrefix}entrypoints/features.py`);
    expect(jobs).toContain(`/${keyPrefix}dependencies/cp39-manylinux_2_34_aarch64-`);
    for (const arg of ['--input', '--output', '--spec']) expect(jobs).toContain(`\\"${arg}\\"`);
    expect(jobs).toContain('/specs/features.json');
    const role = resources('AWS::IAM::Role').find(r => r.id.startsWith('JobRole'))!;
    const policy = resources('AWS::IAM::Policy').find(p => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role.id }]))!;
    const reads = policy.Properties.PolicyDocument.Statement.filter((st: any) => JSON.stringify(st.Resource).includes(`/${keyPrefix}*`));
    expect(reads).toEqual([expect.objectContaining({ Effect: 'Allow', Action: ['s3:GetObject*', 's3:GetBucket*', 's3:List*'] })]);
  });

  test('the execution role trusts this application only, holds S3 data actions only; the schedule runs at 02:00', () => {
    const [app] = resources('AWS::EMRServerless::Application');
    const roles = resources('AWS::IAM::Role').filter(r => JSON.stringify(r.Properties.AssumeRolePolicyDocument).includes('emr-serverless.amazonaws.com'));
    expect(roles).toHaveLength(1);
    expect(roles[0].Properties.AssumeRolePolicyDocument.Statement).toEqual([{
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Principal: { Service: 'emr-serverless.amazonaws.com' },
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [app.id, 'Arn'] } } },
    }]);
    const policies = resources('AWS::IAM::Policy').filter(p => JSON.stringify(p.Properties.Roles).includes(`"${roles[0].id}"`));
    const actions: string[] = policies.flatMap(p => p.Properties.PolicyDocument.Statement.flatMap((st: any) => [st.Action].flat()));
    expect(actions).toEqual(expect.arrayContaining(['s3:GetObject*', 's3:PutObject']));
    expect(actions.filter(a => !a.startsWith('s3:'))).toEqual([]);
    const [schedule] = resources('AWS::Scheduler::Schedule');
    expect(schedule.Properties.ScheduleExpression).toBe('cron(0 2 * * ? *)');
    expect(resources('AWS::StepFunctions::StateMachine')).toHaveLength(1);
  });

  test('parliament: no finding on any IAM policy but the accepted kinds (test/support/iam-lint.ts)', () => {
    expect(unacceptedIamFindings([template])).toEqual([]);
  });

  test('cfn-lint passes on the template', () => {
    const run = spawnSync(venvBin('cfn-lint'), ['--format', 'json', path.join(outdir, 'SparkFeatures.template.json')], { encoding: 'utf8' });
    if (run.error) throw run.error;
    // W3005: CDK writes an explicit DependsOn next to a GetAtt for Lambda and Step Functions roles (as in test/examples).
    const findings = (JSON.parse(run.stdout || '[]') as Array<{ Rule: { Id: string }; Message: string }>).filter(f => f.Rule.Id !== 'W3005');
    expect(findings.map(f => `${f.Rule.Id}: ${f.Message}`)).toEqual([]);
  });
});
