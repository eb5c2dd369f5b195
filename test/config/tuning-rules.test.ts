import { defaultMaxExecutors, resolveTuning, shufflePartitionsFor, taskThreadsFor } from '../../src/config/tuning-rules';
import { DeploymentTarget } from '../../src/config/types';

describe('tuning rules', () => {
  test('shuffle partitions: 2 per core, or ~128 MB of input each, rounded to a multiple of the cores', () => {
    expect(shufflePartitionsFor(16, undefined)).toBe(32);
    expect(shufflePartitionsFor(16, 10)).toBe(80); // 10 GB / 128 MB = 80
    expect(shufflePartitionsFor(12, 1)).toBe(24);
    expect(shufflePartitionsFor(7, 1)).toBe(14);
    expect(shufflePartitionsFor(64, 100)).toBe(832); // 800 rounded up to a multiple of 64
  });

  test('task threads: the whole vCPU, rounded up only when each thread still gets at least 90% of a vCPU', () => {
    for (const cpu of [1, 1.5, 1.79, 1.8, 1.89, 2, 3.5, 3.6, 3.87, 4, 7.9, 16]) {
      const threads = taskThreadsFor(cpu);
      const roundsUp = cpu / Math.ceil(cpu) >= 0.9 - 1e-9;
      expect(threads).toBe(roundsUp ? Math.ceil(cpu) : Math.floor(cpu));
      expect(cpu / threads).toBeGreaterThanOrEqual(0.9 - 1e-9);
    }
    expect([1, 1.79, 1.89, 3.5, 4, 16].map(taskThreadsFor)).toEqual([1, 1, 2, 3, 4, 16]);
  });

  test('executor cap: about 4 waves over the input, 2 to 50; 20 when unknown', () => {
    expect(defaultMaxExecutors(undefined, 4)).toBe(20);
    expect(defaultMaxExecutors(0, 4)).toBe(2);
    expect(defaultMaxExecutors(64, 4)).toBe(32); // 512 tasks / 16 per executor
    expect(defaultMaxExecutors(10_000, 4)).toBe(50);
  });

  test('the default driver is the executor shape capped at 4 vCPU / 16 GB', () => {
    const big = resolveTuning({ target: DeploymentTarget.EMR_SERVERLESS, executor: { cpu: 16, memoryGb: 120 } });
    expect(big.driverShape).toEqual({ cpu: 4, memoryGb: 16 });
    const small = resolveTuning({ target: DeploymentTarget.EMR_SERVERLESS, executor: { cpu: 2, memoryGb: 8 } });
    expect(small.driverShape).toEqual({ cpu: 2, memoryGb: 8 });
  });
});
