import { validateAnnotations } from './validation';
import { invalidValue } from '../config/errors';
import { isUnresolved } from '../config/unresolved';

/** How the Spark pods get their AWS identity (and so their S3A credentials). */
export enum WorkloadIdentityKind {
  /** IAM Roles for Service Accounts: the service accounts carry `eks.amazonaws.com/role-arn`. */
  IRSA = 'irsa',
  /** EKS Pod Identity: an association of the role with each service account, made on the AWS side. */
  POD_IDENTITY = 'pod-identity',
  /** Annotations given by the caller (another identity webhook). */
  CUSTOM = 'custom',
  /** No workload identity: S3A falls back to the node's instance role. */
  NODE_ROLE = 'node-role',
}

/** A service account that EKS Pod Identity must associate with a role. */
export interface PodIdentityAssociationSpec {
  /** The namespace of the service account. */
  readonly namespace: string;
  /** The service account's name. */
  readonly serviceAccount: string;
  /** The IAM role to associate. */
  readonly roleArn: string;
}

const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\/-]{1,512}$/;
/** The annotation the EKS Pod Identity Webhook reads for IRSA. */
export const IRSA_ROLE_ANNOTATION = 'eks.amazonaws.com/role-arn';

/**
 * The AWS identity of a job's driver and executors. The S3A configuration the model renders reads credentials
 * only from this identity (IRSA web identity, EKS Pod Identity, then the node role), never from keys in
 * configuration; both service accounts get the same identity, since executors read and write S3 too.
 */
export class WorkloadIdentity {
  /** IRSA: both service accounts are annotated with the role; the role's trust policy must name them. */
  public static irsa(roleArn: string): WorkloadIdentity {
    checkRoleArn(roleArn);
    return new WorkloadIdentity(WorkloadIdentityKind.IRSA, { [IRSA_ROLE_ANNOTATION]: roleArn }, roleArn);
  }

  /**
   * EKS Pod Identity: no annotation; associate the role with the service accounts listed by
   * `SparkOperatorRbac.podIdentityAssociations()` (e.g. with `aws-eks.CfnPodIdentityAssociation`).
   */
  public static podIdentity(roleArn: string): WorkloadIdentity {
    checkRoleArn(roleArn);
    return new WorkloadIdentity(WorkloadIdentityKind.POD_IDENTITY, {}, roleArn);
  }

  /** Annotations of another identity mechanism, put on both service accounts as given. */
  public static fromAnnotations(annotations: { [key: string]: string }): WorkloadIdentity {
    validateAnnotations('identity annotations', annotations);
    return new WorkloadIdentity(WorkloadIdentityKind.CUSTOM, { ...annotations }, undefined);
  }

  /** No workload identity: the pods use the node's instance role (not recommended beyond tests). */
  public static nodeRole(): WorkloadIdentity {
    return new WorkloadIdentity(WorkloadIdentityKind.NODE_ROLE, {}, undefined);
  }

  /** The mechanism. */
  public readonly kind: WorkloadIdentityKind;
  /** The IAM role, for IRSA and Pod Identity. */
  public readonly roleArn?: string;
  private readonly annotations: { [key: string]: string };

  private constructor(kind: WorkloadIdentityKind, annotations: { [key: string]: string }, roleArn: string | undefined) {
    this.kind = kind;
    this.annotations = annotations;
    this.roleArn = roleArn;
  }

  /** The annotations each service account carries (a copy). */
  public serviceAccountAnnotations(): { [key: string]: string } {
    return { ...this.annotations };
  }
}

function checkRoleArn(roleArn: string): void {
  if (!isUnresolved(roleArn) && (typeof roleArn !== 'string' || !ROLE_ARN.test(roleArn))) {
    throw invalidValue('roleArn', roleArn, 'expected an IAM role ARN such as arn:aws:iam::123456789012:role/spark-jobs');
  }
}
