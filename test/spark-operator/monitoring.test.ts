import { MonitoringKind, SparkOperatorMonitoring } from '../../src/spark-operator';

const JMX = { jmxExporterJar: '/opt/jmx/agent.jar', configFile: '/opt/jmx/config.yaml', metricsPropertiesFile: '/opt/spark/conf/metrics.properties' };

describe('SparkOperatorMonitoring', () => {
  test('the PrometheusServlet needs Spark properties and driver scrape annotations only', () => {
    const m = SparkOperatorMonitoring.prometheusServlet();
    expect(m.kind).toBe(MonitoringKind.PROMETHEUS_SERVLET);
    expect(m.sparkConf()).toMatchObject({ 'spark.ui.prometheus.enabled': 'true' });
    expect(m.driverAnnotations()['prometheus.io/port']).toBe('4040');
    expect(m._spec()).toBeUndefined();
  });

  test('the JMX exporter defaults to port 8090 and adds no Spark properties of its own', () => {
    const m = SparkOperatorMonitoring.jmxExporter(JMX);
    expect(m.port).toBe(8090);
    expect(m.sparkConf()).toEqual({});
    expect(m._spec().prometheus.port).toBe(8090);
  });

  test('none renders nothing', () => {
    const m = SparkOperatorMonitoring.none();
    expect([m.sparkConf(), m.driverAnnotations(), m._spec()]).toEqual([{}, {}, undefined]);
  });

  test.each([
    [{ ...JMX, port: 80 }, /^monitoring.port: 80 is not valid; expected a whole number from 1024 to 49151/],
    [{ ...JMX, port: 50000 }, /^monitoring.port: 50000 is not valid/],
    [{ ...JMX, jmxExporterJar: 'agent.jar' }, /^monitoring.jmxExporterJar: 'agent.jar' is not valid; expected an absolute path inside the image/],
    [{ ...JMX, configFile: '/opt/jmx/' }, /^monitoring.configFile: '\/opt\/jmx\/' is not valid/],
    [{ ...JMX, metricsPropertiesFile: undefined as any }, /^monitoring.metricsPropertiesFile: undefined is not valid/],
  ])('fails on %j', (props, message) => {
    expect(() => SparkOperatorMonitoring.jmxExporter(props)).toThrow(message);
  });
});
