import { jvmMiB, median, peakOverlap, sizeBytes } from '../../../src/config/run-informed/stats';

describe('run-informed stats helpers', () => {
  test('median: the middle value, the mean of the middle two, 0 for none; the input is not reordered', () => {
    const values = [5, 1, 4, 2, 3];
    expect(median(values)).toBe(3);
    expect(values).toEqual([5, 1, 4, 2, 3]);
    expect(median([10, 1, 7, 2])).toBe(4.5);
    expect(median([])).toBe(0);
  });

  test('peakOverlap: most intervals open at once; one ending at t frees its place for one starting at t', () => {
    expect(peakOverlap([[0, 10], [5, 15], [8, 9], [20, 30]])).toBe(3);
    expect(peakOverlap([[0, 10], [10, 20], [20, 30]])).toBe(1);
    expect(peakOverlap([])).toBe(0);
  });

  test('sizeBytes and jvmMiB read Spark size strings; anything else is undefined', () => {
    expect(sizeBytes('64m')).toBe(64 * 1024 * 1024);
    expect(sizeBytes('4MB')).toBe(4 * 1024 * 1024);
    expect(sizeBytes('1048576')).toBe(1048576);
    expect(sizeBytes('162k')).toBe(162 * 1024);
    expect(jvmMiB('2g')).toBe(2048);
    expect(jvmMiB('512m')).toBe(512);
    expect(sizeBytes('lots')).toBeUndefined();
    expect(jvmMiB(undefined)).toBeUndefined();
  });
});
