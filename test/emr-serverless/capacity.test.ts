import { emrWorkerSizes, knownEmrReleaseLabels, resolveEmrRelease } from '../../src/config';
import { DiskType } from '../../src/config/types';
import { emrAtLeast, workerConfiguration } from '../../src/emr-serverless/capacity';

describe('workerConfiguration', () => {
  test('every valid worker size renders in the units CloudFormation\'s patterns accept', () => {
    // The AWS::EMRServerless::Application schema patterns (cfn-lint's copy of the resource schema).
    const cpu = /^[1-9][0-9]*(\s)?(vCPU|vcpu|VCPU)?$/;
    const size = /^[1-9][0-9]*(\s)?(GB|gb|gB|Gb)$/;
    for (const shape of emrWorkerSizes()) {
      const rendered = workerConfiguration(shape);
      expect(rendered.cpu).toMatch(cpu);
      expect(rendered.memory).toMatch(size);
      expect(rendered.disk).toMatch(size);
      expect(Number.parseInt(rendered.memory, 10)).toBe(shape.memoryGb);
    }
  });

  test('shuffle-optimized disks render as SHUFFLE_OPTIMIZED, standard ones leave the type out', () => {
    expect(workerConfiguration({ cpu: 4, memoryGb: 16, diskGb: 500, diskType: DiskType.SHUFFLE_OPTIMIZED }))
      .toEqual({ cpu: '4 vCPU', memory: '16 GB', disk: '500 GB', diskType: 'SHUFFLE_OPTIMIZED' });
    expect(workerConfiguration({ cpu: 1, memoryGb: 2 }).diskType).toBeUndefined();
  });
});

describe('emrAtLeast', () => {
  test('agrees with the release catalog\'s 7.1.0 feature (shuffle-optimized disks) for every known label', () => {
    for (const label of knownEmrReleaseLabels()) {
      expect(emrAtLeast(label, 7, 1)).toBe(resolveEmrRelease(label).shuffleOptimizedDisks);
    }
  });

  test('compares major before minor, and rejects labels it cannot read', () => {
    expect(emrAtLeast('emr-spark-8.0.0', 7, 10)).toBe(true);
    expect(emrAtLeast('emr-6.15.0', 7, 0)).toBe(false);
    expect(emrAtLeast('emr-7.10.0', 7, 9)).toBe(true);
    expect(emrAtLeast('latest', 7, 0)).toBe(false);
  });
});
