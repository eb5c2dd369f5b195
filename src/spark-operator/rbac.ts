import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { PodIdentityAssociationSpec, WorkloadIdentity, WorkloadIdentityKind } from './identity';
import { validateDns1123Label, validateLabels } from './validation';
import { invalidValue } from '../config/errors';

/** Pod Security Standards levels for a namespace created by `SparkOperatorRbac`. */
export enum PodSecurityLevel {
  /** `restricted`: the hardened profile; the pods our constructs render satisfy it. */
  RESTRICTED = 'restricted',
  /** `baseline`: minimal restrictions. */
  BASELINE = 'baseline',
  /** `privileged`: no restrictions (not recommended). */
  PRIVILEGED = 'privileged',
}

/** Properties for `SparkOperatorRbac`. */
export interface SparkOperatorRbacProps {
  /**
   * The namespace the Spark applications run in. It must be one of the operator's `spark.jobNamespaces`
   * (Helm value) or match `spark.jobNamespaceSelector`, otherwise the operator ignores the applications.
   */
  readonly namespace: string;
  /**
   * Create the namespace (labelled for Pod Security Admission).
   * @default - false: the namespace exists already
   */
  readonly createNamespace?: boolean;
  /**
   * The Pod Security Standard enforced on a namespace this construct creates.
   * @default PodSecurityLevel.RESTRICTED
   */
  readonly podSecurity?: PodSecurityLevel;
  /**
   * Labels of a namespace this construct creates.
   * @default - the Pod Security labels only
   */
  readonly namespaceLabels?: { [key: string]: string };
  /**
   * Name of the driver's service account (and of its Role and RoleBinding).
   * @default 'spark-driver'
   */
  readonly driverServiceAccountName?: string;
  /**
   * Name of the executors' service account (no RBAC, no API token).
   * @default 'spark-executor'
   */
  readonly executorServiceAccountName?: string;
  /**
   * The AWS identity of both service accounts.
   * @default - WorkloadIdentity.nodeRole(), the node's instance role
   */
  readonly identity?: WorkloadIdentity;
}

/**
 * Verbs the Spark driver needs on its executors' pods, services, config maps and on-demand volume claims
 * (the operator chart's spark Role; Spark's running-on-kubernetes RBAC section).
 */
export const DRIVER_VERBS: readonly string[] = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];

/**
 * The identity and least-privilege RBAC of Spark applications in one namespace: a driver service account
 * bound to a namespaced Role on pods, services, config maps and persistent volume claims (no wildcard,
 * no secrets), and a separate executor service account without RBAC and without an API token. Both carry
 * the workload identity, so the executors never fall back to the node role for S3.
 */
export class SparkOperatorRbac extends Construct {
  /** The namespace. */
  public readonly namespace: string;
  /** The created namespace, when `createNamespace` is set. */
  public readonly namespaceResource?: kplus.Namespace;
  /** The driver's service account. */
  public readonly driverServiceAccount: kplus.ServiceAccount;
  /** The executors' service account. */
  public readonly executorServiceAccount: kplus.ServiceAccount;
  /** The driver's Role. */
  public readonly driverRole: kplus.Role;
  /** Binds the driver's Role to its service account. */
  public readonly driverRoleBinding: kplus.RoleBinding;
  /** The AWS identity of both service accounts. */
  public readonly identity: WorkloadIdentity;
  /** The Pod Security Standard of a created namespace. */
  public readonly podSecurity: PodSecurityLevel;

  public constructor(scope: Construct, id: string, props: SparkOperatorRbacProps) {
    super(scope, id);
    this.namespace = validateDns1123Label('namespace', props.namespace);
    const driverName = validateDns1123Label('driverServiceAccountName', props.driverServiceAccountName ?? 'spark-driver');
    const executorName = validateDns1123Label('executorServiceAccountName', props.executorServiceAccountName ?? 'spark-executor');
    if (driverName === executorName) {
      throw invalidValue('executorServiceAccountName', executorName, 'the executors need their own service account, without the driver\'s RBAC');
    }
    this.podSecurity = props.podSecurity ?? PodSecurityLevel.RESTRICTED;
    if (!Object.values(PodSecurityLevel).includes(this.podSecurity)) {
      throw invalidValue('podSecurity', this.podSecurity, `expected one of ${Object.values(PodSecurityLevel).join(', ')}`);
    }
    if (props.namespaceLabels !== undefined && !props.createNamespace) {
      throw invalidValue('namespaceLabels', props.namespaceLabels, 'namespace labels apply only with createNamespace: true');
    }
    validateLabels('namespaceLabels', props.namespaceLabels);
    this.identity = props.identity ?? WorkloadIdentity.nodeRole();
    if (!(this.identity instanceof WorkloadIdentity)) {
      throw invalidValue('identity', this.identity, 'expected a WorkloadIdentity (irsa, podIdentity, fromAnnotations or nodeRole)');
    }

    if (props.createNamespace) {
      this.namespaceResource = new kplus.Namespace(this, 'Namespace', {
        metadata: {
          name: this.namespace,
          labels: {
            ...(props.namespaceLabels ?? {}),
            'pod-security.kubernetes.io/enforce': this.podSecurity,
            'pod-security.kubernetes.io/warn': this.podSecurity,
            'pod-security.kubernetes.io/audit': this.podSecurity,
          },
        },
      });
    }

    const annotations = this.identity.serviceAccountAnnotations();
    this.driverServiceAccount = new kplus.ServiceAccount(this, 'DriverServiceAccount', {
      metadata: { name: driverName, namespace: this.namespace, annotations },
      // The driver creates and watches its executor pods through the API server.
      automountToken: true,
    });
    this.executorServiceAccount = new kplus.ServiceAccount(this, 'ExecutorServiceAccount', {
      metadata: { name: executorName, namespace: this.namespace, annotations },
      // Executors never call the API server; IRSA and Pod Identity use their own projected tokens.
      automountToken: false,
    });
    this.driverRole = new kplus.Role(this, 'DriverRole', {
      metadata: { name: driverName, namespace: this.namespace },
      rules: [{
        verbs: [...DRIVER_VERBS],
        resources: [kplus.ApiResource.PODS, kplus.ApiResource.SERVICES, kplus.ApiResource.CONFIG_MAPS, kplus.ApiResource.PERSISTENT_VOLUME_CLAIMS],
      }],
    });
    this.driverRoleBinding = new kplus.RoleBinding(this, 'DriverRoleBinding', {
      metadata: { name: driverName, namespace: this.namespace },
      role: this.driverRole,
    });
    this.driverRoleBinding.addSubjects(this.driverServiceAccount);
    for (const child of [this.driverServiceAccount, this.executorServiceAccount, this.driverRole, this.driverRoleBinding]) {
      if (this.namespaceResource) child.node.addDependency(this.namespaceResource);
    }
  }

  /** The driver's service account name. */
  public get driverServiceAccountName(): string {
    return this.driverServiceAccount.name;
  }

  /** The executors' service account name. */
  public get executorServiceAccountName(): string {
    return this.executorServiceAccount.name;
  }

  /** The associations EKS Pod Identity needs (empty unless the identity is `WorkloadIdentity.podIdentity`). */
  public podIdentityAssociations(): PodIdentityAssociationSpec[] {
    if (this.identity.kind !== WorkloadIdentityKind.POD_IDENTITY) return [];
    return [this.driverServiceAccountName, this.executorServiceAccountName].map(serviceAccount => ({
      namespace: this.namespace, serviceAccount, roleArn: this.identity.roleArn!,
    }));
  }
}
