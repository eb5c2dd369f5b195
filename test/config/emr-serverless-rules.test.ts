import * as fs from 'fs';
import * as path from 'path';
import {
  checkEmrServerlessProperties, checkSparkSubmitFields, EMR_SERVERLESS_RULES, emrServerlessRules, executorsWithinCapacity, sparkSubmitConf,
} from '../../src/config/emr-serverless-rules';
import { emrWorkerSizes } from '../../src/config/emr-serverless-workers';
import { SparkConfiguration } from '../../src/config/spark-configuration';
import { DeploymentTarget, DiskType, SparkTuningProps } from '../../src/config/types';
import { confOf, refusalOf } from '../support/emr-serverless-service-rules';

const RELEASES: Array<[string, [number, number]]> = [['emr-7.12.0', [7, 12]], ['emr-spark-8.0.0', [8, 0]]];
const INPUTS_GB = [0.01, 0.1, 0.5, 1, 2, 5, 10, 50, 100, 500, 1000, 5000];
const MAX_WORKER_GB: { [cpu: number]: number } = { 1: 8, 2: 16, 4: 30, 8: 60, 16: 120 };

const emr = (extra: Partial<SparkTuningProps> = {}) => SparkConfiguration.tune({
  target: DeploymentTarget.EMR_SERVERLESS, release: 'emr-7.12.0', executor: { cpu: 4, memoryGb: 16 }, ...extra,
});
const jvmMiB = (text: string) => {
  const m = /^(\d+)([mg])$/.exec(text)!;
  return Number(m[1]) * (m[2] === 'g' ? 1024 : 1);
};

/** Every rule, asserted on the rendered properties with the test's own numbers. */
function expectEveryRule(props: { [key: string]: string }, submit: string, shape: { cpu: number; memoryGb: number },
  release: [number, number]): void {
  // dynamic-allocation-bounds: the start count max(initial, min, instances) lies in [min, max].
  const min = Number(props['spark.dynamicAllocation.minExecutors']);
  const max = Number(props['spark.dynamicAllocation.maxExecutors']);
  const start = Math.max(Number(props['spark.dynamicAllocation.initialExecutors'] ?? 3), min, Number(props['spark.executor.instances'] ?? 3));
  expect(min).toBeLessThanOrEqual(start);
  expect(start).toBeLessThanOrEqual(max);
  for (const role of ['driver', 'executor']) {
    // worker-cores and worker-memory.
    const cores = Number(props[`spark.${role}.cores`]);
    expect([1, 2, 4, 8, 16]).toContain(cores);
    const heap = jvmMiB(props[`spark.${role}.memory`]);
    const factor = Number(props['spark.emr-serverless.memoryOverheadFactor'] ?? '0.1');
    expect(heap + Math.max(384, factor * heap)).toBeLessThanOrEqual(MAX_WORKER_GB[cores] * 1024);
    // worker-disk and disk-type.
    const disk = /^(\d+)G$/.exec(props[`spark.emr-serverless.${role}.disk`])!;
    expect(Number(disk[1])).toBeGreaterThanOrEqual(20);
    expect(Number(disk[1])).toBeLessThanOrEqual(props[`spark.emr-serverless.${role}.disk.type`] === 'shuffle_optimized' ? 2000 : 200);
  }
  expect(Number(props['spark.executor.cores'])).toBe(shape.cpu);
  // memory-overhead-factor, no-shuffle-service.
  const factor = Number(props['spark.emr-serverless.memoryOverheadFactor'] ?? '0.1');
  expect(factor).toBeGreaterThan(0);
  expect(factor).toBeLessThanOrEqual(1);
  expect(props['spark.shuffle.service.enabled']).not.toBe('true');
  // submit-parameters-length.
  expect(submit.length).toBeLessThanOrEqual(102400);
  // The library's rule set and the test's stand-in for the service agree: nothing to refuse.
  expect(checkEmrServerlessProperties(props)).toEqual([]);
  expect(refusalOf(confOf(submit), release)).toBeUndefined();
}

