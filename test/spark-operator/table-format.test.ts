import { chartWithRbac, featuresJob, IMAGE, only } from './fixtures';
import { TABLE_FORMAT_PACKAGES, TableFormat } from '../../src/config/table-formats';
import { SparkOperatorApplication } from '../../src/spark-operator';
import { expectValidManifests, synthManifests } from '../support/k8s-validation';

// A table-format job on the Spark Operator: the pinned jars spark.jars names (in the image or shipped with
// the artifact), never resolved from Maven when the pods start.

function synth(tableFormat: { format: TableFormat; jarsUri?: string }, sparkConf?: { [key: string]: string }) {
  const { chart, rbac } = chartWithRbac();
  new SparkOperatorApplication(chart, 'App', {
    job: featuresJob({ workload: { tableFormat }, sparkConf }), rbac, image: IMAGE, sparkVersion: '3.5.6', executor: { cpu: 4, memoryGb: 16 },
  });
  const docs = synthManifests(chart);
  return { docs, spec: only(docs, 'SparkApplication').spec };
}

describe('a table-format job on the Spark Operator', () => {
  test.each([TableFormat.DELTA, TableFormat.ICEBERG])('%s: spark.jars names the pinned jars the image holds, the manifest is valid', format => {
    const { docs, spec } = synth({ format });
    const files = TABLE_FORMAT_PACKAGES['3.5'][format].map(j => j.file);
    expect(spec.sparkConf['spark.jars']).toBe(files.map(f => `local:///opt/spark/table-jars/${f}`).join(','));
    expect(spec.sparkConf['spark.jars.packages']).toBeUndefined();
    expectValidManifests(docs);
  });

  test('with jarsUri, the jars are read where the artifact ships them', () => {
    const { spec } = synth({ format: TableFormat.DELTA, jarsUri: 's3a://spark-deploy-artifacts/artifacts/spark_jobs/0.1.0/3f2a9c1e/jars/' });
    expect(spec.sparkConf['spark.jars']).toBe(
      's3a://spark-deploy-artifacts/artifacts/spark_jobs/0.1.0/3f2a9c1e/jars/delta-spark_2.12-3.3.2.jar,' +
      's3a://spark-deploy-artifacts/artifacts/spark_jobs/0.1.0/3f2a9c1e/jars/delta-storage-3.3.2.jar');
  });

  test('spark.jars.packages for a table-format job is refused at synth, naming the key', () => {
    expect(() => synth({ format: TableFormat.DELTA }, { 'spark.jars.packages': 'io.delta:delta-spark_2.12:3.3.2' }))
      .toThrow(/sparkConf\['spark\.jars\.packages'\]: 'io\.delta:delta-spark_2\.12:3\.3\.2' is not valid; a delta job runs the pinned, checksummed jars/);
  });
});
