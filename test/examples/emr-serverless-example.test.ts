import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildExampleApp } from '../../examples/emr-serverless/app';
import { emrBundledTableFormats } from '../../src/config/table-formats';
import { EmrServerlessSparkJob } from '../../src/emr-serverless';
import { venvBin } from '../artifacts/python';
import { confOf, refusalOf } from '../support/emr-serverless-service-rules';
import { unacceptedIamFindings } from '../support/iam-lint';

// cfn-lint checks CDK emits itself and we cannot change, each with the reason it is accepted.
const ACCEPTED_CFN_LINT = {
  W3005: 'CDK writes an explicit DependsOn next to a GetAtt for Lambda and Step Functions roles (redundant, harmless)',
};

/**
 * The example app, synthesized once for all checks. `SPARK_DEPLOY_EXAMPLE_JOBS` may point at another
 * checkout of the jobs package (the default is this repository's jobs/src/spark_jobs).
 */
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'emr-example-'));
const context = process.env.SPARK_DEPLOY_EXAMPLE_JOBS ? { jobsSourceDir: process.env.SPARK_DEPLOY_EXAMPLE_JOBS } : {};
const exampleApp = buildExampleApp(outdir, context);
const assembly = exampleApp.synth();
const templates = assembly.stacks.map(s => path.join(outdir, s.templateFile));

