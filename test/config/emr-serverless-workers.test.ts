import { emrWorkerRules, emrWorkerSizes, validateEmrWorkerDisk, validateEmrWorkerMemory } from '../../src/config/emr-serverless-workers';

describe('EMR Serverless worker rules', () => {
  test('encode the documented sizes: 1/2/4/8/16 vCPU with their ranges and steps', () => {
    // app-behavior.html#worker-configs
    expect(emrWorkerRules().map(r => [r.cpu, r.minMemoryGb, r.maxMemoryGb, r.memoryStepGb])).toEqual([
      [1, 2, 8, 1], [2, 4, 16, 1], [4, 8, 30, 1], [8, 16, 60, 4], [16, 32, 120, 8],
    ]);
  });

  test('list every valid size exactly once', () => {
    const sizes = emrWorkerSizes();
    expect(sizes).toHaveLength(7 + 13 + 23 + 12 + 12);
    expect(new Set(sizes.map(s => `${s.cpu}/${s.memoryGb}`)).size).toBe(sizes.length);
  });

  test.each([
    [8, 20], [16, 40], [16, 120], [4, 30], [1, 2],
  ])('accept %i vCPU with %i GB', (cpu, gb) => {
    expect(() => validateEmrWorkerMemory('executor.memoryGb', cpu, gb)).not.toThrow();
  });

  test.each([
    [4, 31, /executor.memoryGb: 31 is not valid; a 4-vCPU EMR Serverless worker takes 8-30 GB in steps of 1 GB/],
    [8, 18, /8-vCPU .* 16-60 GB in steps of 4 GB/],
    [16, 36, /16-vCPU .* 32-120 GB in steps of 8 GB/],
    [3, 12, /executor.cpu: 3 is not valid; EMR Serverless workers have 1, 2, 4, 8, 16 vCPU/],
    [2, 4.5, /4.5 is not valid/],
  ])('fail for %i vCPU with %f GB', (cpu, gb, message) => {
    expect(() => validateEmrWorkerMemory('executor.memoryGb', cpu, gb)).toThrow(message);
  });

  test('disks: standard 20-200 GB, shuffle-optimized up to 2000 GB', () => {
    expect(() => validateEmrWorkerDisk('executor.diskGb', 200, false)).not.toThrow();
    expect(() => validateEmrWorkerDisk('executor.diskGb', 201, false)).toThrow(/standard disks take 20-200 GB/);
    expect(() => validateEmrWorkerDisk('executor.diskGb', 2000, true)).not.toThrow();
    expect(() => validateEmrWorkerDisk('executor.diskGb', 19, true)).toThrow(/shuffle-optimized disks take 20-2000 GB/);
  });
});
