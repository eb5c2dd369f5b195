import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { IEmrServerlessApplication } from './application-base';
import { suppressFindings } from '../artifacts/cdk-nag-metadata';
import { IJobArtifact } from '../artifacts/versioned-job-artifact';
import { invalidValue } from '../config/errors';
import { isS3KeyPrefix } from '../config/s3-paths';
import { GLUE_CATALOG_ACTIONS } from '../config/table-formats';

/** Properties for `SparkJobExecutionRole`. */
export interface SparkJobExecutionRoleProps {
  /**
   * Bring your own role: grants are added to it; its trust policy is yours to manage.
   * @default - a new role trusted by EMR Serverless, for this account and the application only
   */
  readonly role?: iam.IRole;
  /**
   * The application the role runs jobs on: the trust policy's `aws:SourceArn`, and its log locations are
   * granted for writing.
   * @default - any application of this account and region may use the role
   */
  readonly application?: IEmrServerlessApplication;
  /**
   * Job code the role reads.
   * @default - none (call `grantArtifactRead` later)
   * @deprecated every `EmrServerlessSparkJob` binds its code and grants this role reading it; leave this out
   */
  readonly artifacts?: IJobArtifact[];
  /**
   * Name of the new role.
   * @default - generated
   */
  readonly roleName?: string;
}

/** Which Glue Data Catalog operations to grant. */
export enum GlueCatalogAccess {
  /** Read databases, tables and partitions. */
  READ = 'read',
  /** Read, and create, update or delete tables and partitions. */
  READ_WRITE = 'read-write',
}

const GLUE_READ = [
  'glue:GetDatabase', 'glue:GetDatabases', 'glue:GetTable', 'glue:GetTables',
  'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition',
];
const GLUE_WRITE = [
  'glue:CreateTable', 'glue:UpdateTable', 'glue:DeleteTable',
  'glue:CreatePartition', 'glue:BatchCreatePartition', 'glue:UpdatePartition',
  'glue:DeletePartition', 'glue:BatchDeletePartition',
];
const GLUE_NAME_PATTERN = /^[a-z0-9_]{1,255}$/;

/**
 * The runtime role of EMR Serverless jobs: trusted by `emr-serverless.amazonaws.com` only for this
 * account (`aws:SourceAccount`) and for the application (`aws:SourceArn`), with read access to the job
 * code, write access to the application's log locations, and helpers for data and the Glue catalog.
 */
export class SparkJobExecutionRole extends Construct implements iam.IGrantable {
  /** The role. */
  public readonly role: iam.IRole;
  /** The role's ARN. */
  public readonly roleArn: string;
  public readonly grantPrincipal: iam.IPrincipal;
  private readonly ownsRole: boolean;