describe('examples/emr-serverless', () => {
  test('synthesizes one stack with the application, the jobs, two schedules and two data buckets', () => {
    expect(assembly.stacks.map(s => s.stackName)).toEqual(['SparkFeaturesOnEmrServerless']);
    const template = assembly.stacks[0].template;
    const types = Object.values(template.Resources).map((r: any) => r.Type);
    const count = (t: string) => types.filter(x => x === t).length;
    expect(count('AWS::EMRServerless::Application')).toBe(1);
    // The nightly features run and the nightly table merge.
    expect(count('AWS::StepFunctions::StateMachine')).toBe(2);
    expect(count('AWS::Scheduler::Schedule')).toBe(2);
    // The versioned job artifact and the feature spec.
    expect(count('Custom::CDKBucketDeployment')).toBe(2);
    // Raw and curated data, the platform bucket (code + logs), and the access-log bucket.
    expect(count('AWS::S3::Bucket')).toBe(4);
    const jobs = JSON.stringify(template.Outputs.SparkDeployJobs.Value);
    for (const arg of ['--input', '--output', '--spec', '--input-format', 'parquet', '--reference']) expect(jobs).toContain(`\\"${arg}\\"`);
    expect(jobs).toContain('entrypoints/features.py');
    expect(jobs).toContain('entrypoints/validate.py');
  });

  test('every data bucket is encrypted, TLS-only, private and logs its access', () => {
    const template = assembly.stacks[0].template;
    const buckets = Object.entries(template.Resources).filter(([, r]: any) => r.Type === 'AWS::S3::Bucket');
    for (const [id, bucket] of buckets as Array<[string, any]>) {
      expect(bucket.Properties.BucketEncryption).toBeDefined();
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
      });
      if (!id.startsWith('AccessLogs')) expect(bucket.Properties.LoggingConfiguration).toBeDefined();
      const policy = Object.values(template.Resources).find((r: any) => r.Type === 'AWS::S3::BucketPolicy' && r.Properties.Bucket.Ref === id) as any;
      expect(JSON.stringify(policy.Properties.PolicyDocument)).toContain('"aws:SecureTransport":"false"');
    }
  });

  test('cdk-nag AwsSolutions: zero unsuppressed findings, every suppression with a reason', () => {
    const errors = assembly.stacks.flatMap(s => Object.values(s.manifest.metadata ?? {}).flat())
      .filter((m: any) => m.type === 'aws:cdk:error' || m.type === 'aws:cdk:warning');
    expect(errors).toEqual([]);
    const report = fs.readFileSync(path.join(outdir, 'AwsSolutions--SparkFeaturesOnEmrServerless-NagReport.csv'), 'utf8').trim().split('\n').slice(1);
    expect(report.length).toBeGreaterThan(20); // the checks did run
    expect(report.filter(line => line.includes('"Non-Compliant"'))).toEqual([]);
    for (const line of report.filter(l => l.includes('"Suppressed"'))) {
      expect(line).not.toContain('"N/A"');
    }
  });

  test('is a real CDK app: `npx cdk synth` in the folder (cdk.json, the aws-cdk CLI) synthesizes the same stack, cdk-nag included', () => {
    const cliOut = fs.mkdtempSync(path.join(os.tmpdir(), 'emr-example-cli-'));
    execFileSync('npx', ['cdk', 'synth', '--quiet', '--output', cliOut], {
      cwd: path.join(__dirname, '..', '..', 'examples', 'emr-serverless'), stdio: 'pipe', env: { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true' },
    });
    const cliTemplate = JSON.parse(fs.readFileSync(path.join(cliOut, 'SparkFeaturesOnEmrServerless.template.json'), 'utf8'));
    const template = assembly.stacks[0].template;
    // The CLI adds its version-reporting resource (CDKMetadata); everything else is the app's.
    expect(Object.keys(cliTemplate.Resources).filter(k => k !== 'CDKMetadata').sort()).toEqual(Object.keys(template.Resources).sort());
    expect(Object.keys(cliTemplate.Outputs)).toEqual(Object.keys(template.Outputs));
    expect(fs.existsSync(path.join(cliOut, 'AwsSolutions--SparkFeaturesOnEmrServerless-NagReport.csv'))).toBe(true);
    fs.rmSync(cliOut, { recursive: true, force: true });
  }, 600_000);

  test('parliament: every IAM policy of every synthesized template, no finding but the accepted kinds (test/support/iam-lint.ts)', () => {
    const findings = unacceptedIamFindings(assembly.stacks.map(st => st.template));
    expect(findings).toEqual([]);
  });

  test('cfn-lint passes on every synthesized template', () => {
    const cfnLint = venvBin('cfn-lint');
    expect(templates.length).toBeGreaterThan(0);
    for (const template of templates) {
      const run = spawnSync(cfnLint, ['--format', 'json', template], { encoding: 'utf8' });
      if (run.error) throw run.error;
      const findings = JSON.parse(run.stdout || '[]') as Array<{ Rule: { Id: string }; Message: string }>;
      const unexpected = findings.filter(f => !(f.Rule.Id in ACCEPTED_CFN_LINT));
      expect(unexpected.map(f => `${f.Rule.Id}: ${f.Message}`)).toEqual([]);
    }
  });

  test('CDK\'s own CloudFormation validation reports no violation', () => {
    const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    for (const plugin of report.pluginReports) {
      expect(plugin.violations).toEqual([]);
    }
  });

  test('every job passes EMR Serverless\'s StartJobRun checks and fits the application\'s maximumCapacity at its cap', () => {
    const jobs = exampleApp.node.findAll().filter((c): c is EmrServerlessSparkJob => c instanceof EmrServerlessSparkJob);
    expect(jobs.map(j => j.definition.name).sort()).toEqual(['customer-latest', 'features', 'training-data', 'validate']);
    for (const job of jobs) {
      const conf = confOf(job.sparkSubmitParameters);
      // The test's own reading of the service's checks (emr-7.12.0).
      expect(refusalOf(conf, [7, 12])).toBeUndefined();
      const cap = job.application.maximumCapacity!;
      const max = Number(conf['spark.dynamicAllocation.maxExecutors']);
      const executor = job.configuration.props.executor;
      const driver = { cpu: job.configuration.driver.cpu, memoryGb: job.configuration.driver.containerMiB / 1024 };
      expect(driver.cpu + max * executor.cpu).toBeLessThanOrEqual(cap.cpu);
      expect(driver.memoryGb + max * executor.memoryGb).toBeLessThanOrEqual(cap.memoryGb);
      if (cap.diskGb !== undefined) expect(20 + max * (executor.diskGb ?? 20)).toBeLessThanOrEqual(cap.diskGb);
    }
    // The features job (50 GB, 4 vCPU executors) would want 25 executors; the 84 vCPU application holds 20.
    const features = jobs.find(j => j.definition.name === 'features')!;
    expect(features.application.maximumCapacity?.cpu).toBe(84);
    expect(confOf(features.sparkSubmitParameters)['spark.dynamicAllocation.maxExecutors']).toBe('20');
    expect(features.configuration.reasons()['spark.dynamicAllocation.maxExecutors']).toMatch(/^25 by the input, lowered to the 20 that fit: the application's maximumCapacity \(84 vCPU/);
  });

  test('the table-maintenance job: a nightly Delta merge with the release\'s bundled Delta, its role writing only the table\'s prefix', () => {
    const jobs = exampleApp.node.findAll().filter((c): c is EmrServerlessSparkJob => c instanceof EmrServerlessSparkJob);
    const merge = jobs.find(j => j.definition.name === 'customer-latest')!;
    expect(merge.entryPointUri).toMatch(/\/entrypoints\/table\.py$/);
    expect(merge.definition.arguments.slice(0, 1)).toEqual(['merge']);
    const conf = confOf(merge.sparkSubmitParameters);
    // emr-7.12.0 ships Delta 3.3.2-amzn-1 (EMR release guide, Delta release history): its jars, no download.
    expect(emrBundledTableFormats('emr-7.12.0')?.delta).toBe('3.3.2-amzn-1');
    expect(conf['spark.jars']).toBe('/usr/share/aws/delta/lib/delta-spark.jar,/usr/share/aws/delta/lib/delta-storage.jar');
    expect(conf['spark.jars.packages']).toBeUndefined();
    expect(conf['spark.sql.extensions']).toBe('io.delta.sql.DeltaSparkSessionExtension');
    expect(merge.schedule).toBeDefined();
    const template = assembly.stacks[0].template;
    const schedules = Object.values(template.Resources).filter((r: any) => r.Type === 'AWS::Scheduler::Schedule') as any[];
    expect(schedules.map(r => r.Properties.ScheduleExpression).sort()).toEqual(['cron(0 2 * * ? *)', 'cron(0 3 * * ? *)']);
    // The runtime role may write the table's prefix of the curated bucket, and no wider prefix of it for tables.
    const resources = JSON.stringify(Object.values(template.Resources).filter((r: any) => r.Type === 'AWS::IAM::Policy'));
    expect(resources).toContain('/tables/customer-latest/*');
    expect(resources).not.toMatch(/\/tables\/\*"/);
    // No Glue catalog, so no Glue actions beyond what the role had.
    expect(resources).not.toContain('glue:CreateTable');
  });

  test('no Docker is involved: every asset is a file or directory', () => {
    const assets = JSON.parse(fs.readFileSync(path.join(outdir, 'SparkFeaturesOnEmrServerless.assets.json'), 'utf8'));
    expect(Object.keys(assets.dockerImages ?? {})).toEqual([]);
    expect(Object.keys(assets.files).length).toBeGreaterThan(0);
  });

  test('the uploaded artifact: Python reads the zip without CRC errors and the manifest hashes match the files', () => {
    const assets = JSON.parse(fs.readFileSync(path.join(outdir, 'SparkFeaturesOnEmrServerless.assets.json'), 'utf8'));
    const dirs = Object.values(assets.files).map((f: any) => path.join(outdir, f.source.path))
      .filter(p => fs.existsSync(path.join(p, 'manifest.json')));
    expect(dirs).toHaveLength(1);
    const manifest = JSON.parse(fs.readFileSync(path.join(dirs[0], 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.entryPoints).sort()).toEqual(expect.arrayContaining(['features', 'training_data', 'validate']));
    const check = execFileSync(venvBin('python'), ['-c', `
import hashlib, json, sys, zipfile
root, manifest = sys.argv[1], json.load(open(sys.argv[2]))
ok = all(hashlib.sha256(open(f"{root}/{f['path']}", "rb").read()).hexdigest() == f["sha256"] for f in manifest["files"])
with zipfile.ZipFile(f"{root}/spark_jobs.zip") as z:
    print(json.dumps({"ok": ok, "bad": z.testzip(), "init": "spark_jobs/__init__.py" in z.namelist()}))
`, dirs[0], path.join(dirs[0], 'manifest.json')], { encoding: 'utf8' });
    expect(JSON.parse(check)).toEqual({ ok: true, bad: null, init: true });
  });
});
