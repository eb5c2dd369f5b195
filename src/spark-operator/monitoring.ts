import { validateWholeNumber } from './validation';
import { invalidValue } from '../config/errors';

/** Properties for `SparkOperatorMonitoring.jmxExporter`. */
export interface JmxExporterMonitoringProps {
  /** Absolute path of the Prometheus JMX exporter Java agent jar inside the image. */
  readonly jmxExporterJar: string;
  /** Absolute path of the exporter's configuration file inside the image. */
  readonly configFile: string;
  /** Absolute path of Spark's `metrics.properties` inside the image. */
  readonly metricsPropertiesFile: string;
  /**
   * The exporter's port (1024 to 49151).
   * @default 8090
   */
  readonly port?: number;
}

/** How a Spark application exposes Prometheus metrics. */
export enum MonitoringKind {
  /** Spark's own PrometheusServlet on the driver UI port: nothing to install. */
  PROMETHEUS_SERVLET = 'prometheus-servlet',
  /** The operator's `spec.monitoring` with the JMX exporter agent in the image. */
  JMX_EXPORTER = 'jmx-exporter',
  /** No metrics endpoint. */
  NONE = 'none',
}

/** The Spark UI port, where the PrometheusServlet serves. */
const SPARK_UI_PORT = 4040;
const ABSOLUTE_PATH = /^\/[^\s]*[^\s/]$/;

/**
 * Prometheus monitoring of a Spark application.
 *
 * The default, Spark's PrometheusServlet, needs no agent and no webhook. The operator's JMX mode is offered
 * only with the exporter configuration and metrics properties inside the image: otherwise the operator puts
 * them in a ConfigMap that only its mutating webhook mounts, and with pod templates (which carry our pod
 * security) the webhook is not asked to mutate the pods, so the JVM would start without its agent config.
 */
export class SparkOperatorMonitoring {
  /** Spark's PrometheusServlet: `/metrics/prometheus` (driver) and `/metrics/executors/prometheus` on port 4040. */
  public static prometheusServlet(): SparkOperatorMonitoring {
    return new SparkOperatorMonitoring(MonitoringKind.PROMETHEUS_SERVLET, SPARK_UI_PORT);
  }

  /** The operator's JMX exporter mode, with every file inside the image. */
  public static jmxExporter(props: JmxExporterMonitoringProps): SparkOperatorMonitoring {
    for (const field of ['jmxExporterJar', 'configFile', 'metricsPropertiesFile'] as const) {
      const path = props[field];
      if (typeof path !== 'string' || !ABSOLUTE_PATH.test(path)) {
        throw invalidValue(`monitoring.${field}`, path, 'expected an absolute path inside the image, e.g. /opt/spark/jars/jmx_prometheus_javaagent.jar');
      }
    }
    const port = validateWholeNumber('monitoring.port', props.port ?? 8090, 1024, 49151);
    return new SparkOperatorMonitoring(MonitoringKind.JMX_EXPORTER, port, props);
  }

  /** No metrics endpoint. */
  public static none(): SparkOperatorMonitoring {
    return new SparkOperatorMonitoring(MonitoringKind.NONE, 0);
  }

  /** The mode. */
  public readonly kind: MonitoringKind;
  /** The port Prometheus scrapes (0 without monitoring). */
  public readonly port: number;
  private readonly jmx?: JmxExporterMonitoringProps;

  private constructor(kind: MonitoringKind, port: number, jmx?: JmxExporterMonitoringProps) {
    this.kind = kind;
    this.port = port;
    this.jmx = jmx;
  }

  /** Spark properties this mode needs (a copy). */
  public sparkConf(): { [key: string]: string } {
    if (this.kind !== MonitoringKind.PROMETHEUS_SERVLET) return {};
    return {
      'spark.ui.prometheus.enabled': 'true',
      'spark.metrics.conf.*.sink.prometheusServlet.class': 'org.apache.spark.metrics.sink.PrometheusServlet',
      'spark.metrics.conf.*.sink.prometheusServlet.path': '/metrics/prometheus',
      'spark.metrics.appStatusSource.enabled': 'true',
    };
  }

  /** Scrape annotations of the driver pod (the JMX mode's are added by the operator). */
  public driverAnnotations(): { [key: string]: string } {
    if (this.kind !== MonitoringKind.PROMETHEUS_SERVLET) return {};
    return { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(this.port), 'prometheus.io/path': '/metrics/prometheus' };
  }

  /** `spec.monitoring`, for the JMX mode. @internal */
  public _spec(): any {
    if (this.kind !== MonitoringKind.JMX_EXPORTER || !this.jmx) return undefined;
    return {
      exposeDriverMetrics: true,
      exposeExecutorMetrics: true,
      metricsPropertiesFile: this.jmx.metricsPropertiesFile,
      prometheus: { jmxExporterJar: this.jmx.jmxExporterJar, configFile: this.jmx.configFile, port: this.port },
    };
  }
}