  public constructor(scope: Construct, id: string, props: SparkJobExecutionRoleProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    if (props.role && props.roleName) {
      throw invalidValue('roleName', props.roleName, 'a name applies to a new role only; do not combine it with role');
    }
    this.role = props.role ?? new iam.Role(this, 'Role', {
      roleName: props.roleName,
      description: 'EMR Serverless job runtime role (spark-deploy)',
      assumedBy: new iam.ServicePrincipal('emr-serverless.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': props.application?.applicationArn ?? stack.formatArn({
              service: 'emr-serverless', resource: '/applications', resourceName: '*', arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
            }),
          },
        },
      }),
    });
    this.roleArn = this.role.roleArn;
    this.grantPrincipal = this.role;
    this.ownsRole = props.role === undefined;
    // The application grants, as every aws-cdk-lib resource does: `resource.grantXxx(grantee)`.
    props.application?.grantLogWrite(this.role);
    for (const artifact of props.artifacts ?? []) this.grantArtifactRead(artifact);
    this.recordWildcardReasons();
  }


  /** Grants reading one version of job code. */
  public grantArtifactRead(artifact: IJobArtifact): iam.Grant {
    return this.recorded(artifact.grantRead(this.role));
  }

  /**
   * Grants reading data in a bucket, under a prefix when given (the bucket's KMS key included).
   * @param prefix key prefix without leading or trailing slashes; all objects when omitted
   */
  public grantReadData(bucket: s3.IBucket, prefix?: string): iam.Grant {
    return this.recorded(bucket.grantRead(this.role, objectsPattern('prefix', prefix)));
  }

  /**
   * Grants reading and writing data in a bucket, under a prefix when given (deletes included, as Spark's
   * committers need them).
   * @param prefix key prefix without leading or trailing slashes; all objects when omitted
   */
  public grantReadWriteData(bucket: s3.IBucket, prefix?: string): iam.Grant {
    return this.recorded(bucket.grantReadWrite(this.role, objectsPattern('prefix', prefix)));
  }

  /**
   * Grants Glue Data Catalog access for the given databases (Spark's Glue metastore client also reads the
   * `default` database, which is included).
   * @param databases database names; all databases of the account when omitted
   */
  public grantGlueCatalog(access: GlueCatalogAccess, databases?: string[]): iam.Grant {
    if (!Object.values(GlueCatalogAccess).includes(access)) {
      throw invalidValue('access', access, `expected one of ${Object.values(GlueCatalogAccess).join(', ')}`);
    }
    for (const db of databases ?? []) {
      if (!Token.isUnresolved(db) && !GLUE_NAME_PATTERN.test(db)) {
        throw invalidValue('databases', db, 'Glue database names are 1-255 lowercase letters, digits and underscores');
      }
    }
    if (databases && databases.length === 0) {
      throw invalidValue('databases', databases, 'expected at least one database, or omit it for all databases');
    }
    const stack = Stack.of(this);
    const arn = (resource: string, name?: string) => stack.formatArn({ service: 'glue', resource, resourceName: name, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const names = databases ? [...new Set(['default', ...databases])] : ['*'];
    const resourceArns = [
      arn('catalog'),
      ...names.map(db => arn('database', db)),
      ...names.map(db => arn('table', `${db}/*`)),
    ];
    return this.recorded(iam.Grant.addToPrincipal({
      grantee: this.role,
      actions: access === GlueCatalogAccess.READ ? GLUE_READ : [...GLUE_READ, ...GLUE_WRITE],
      resourceArns,
    }));
  }

  /**
   * Grants what an Iceberg job with the Glue catalog does to its tables (`GLUE_CATALOG_ACTIONS`: read the
   * database and tables, create and commit tables) on this account's and region's catalog, the given
   * databases and their tables only. `EmrServerlessSparkJob` calls it for a job whose workload asks for the
   * Glue catalog; the warehouse's S3 prefix is granted separately (`grantReadWriteData`).
   * @param databases the Glue databases of the job's tables
   */
  public grantIcebergGlueTables(databases: string[]): iam.Grant {
    if (!Array.isArray(databases) || databases.length === 0) {
      throw invalidValue('databases', databases, 'expected at least one Glue database (tableFormat.databases)');
    }
    for (const db of databases) {
      if (!Token.isUnresolved(db) && !GLUE_NAME_PATTERN.test(db)) {
        throw invalidValue('databases', db, 'Glue database names are 1-255 lowercase letters, digits and underscores');
      }
    }
    const stack = Stack.of(this);
    const arn = (resource: string, name?: string) => stack.formatArn({ service: 'glue', resource, resourceName: name, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    const names = [...new Set(databases)];
    return this.recorded(iam.Grant.addToPrincipal({
      grantee: this.role,
      actions: [...GLUE_CATALOG_ACTIONS],
      resourceArns: [arn('catalog'), ...names.map(db => arn('database', db)), ...names.map(db => arn('table', `${db}/*`))],
    }));
  }

  /**
   * Records on the role's policy why cdk-nag's wildcard finding is accepted: every wildcard it holds comes
   * from a grant scoped by this class (a role we did not create is left to its owner).
   */
  public recordWildcardReasons(): void {
    if (!this.ownsRole) return;
    suppressFindings(this.role, [{
      id: 'AwsSolutions-IAM5',
      reason: 'wildcards are the object keys under the granted S3 prefixes (<prefix>/*), CDK bucket-grant action groups '
        + '(s3:GetObject*, s3:List*, s3:DeleteObject*, s3:Abort*), tables of the granted Glue databases (table/<db>/*) and '
        + 'log streams of the job log group (:*); logs:DescribeLogGroups supports no resource-level permission (Resource *)',
    }]);
  }

  private recorded(grant: iam.Grant): iam.Grant {
    this.recordWildcardReasons();
    return grant;
  }
}

function objectsPattern(field: string, prefix: string | undefined): string {
  if (prefix === undefined) return '*';
  if (!Token.isUnresolved(prefix) && !isS3KeyPrefix(prefix, { allowEquals: true })) {
    throw invalidValue(field, prefix, 'expected an S3 key prefix without leading or trailing slashes, e.g. raw/events');
  }
  return `${prefix}/*`;
}
