import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Aspects } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { bucket, newStack } from './fixtures';
import { VersionedJobArtifact } from '../../src/artifacts/versioned-job-artifact';
import { GLUE_CATALOG_ACTIONS, IcebergCatalogKind, TableFormat, TableFormatOptions } from '../../src/config/table-formats';
import { EmrServerlessApplication } from '../../src/emr-serverless/application';
import { SparkJobExecutionRole } from '../../src/emr-serverless/execution-role';
import { EmrServerlessSparkJob } from '../../src/emr-serverless/spark-job';
import { SparkJobDefinition } from '../../src/job/spark-job-definition';
import { venvBin } from '../artifacts/python';
import { unacceptedIamFindings } from '../support/iam-lint';

// An Iceberg job that asks for the Glue catalog: its runtime role gets the catalog actions the format needs
// on this account's and region's catalog, the named databases and their tables, and nothing wider.

const GLUE_ICEBERG: TableFormatOptions = {
  format: TableFormat.ICEBERG,
  icebergCatalog: IcebergCatalogKind.GLUE,
  warehouse: 's3://lake-bucket/warehouse',
  databases: ['lake', 'lake_staging'],
};

function stackWithJob(tableFormat: TableFormatOptions | undefined, name = 'orders-merge') {
  const { app, stack } = newStack();
  const artifact = VersionedJobArtifact.fromBucket(stack, 'Code', {
    bucket: bucket(stack, 'code-bucket'), keyPrefix: 'artifacts/spark_jobs/0.1.0/0123456789abcdef', entryPoints: { table: 'entrypoints/table.py' },
  });
  const application = new EmrServerlessApplication(stack, 'App', { releaseLabel: 'emr-7.12.0' });
  const role = new SparkJobExecutionRole(stack, 'Runtime', { application });
  role.grantReadWriteData(bucket(stack, 'lake-bucket'), 'warehouse');
  const job = new EmrServerlessSparkJob(stack, 'Merge', {
    definition: new SparkJobDefinition({
      name,
      code: artifact.code,
      entryPoint: 'table',
      arguments: ['merge', '--target', 'glue.lake.orders', '--source', 's3://lake-bucket/incoming/orders/', '--key', 'order_id', '--format', 'iceberg'],
      workload: { tableFormat },
    }),
    application,
    executionRole: role,
  });
  return { app, stack, job };
}

function glueStatements(template: Template): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
    .filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('glue:')));
}

describe('the Glue catalog grant of an Iceberg job', () => {
  test('is the format\'s catalog actions on the account/region catalog, the named databases and their tables', () => {
    // GIVEN / WHEN
    const { stack, job } = stackWithJob(GLUE_ICEBERG);
    const template = Template.fromStack(stack);

    // THEN one statement, the listed actions only (no wildcard action), on exactly these ARNs
    const statements = glueStatements(template);
    expect(statements).toHaveLength(1);
    const [glue] = statements;
    expect([glue.Action].flat().sort()).toEqual([...GLUE_CATALOG_ACTIONS].sort());
    expect([glue.Action].flat().every((a: string) => !a.includes('*'))).toBe(true);
    const arn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:glue:eu-west-1:123456789012:${rest}`]] });
    expect(glue.Resource).toEqual([
      arn('catalog'), arn('database/lake'), arn('database/lake_staging'), arn('table/lake/*'), arn('table/lake_staging/*'),
    ]);
    // AND the job renders the Glue catalog for Spark (EMR's bundled Iceberg, no download)
    expect(job.configuration.properties()).toMatchObject({
      'spark.sql.catalog.glue.catalog-impl': 'org.apache.iceberg.aws.glue.GlueCatalog',
      'spark.sql.catalog.glue.warehouse': 's3://lake-bucket/warehouse',
      'spark.jars': '/usr/share/aws/iceberg/lib/iceberg-spark3-runtime.jar',
    });
    expect(job.configuration.get('spark.jars.packages')).toBeUndefined();
  });

  test('is not given to a Delta job, a path-catalog Iceberg job or a job without a table format', () => {
    for (const format of [{ format: TableFormat.DELTA }, { format: TableFormat.ICEBERG }, undefined]) {
      const { stack } = stackWithJob(format);
      expect({ format, glue: glueStatements(Template.fromStack(stack)) }).toEqual({ format, glue: [] });
    }
  });

  test('fails at synth when the job names no database, or a bad one, naming the field', () => {
    expect(() => stackWithJob({ ...GLUE_ICEBERG, databases: undefined }))
      .toThrow(/definition\.workload\.tableFormat\.databases.*must name its Glue databases/);
    expect(() => stackWithJob({ ...GLUE_ICEBERG, databases: ['Lake-1'] })).toThrow(/tableFormat\.databases: 'Lake-1'.*lowercase letters, digits and underscores/);
    expect(() => stackWithJob({ ...GLUE_ICEBERG, databases: [] })).toThrow(/tableFormat\.databases.*at least one/);
    expect(() => stackWithJob({ format: TableFormat.ICEBERG, databases: ['lake'] })).toThrow(/tableFormat\.databases.*Glue catalog only/);
    expect(() => stackWithJob({ format: TableFormat.DELTA, databases: ['lake'] })).toThrow(/tableFormat\.databases.*Iceberg tables only/);
  });

  test('passes parliament, cfn-lint and cdk-nag (AwsSolutions) on the synthesized template', () => {
    // GIVEN
    const { app, stack } = stackWithJob(GLUE_ICEBERG);
    Aspects.of(app).add(new AwsSolutionsChecks());
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template;

    // THEN parliament (test/support/iam-lint.ts): nothing but the accepted kinds
    expect(unacceptedIamFindings([template])).toEqual([]);
    // AND cfn-lint: no finding
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'glue-iceberg-'));
    const file = path.join(dir, 'template.json');
    fs.writeFileSync(file, JSON.stringify(template));
    const run = spawnSync(venvBin('cfn-lint'), ['--format', 'json', file], { encoding: 'utf8' });
    fs.rmSync(dir, { recursive: true, force: true });
    if (run.error) throw run.error;
    const findings = JSON.parse(run.stdout || '[]') as Array<{ Rule: { Id: string }; Message: string }>;
    expect(findings.map(f => `${f.Rule.Id}: ${f.Message}`)).toEqual([]);
    // AND cdk-nag: the IAM findings of the role, none unsuppressed
    const nag = [
      ...Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-IAM.*')),
      ...Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-IAM.*')),
    ].map(f => `${f.id}: ${String(f.entry.data).split('\n')[0]}`);
    expect(nag).toEqual([]);
  });
});
