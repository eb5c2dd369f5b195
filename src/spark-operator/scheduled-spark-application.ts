import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { renderSparkApplication, SparkOperatorApplicationProps } from './application-spec';
import { MAX_SCHEDULED_NAME_LENGTH, validateCronSchedule, validateTimeZone, validateWholeNumber } from './validation';
import { invalidValue } from '../config/errors';
import { SparkConfiguration } from '../config/spark-configuration';
import { ScheduledSparkApplication, ScheduledSparkApplicationSpecTemplate } from '../imports/sparkoperator.k8s.io';

/** What happens when a run is due while the previous one still runs. */
export enum ConcurrencyPolicy {
  /** Start the new run alongside. */
  ALLOW = 'Allow',
  /** Skip the new run until the previous one has ended. */
  FORBID = 'Forbid',
  /** Delete the running run (grace period 0) and start the new one. */
  REPLACE = 'Replace',
}

/** Properties for `ScheduledSparkOperatorApplication`. */
export interface ScheduledSparkOperatorApplicationProps extends SparkOperatorApplicationProps {
  /** Cron schedule, five fields (`0 3 * * *`), a descriptor (`@daily`) or `@every 6h`. */
  readonly schedule: string;
  /**
   * Time zone of the schedule (operator v2.2+).
   * @default - 'UTC', explicit rather than the controller's local zone
   */
  readonly timeZone?: string;
  /**
   * Overlapping runs. Always rendered: with no policy the operator starts one run and never another.
   * @default ConcurrencyPolicy.FORBID
   */
  readonly concurrencyPolicy?: ConcurrencyPolicy;
  /**
   * Successful runs kept.
   * @default 3
   */
  readonly successfulRunHistoryLimit?: number;
  /**
   * Failed runs kept.
   * @default 3
   */
  readonly failedRunHistoryLimit?: number;
  /**
   * Create the schedule suspended.
   * @default false
   */
  readonly suspend?: boolean;
}

/**
 * A `SparkJobDefinition` run on a schedule: a `ScheduledSparkApplication` whose template is the same
 * SparkApplication spec `SparkOperatorApplication` renders. The name may be 43 characters at most (runs are
 * named `<name>-<19-digit timestamp>`, which must fit a 63-character label), the cron schedule is checked as
 * the operator parses it, and the concurrency policy is always set.
 */
export class ScheduledSparkOperatorApplication extends Construct {
  /** The schedule's name. */
  public readonly name: string;
  /** Its namespace. */
  public readonly namespace: string;
  /** The tuned configuration every run uses. */
  public readonly config: SparkConfiguration;
  /** The cron schedule. */
  public readonly schedule: string;
  /** The schedule's time zone. */
  public readonly timeZone: string;
  /** The concurrency policy. */
  public readonly concurrencyPolicy: ConcurrencyPolicy;
  /** The `ScheduledSparkApplication` API object. */
  public readonly apiObject: ApiObject;

  public constructor(scope: Construct, id: string, props: ScheduledSparkOperatorApplicationProps) {
    super(scope, id);
    this.schedule = validateCronSchedule('schedule', props.schedule);
    this.timeZone = validateTimeZone('timeZone', props.timeZone ?? 'UTC');
    this.concurrencyPolicy = props.concurrencyPolicy ?? ConcurrencyPolicy.FORBID;
    if (!Object.values(ConcurrencyPolicy).includes(this.concurrencyPolicy)) {
      throw invalidValue('concurrencyPolicy', this.concurrencyPolicy, `expected one of ${Object.values(ConcurrencyPolicy).join(', ')}`);
    }
    const successful = validateWholeNumber('successfulRunHistoryLimit', props.successfulRunHistoryLimit ?? 3, 1, 100);
    const failed = validateWholeNumber('failedRunHistoryLimit', props.failedRunHistoryLimit ?? 3, 1, 100);
    const rendered = renderSparkApplication(props, MAX_SCHEDULED_NAME_LENGTH);
    this.name = rendered.name;
    this.namespace = rendered.namespace;
    this.config = rendered.config;
    this.apiObject = new ScheduledSparkApplication(this, 'Resource', {
      metadata: { name: rendered.name, namespace: rendered.namespace, labels: rendered.labels, annotations: rendered.annotations },
      spec: {
        schedule: this.schedule,
        timeZone: this.timeZone,
        concurrencyPolicy: this.concurrencyPolicy,
        successfulRunHistoryLimit: successful,
        failedRunHistoryLimit: failed,
        suspend: props.suspend ?? false,
        // The CRD's template is a SparkApplicationSpec; cdk8s import generates a separate, identical type tree
        // for it, so the rendered spec is reused as is (the tests validate it against the CRD schema).
        template: rendered.spec as unknown as ScheduledSparkApplicationSpecTemplate,
      },
    });
    this.apiObject.addDependency(props.rbac);
  }
}
