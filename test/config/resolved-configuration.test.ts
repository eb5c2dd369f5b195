import { renderEntries } from '../../src/config/renderers';
import { resolveConfiguration } from '../../src/config/resolved-configuration';
import { SparkConfiguration } from '../../src/config/spark-configuration';
import { DeploymentTarget, PropertyKind, SparkTuningProps } from '../../src/config/types';

const k8s = (extra: Partial<SparkTuningProps> = {}) => resolveConfiguration({
  target: DeploymentTarget.KUBERNETES, executor: { cpu: 2, memoryGb: 8 }, ...extra,
});
const emr = (extra: Partial<SparkTuningProps> = {}) => resolveConfiguration({
  target: DeploymentTarget.EMR_SERVERLESS, executor: { cpu: 4, memoryGb: 16 }, ...extra,
});
const property = (entries: { key: string; value: string; reason: string }[], key: string) => entries.find(e => e.key === key);

describe('the resolve step gives each role its final sizes as numbers', () => {
  test('Kubernetes: a heap override re-fits the overhead so that heap + overhead is the pod, exactly', () => {
    const resolved = k8s({ overrides: { 'spark.executor.memory': '4g' } });
    const pod = 8 * 1024;
    expect(resolved.executor.sizing.heapMiB).toBe(4096);
    // Request = limit: the pod holds heap + overhead and nothing else.
    expect(resolved.executor.sizing.overheadMiB).toBe(pod - 4096);
    expect(resolved.executor.refittedOverheadMiB).toBe(pod - 4096);
    expect(resolved.executor.sizing.unusedMiB).toBe(0);
    expect(resolved.executor.sizing.containerMiB).toBe(pod);
    // The renderer formats the numbers: 4096 MiB is 4g.
    const overhead = property(renderEntries(resolved), 'spark.executor.memoryOverhead')!;
    expect(overhead.value).toBe('4g');
    expect(overhead.reason).toBe('the rest of the pod above the overridden heap');
    // The driver was not overridden: nothing re-fitted.
    expect(resolved.driver.refittedOverheadMiB).toBeUndefined();
  });

  test('Kubernetes with off-heap memory: the re-fitted overhead leaves room for the off-heap', () => {
    const resolved = k8s({ executor: { cpu: 4, memoryGb: 16 }, executorOffHeapMemory: '1g', overrides: { 'spark.executor.memory': '8g' } });
    expect(resolved.executor.sizing.heapMiB).toBe(8192);
    expect(resolved.executor.sizing.extraMiB).toBe(1024);
    expect(resolved.executor.sizing.overheadMiB).toBe(16384 - 8192 - 1024);
    expect(resolved.executor.sizing.unusedMiB).toBe(0);
  });

  test('an overhead override is taken as given and nothing is re-fitted', () => {
    const resolved = k8s({ overrides: { 'spark.executor.memory': '3000m', 'spark.executor.memoryOverhead': '1g' } });
    expect(resolved.executor.refittedOverheadMiB).toBeUndefined();
    expect(resolved.executor.sizing).toMatchObject({ heapMiB: 3000, overheadMiB: 1024, unusedMiB: 8192 - 3000 - 1024, memory: '3000m', memoryOverhead: '1g' });
    expect(property(renderEntries(resolved), 'spark.executor.memoryOverhead')).toMatchObject({ value: '1g', reason: 'user override' });
  });

  test('sizes in any JVM unit are read as MiB (2048k is 2 MiB)', () => {
    const resolved = emr({ overrides: { 'spark.driver.memoryOverhead': '2048k' } });
    expect(resolved.driver.sizing.overheadMiB).toBe(2);
  });

  test('EMR Serverless: a heap override keeps the platform overhead max(384 MiB, 10% of the heap)', () => {
    const resolved = emr({ overrides: { 'spark.executor.memory': '8g' } });
    expect(resolved.executor.sizing.heapMiB).toBe(8192);
    expect(resolved.executor.sizing.overheadMiB).toBe(Math.ceil(0.1 * 8192));
    expect(resolved.executor.refittedOverheadMiB).toBeUndefined();
    expect(property(renderEntries(resolved), 'spark.executor.memoryOverhead')).toBeUndefined();
    const small = emr({ overrides: { 'spark.executor.memory': '2g' } });
    expect(small.executor.sizing.overheadMiB).toBe(384);
  });

  test('a cores override is a number on the role', () => {
    expect(emr({ overrides: { 'spark.executor.cores': '2' } }).executor.sizing.cores).toBe(2);
    expect(k8s({ overrides: { 'spark.driver.cores': '1' } }).driver.sizing.cores).toBe(1);
    expect(() => k8s({ overrides: { 'spark.executor.cores': '3' } }))
      .toThrow("overrides['spark.executor.cores']: '3' is not valid; at most the executor pod's 2 vCPU");
  });

  test('overrides are normalized once, each with the key the user wrote, in the order given', () => {
    const resolved = emr({ overrides: { 'spark.sql.shuffle.partitions': '77', 'fs.s3a.connection.maximum': '200' } });
    expect(resolved.overrides).toEqual([
      { key: 'spark.sql.shuffle.partitions', value: '77', kind: PropertyKind.SPARK, givenKey: 'spark.sql.shuffle.partitions' },
      { key: 'spark.hadoop.fs.s3a.connection.maximum', value: '200', kind: PropertyKind.HADOOP, givenKey: 'fs.s3a.connection.maximum' },
    ]);
  });

  test('the configuration exposes the resolved sizes, and its properties are their rendering', () => {
    const props: SparkTuningProps = { target: DeploymentTarget.KUBERNETES, executor: { cpu: 2, memoryGb: 8 }, overrides: { 'spark.executor.memory': '5000m' } };
    const config = SparkConfiguration.tune(props);
    const resolved = resolveConfiguration(props);
    expect(config.executor).toEqual(resolved.executor.sizing);
    expect(config.driver).toEqual(resolved.driver.sizing);
    expect(config.entries()).toEqual(renderEntries(resolved));
    expect(config.get('spark.executor.memoryOverhead')).toBe(`${8192 - 5000}m`);
  });

  test('executor counts after the overrides are numbers: dynamic allocation, or a fixed count', () => {
    // Input size unknown: the cap against runaway cost is 20; Kubernetes keeps shuffle data by tracking it.
    expect(k8s().allocation).toEqual({
      dynamic: true,
      instances: undefined,
      initialExecutors: undefined,
      minExecutors: 0,
      maxExecutors: 20,
      shuffleTracking: true,
      shuffleTrackingTimeout: undefined,
    });
    expect(k8s({ executorInstances: 3 }).allocation).toMatchObject({ dynamic: false, instances: 3, maxExecutors: undefined });
    const overridden = k8s({ overrides: { 'spark.dynamicAllocation.enabled': 'false', 'spark.executor.instances': '4' } }).allocation;
    expect(overridden).toMatchObject({ dynamic: false, instances: 4 });
    expect(k8s({ overrides: { 'spark.dynamicAllocation.shuffleTracking.enabled': 'false', 'spark.dynamicAllocation.maxExecutors': '9' } }).allocation)
      .toMatchObject({ dynamic: true, maxExecutors: 9, shuffleTracking: false });
  });

  test('EMR Serverless: the start count is explicit, and lowered with a cap below the 3 executors the service starts', () => {
    expect(emr().allocation).toMatchObject({ dynamic: true, initialExecutors: 3, instances: undefined });
    const capped = emr({ executorCapacity: 2 });
    expect(capped.allocation).toMatchObject({ dynamic: true, maxExecutors: 2, initialExecutors: 2, instances: 2 });
    const entries = renderEntries(capped);
    expect(property(entries, 'spark.dynamicAllocation.initialExecutors')!.value).toBe('2');
    expect(property(entries, 'spark.executor.instances')!.value).toBe('2');
  });

  test('the pod CPU request and limit are the pod vCPU unless overridden (Kubernetes only)', () => {
    const resolved = k8s({ executor: { cpu: 1.89, memoryGb: 6 }, overrides: { 'spark.kubernetes.driver.limit.cores': '1500m' } });
    expect([resolved.executor.cpuRequest, resolved.executor.cpuLimit]).toEqual(['1.89', '1.89']);
    expect([resolved.driver.cpuRequest, resolved.driver.cpuLimit]).toEqual(['1.89', '1500m']);
    expect([emr().executor.cpuRequest, emr().executor.cpuLimit]).toEqual([undefined, undefined]);
  });
});
