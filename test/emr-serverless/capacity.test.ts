import { emrWorkerSizes } from '../../src/config';
import { DiskType } from '../../src/config/types';
import { workerConfiguration } from '../../src/emr-serverless/capacity';

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
