import { checkHeapFits, fitHeap, overheadFor } from '../../src/config/memory';

describe('memory fitting', () => {
  test('overhead is max(384 MiB, factor x heap)', () => {
    expect(overheadFor(1000, 0.1)).toBe(384);
    expect(overheadFor(14336, 0.1)).toBe(1434);
    expect(overheadFor(1000, 0.4)).toBe(400);
  });

  test('matches the reference table for the smallest workers (facts §1.1)', () => {
    // 2 GB worker: 1664m + 384m floor; 8 GB: 7424m; 32 GB: 29760m
    expect(fitHeap('x', 2048, 0.1).heapMiB).toBe(1664);
    expect(fitHeap('x', 8192, 0.1).heapMiB).toBe(7424);
    expect(fitHeap('x', 32768, 0.1).heapMiB).toBe(29760);
  });

  test('the fitted heap is the largest 64 MiB multiple that fits', () => {
    for (const container of [2048, 3000, 16384, 30720, 61440, 122880]) {
      for (const factor of [0.1, 0.4]) {
        const fit = fitHeap('x', container, factor, 0);
        expect(fit.heapMiB % 64).toBe(0);
        expect(fit.heapMiB + overheadFor(fit.heapMiB, factor)).toBeLessThanOrEqual(container);
        const next = fit.heapMiB + 64;
        expect(next + overheadFor(next, factor)).toBeGreaterThan(container);
      }
    }
  });

  test('off-heap memory is counted inside the container', () => {
    const fit = fitHeap('x', 16384, 0.1, 2048);
    expect(fit.heapMiB + fit.overheadMiB + 2048).toBeLessThanOrEqual(16384);
    expect(fit.extraMiB).toBe(2048);
  });

  test('fails when nothing fits', () => {
    expect(() => fitHeap('executor.memoryGb', 700, 0.1)).toThrow(/executor.memoryGb: '700MiB' is not valid; a container must hold at least a 450 MiB heap \+ 384 MiB overhead/);
  });

  test('checkHeapFits names the largest heap that would fit', () => {
    expect(() => checkHeapFits('overrides', 28 * 1024, 0.1, 0, 30720)).toThrow(/exceeds the 30720 MiB container; at most 27904m fits/);
    expect(() => checkHeapFits('overrides', 27 * 1024, 0.1, 0, 30720)).not.toThrow();
  });
});
