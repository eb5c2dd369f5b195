import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildExampleApp } from '../../examples/emr-serverless/app';
import { exampleJobDependencies } from '../../examples/example-dependencies';
import { localBucketName, localizeJob } from '../../scripts/demo/local-rewrite';
import { emrJobsFromTemplate, parseSparkSubmitParameters, resolveIntrinsics, splitShellWords } from '../../scripts/demo/rendered-jobs';
import { buildJobArtifact } from '../../src/artifacts/job-artifact-builder';

// The readers the contract tests use, checked against a real synthesis of the EMR example.

describe('reading rendered jobs', () => {
  test('splits shell words as a POSIX shell does', () => {
    expect(splitShellWords('--conf a=b --conf \'c=d e\' --conf "f=\\"g\\"" h\\ i \'\' x\'y\'z'))
      .toEqual(['--conf', 'a=b', '--conf', 'c=d e', '--conf', 'f="g"', 'h i', '', 'xyz']);
  });

  test('parses --py-files and --conf pairs, values with = kept whole', () => {
    expect(parseSparkSubmitParameters('--py-files \'s3://b/p/x.zip,s3://b/p/y.zip\' --conf spark.a=1 --conf \'spark.b=k=v w\'')).toEqual({
      pyFiles: ['s3://b/p/x.zip', 's3://b/p/y.zip'],
      conf: { 'spark.a': '1', 'spark.b': 'k=v w' },
    });
  });

  test('fails for words it does not know', () => {
    expect(() => parseSparkSubmitParameters('--jars x.jar')).toThrow(/unexpected word in sparkSubmitParameters: --jars/);
  });

  test('resolves Join, Ref and GetAtt into placeholders', () => {
    expect(resolveIntrinsics({ 'Fn::Join': ['', ['s3://', { Ref: 'RawB1' }, '/x/', { 'Fn::GetAtt': ['App', 'ApplicationId'] }]] }))
      .toBe('s3://{{Ref.RawB1}}/x/{{GetAtt.App.ApplicationId}}');
  });

  test('a bucket name cut out of an ARN with Select and Split comes back as the placeholder', () => {
    // What CDK renders for a bucket name taken from a custom resource's DestinationBucketArn
    const arnToName = {
      'Fn::Select': [0, { 'Fn::Split': ['/', { 'Fn::Select': [5, { 'Fn::Split': [':', { 'Fn::GetAtt': ['Upload1', 'DestinationBucketArn'] }] }] }] }],
    };
    expect(resolveIntrinsics({ 'Fn::Join': ['', ['s3://', arnToName, '/specs/x.json']] })).toBe('s3://{{GetAtt.Upload1.DestinationBucketArn}}/specs/x.json');
  });

  test('fails for an intrinsic it does not know', () => {
    expect(() => resolveIntrinsics({ 'Fn::ImportValue': 'x' })).toThrow(/Fn::ImportValue is not supported/);
  });

  describe('the synthesized EMR Serverless example', () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'contract-read-'));
    afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

    test('every job maps onto the locally built artifact and local buckets', () => {
      // GIVEN the example synthesized and the artifact built from the same package
      const outdir = path.join(work, 'cdk.out');
      const assembly = buildExampleApp(outdir).synth();
      const artifact = buildJobArtifact({ outDir: path.join(work, 'artifact'), dependencies: exampleJobDependencies() });
      const template = assembly.stacks[0].templateFullPath;
      // WHEN its jobs are read back and localized
      const jobs = emrJobsFromTemplate(template);
      // THEN each names an entry point and --py-files of that artifact, and only its bucket names change
      expect(jobs.map(j => j.name).sort()).toEqual(expect.arrayContaining(['features']));
      for (const job of jobs) {
        const local = localizeJob(job, artifact);
        expect(fs.existsSync(local.entryPoint)).toBe(true);
        expect(local.pyFiles.length).toBeGreaterThan(0);
        local.pyFiles.forEach(p => expect(fs.existsSync(p)).toBe(true));
        expect(local.arguments.length).toBe(job.arguments.length);
        expect(local.arguments.join(' ')).not.toMatch(/\{\{|object Object/);
        // Every data URI names a valid local bucket
        local.arguments.filter(a => a.includes('://')).forEach(a => expect(a).toMatch(/^s3:\/\/[a-z0-9][a-z0-9-]{2,62}\/[^{}]+$/));
        expect(job.properties['spark.executor.cores']).toBe('4');
        expect(job.sparkVersion).toMatch(/^emr-/);
      }
    });
  });

  test('local bucket names are valid S3 bucket names', () => {
    expect(localBucketName('RawBucket0C3EE094')).toBe('rawbucket0c3ee094');
  });
});