describe('every worker shape x input sizes x both release lines renders a configuration EMR Serverless accepts', () => {
  const shapes = emrWorkerSizes();
  const cases = RELEASES.flatMap(([release, minor]) => shapes.map(s => [release, minor, s.cpu, s.memoryGb] as const));
  test.each(cases)('%s, %i vCPU / %i GB, inputs 0.01 to 5000 GB', (release, minor, cpu, memoryGb) => {
    for (const inputSizeGb of INPUTS_GB) {
      for (const pythonHeavy of [false, true]) {
        const config = SparkConfiguration.tune({
          target: DeploymentTarget.EMR_SERVERLESS, release, executor: { cpu, memoryGb }, inputSizeGb, pythonHeavy,
        });
        expectEveryRule(config.properties(), config.toSparkSubmitParameters(), { cpu, memoryGb }, minor as [number, number]);
      }
    }
  });

  test.each(RELEASES)('%s: shuffle-optimized and large standard disks, and a fixed executor count', (release, minor) => {
    for (const [diskType, diskGb] of [[DiskType.STANDARD, 200], [DiskType.SHUFFLE_OPTIMIZED, 2000], [DiskType.SHUFFLE_OPTIMIZED, 20]] as const) {
      for (const inputSizeGb of [0.01, 50, 5000]) {
        const config = emr({ release, executor: { cpu: 8, memoryGb: 32, diskGb, diskType }, inputSizeGb });
        expectEveryRule(config.properties(), config.toSparkSubmitParameters(), { cpu: 8, memoryGb: 32 }, minor);
      }
    }
    const fixed = emr({ release, executorInstances: 2 });
    expect(fixed.get('spark.dynamicAllocation.enabled')).toBe('false');
    expect(refusalOf(confOf(fixed.toSparkSubmitParameters()), minor)).toBeUndefined();
  });

  test('the issue\'s case: 4 vCPU / 16 GB, 1 GB input starts 3 executors under a cap of 3, and says why', () => {
    const config = emr({ inputSizeGb: 1 });
    expect(config.get('spark.dynamicAllocation.maxExecutors')).toBe('3');
    expect(config.get('spark.dynamicAllocation.initialExecutors')).toBe('3');
    expect(config.reasons()['spark.dynamicAllocation.maxExecutors']).toMatch(/at least 3, the executors EMR Serverless starts a run with/);
    expect(config.reasons()['spark.dynamicAllocation.initialExecutors']).toMatch(/min <= initial <= max/);
  });

  test('an explicit cap below 3 lowers the start count and executor.instances with it', () => {
    for (const maxExecutors of [1, 2]) {
      const props = emr({ maxExecutors }).properties();
      expect(props['spark.dynamicAllocation.initialExecutors']).toBe(String(maxExecutors));
      expect(props['spark.executor.instances']).toBe(String(maxExecutors));
      expect(refusalOf(props)).toBeUndefined();
    }
  });

  test('a capacity limit lowers the default cap, with the reason; an explicit cap above it fails', () => {
    const config = emr({ inputSizeGb: 50, executorCapacity: 20, executorCapacityReason: 'the application holds 84 vCPU' });
    expect(config.maxExecutors).toBe(20);
    expect(config.reasons()['spark.dynamicAllocation.maxExecutors']).toBe('25 by the input, lowered to the 20 that fit: the application holds 84 vCPU');
    expect(() => emr({ maxExecutors: 25, executorCapacity: 20, executorCapacityReason: 'the application holds 84 vCPU' }))
      .toThrow(/maxExecutors: '25' is not valid; at most 20 executor\(s\) fit: the application holds 84 vCPU; EMR Serverless rule 'maximum-capacity'.*app-behavior.html#max-capacity/);
    expect(() => emr({ executorInstances: 21, executorCapacity: 20 })).toThrow(/executorInstances: '21' is not valid.*'maximum-capacity'/);
  });
});

describe('a violating override is refused with its rule and source', () => {
  // Each case: the override, the rule it breaks, and the test's stand-in for the service refuses it too.
  const cases: Array<[string, Partial<SparkTuningProps>, { id: string; sources: readonly string[] }, RegExp]> = [
    ['a cap below the start count', { overrides: { 'spark.dynamicAllocation.maxExecutors': '2' } }, EMR_SERVERLESS_RULES.dynamicAllocationBounds,
      /overrides\['spark.dynamicAllocation.maxExecutors'\]: '2' is not valid; the run would start max\(initialExecutors 3, minExecutors 0, executor.instances 3\) = 3 executors, above maxExecutors 2/],
    ['minExecutors above the cap', { maxExecutors: 4, overrides: { 'spark.dynamicAllocation.minExecutors': '5' } }, EMR_SERVERLESS_RULES.dynamicAllocationBounds,
      /overrides\['spark.dynamicAllocation.minExecutors'\]: '5' is not valid; minExecutors 5 exceeds maxExecutors 4/],
    ['executor.instances above the cap', { maxExecutors: 4, overrides: { 'spark.executor.instances': '6' } }, EMR_SERVERLESS_RULES.dynamicAllocationBounds,
      /executor.instances 6\) = 6 executors, above maxExecutors 4/],
    ['cores that are no worker size', { overrides: { 'spark.executor.cores': '3' } }, EMR_SERVERLESS_RULES.workerCores,
      /overrides\['spark.executor.cores'\]: '3' is not valid; expected 1, 2, 4, 8, 16/],
    ['an overhead factor that outgrows the largest worker', { executor: { cpu: 4, memoryGb: 30 }, overrides: { 'spark.emr-serverless.memoryOverheadFactor': '0.5' } },
      EMR_SERVERLESS_RULES.workerMemory, /spark.executor.memory \(tuned\): '27\d\d\dm' is not valid; .* exceeds the largest 4-vCPU worker \(30 GB = 30720 MiB\)/],
    ['a standard disk above 200G', { overrides: { 'spark.emr-serverless.executor.disk': '500G' } }, EMR_SERVERLESS_RULES.workerDisk,
      /overrides\['spark.emr-serverless.executor.disk'\]: '500G' is not valid; expected 20G to 200G on a standard disk/],
    ['a disk below 20G', { overrides: { 'spark.emr-serverless.driver.disk': '10G' } }, EMR_SERVERLESS_RULES.workerDisk, /'10G' is not valid; expected 20G to 200G/],
    ['an unknown disk type', { overrides: { 'spark.emr-serverless.executor.disk.type': 'gp3' } }, EMR_SERVERLESS_RULES.diskType,
      /overrides\['spark.emr-serverless.executor.disk.type'\]: 'gp3' is not valid; expected standard or shuffle_optimized/],
    ['shuffle-optimized disks before 7.1.0', { release: 'emr-7.0.0', overrides: { 'spark.emr-serverless.executor.disk.type': 'shuffle_optimized' } },
      EMR_SERVERLESS_RULES.diskType, /shuffle-optimized disks need EMR 7.1.0 or later \(release is emr-7.0.0\)/],
    ['an overhead factor above 1', { overrides: { 'spark.emr-serverless.memoryOverheadFactor': '1.5' } }, EMR_SERVERLESS_RULES.memoryOverheadFactor,
      /overrides\['spark.emr-serverless.memoryOverheadFactor'\]: '1.5' is not valid; expected a decimal greater than 0 and at most 1.*\(rule not confirmed by the user guide\)/],
    ['the external shuffle service', { overrides: { 'spark.shuffle.service.enabled': 'true' } }, EMR_SERVERLESS_RULES.noShuffleService,
      /overrides\['spark.shuffle.service.enabled'\]: 'true' is not valid; leave it false; EMR Serverless rule 'no-shuffle-service'/],
  ];
  test.each(cases)('%s', (_name, props, rule, message) => {
    let error: Error | undefined;
    try {
      emr(props);
    } catch (err) {
      error = err as Error;
    }
    expect(error?.message).toMatch(message);
    expect(error?.message).toContain(`EMR Serverless rule '${rule.id}'`);
    for (const source of rule.sources) expect(error?.message).toContain(source);
  });

  test('the stand-in for the service refuses the same properties', () => {
    const base = emr().properties();
    for (const [, props] of cases) {
      if (props.release === 'emr-7.0.0') {
        expect(refusalOf({ ...base, ...props.overrides }, [7, 0])).toBeDefined();
      } else if (props.executor) {
        expect(refusalOf({ ...emr({ executor: props.executor }).properties(), ...props.overrides })).toBeDefined();
      } else {
        expect(refusalOf({ ...base, ...(props.maxExecutors ? { 'spark.dynamicAllocation.maxExecutors': String(props.maxExecutors) } : {}), ...props.overrides })).toBeDefined();
      }
    }
  });

  test('the StartJobRun size rules', () => {
    const [params] = checkSparkSubmitFields({ sparkSubmitParameters: 'x'.repeat(102401) });
    expect(params.rule.id).toBe('submit-parameters-length');
    expect(checkSparkSubmitFields({ sparkSubmitParameters: 'x'.repeat(102400), entryPoint: 's3://b/e.py', entryPointArguments: ['a'] })).toEqual([]);
    expect(checkSparkSubmitFields({ entryPoint: 's3://b/' + 'k'.repeat(4091) })[0].rule.id).toBe('entry-point-length');
    expect(checkSparkSubmitFields({ entryPoint: '   ' })[0].rule.id).toBe('entry-point-length');
    expect(checkSparkSubmitFields({ entryPointArguments: new Array(1025).fill('a') })[0].rule.id).toBe('entry-point-arguments');
    expect(checkSparkSubmitFields({ entryPointArguments: ['ok', ''] })[0].key).toBe('entryPointArguments[1]');
  });
});

