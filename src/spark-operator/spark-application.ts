import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { renderSparkApplication, SparkOperatorApplicationProps } from './application-spec';
import { MAX_LABEL_LENGTH } from './validation';
import { SparkConfiguration } from '../config/spark-configuration';
import { SparkApplication } from '../imports/sparkoperator.k8s.io';

/**
 * A `SparkJobDefinition` as a Kubeflow Spark Operator `SparkApplication` (v1beta2, operator v2.x):
 * tuned for its pod shapes (request = limit, pod memory = heap + overhead exactly), dynamic allocation with
 * shuffle tracking or a fixed executor count, the job's code from S3 (via S3A) or the image, retries,
 * Prometheus metrics, and pod security and placement in pod templates that do not depend on the webhook.
 *
 * Apply the synthesized manifest with `kubectl apply --server-side`. The namespace must be one of the
 * operator's job namespaces.
 */
export class SparkOperatorApplication extends Construct {
  /** The application's name. */
  public readonly name: string;
  /** Its namespace. */
  public readonly namespace: string;
  /** The tuned configuration it renders. */
  public readonly config: SparkConfiguration;
  /** The `SparkApplication` API object. */
  public readonly apiObject: ApiObject;

  public constructor(scope: Construct, id: string, props: SparkOperatorApplicationProps) {
    super(scope, id);
    const rendered = renderSparkApplication(props, MAX_LABEL_LENGTH);
    this.name = rendered.name;
    this.namespace = rendered.namespace;
    this.config = rendered.config;
    this.apiObject = new SparkApplication(this, 'Resource', {
      metadata: { name: rendered.name, namespace: rendered.namespace, labels: rendered.labels, annotations: rendered.annotations },
      spec: rendered.spec,
    });
    // The service accounts and their RBAC must exist before the driver starts.
    this.apiObject.addDependency(props.rbac);
  }
}