describe('the rule set', () => {
  test('every rule has an id, a summary and at least one https source; unconfirmed ones say what is not confirmed', () => {
    const rules = emrServerlessRules();
    expect(new Set(rules.map(r => r.id)).size).toBe(rules.length);
    for (const rule of rules) {
      expect(rule.id).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(rule.sources.length).toBeGreaterThan(0);
      for (const s of rule.sources) expect(s).toMatch(/^https:\/\//);
      if (!rule.confirmed) expect(rule.note).toBeTruthy();
    }
  });

  test('sparkSubmitConf reads --conf pairs as spark-submit does, the last value winning', () => {
    const conf = sparkSubmitConf('--py-files s3://b/x.zip --conf spark.a=1 --conf \'spark.b=x y\' --conf=spark.c=3 --conf spark.a=2');
    expect(conf).toEqual({ 'spark.a': '2', 'spark.b': 'x y', 'spark.c': '3' });
  });

  test('executorsWithinCapacity: the tightest of vCPU, memory and disk', () => {
    const driver = { cpu: 4, memoryGb: 16 };
    const executor = { cpu: 4, memoryGb: 16 };
    expect(executorsWithinCapacity({ cpu: 84, memoryGb: 336 }, driver, executor)).toBe(20);
    expect(executorsWithinCapacity({ cpu: 84, memoryGb: 200 }, driver, executor)).toBe(11);
    expect(executorsWithinCapacity({ cpu: 84, memoryGb: 336, diskGb: 100 }, driver, executor)).toBe(4);
    expect(executorsWithinCapacity({ cpu: 2, memoryGb: 336 }, driver, executor)).toBe(0);
  });
});

describe('docs/configuration.md', () => {
  const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'configuration.md'), 'utf8');
  test.each(emrServerlessRules().map(r => [r.id, r] as const))('lists rule %s with its sources, and marks it when not confirmed', (id, rule) => {
    const row = doc.split('\n').find(line => line.startsWith(`| \`${id}\` |`));
    expect(row).toBeDefined();
    for (const source of rule.sources) expect(row).toContain(`(${source})`);
    expect(row!.includes('**not confirmed**')).toBe(!rule.confirmed);
  });
});
