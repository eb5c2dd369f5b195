import { AbortedError, Backoff, sleep } from '../../src/client/backoff';

describe('Backoff', () => {
  test('grows by the multiplier up to the cap; jitter keeps each delay within [d/2, d]', () => {
    const low = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2 }, () => 0);
    expect(Array.from({ length: 6 }, () => low.next())).toEqual([50, 100, 200, 400, 500, 500]);
    const high = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2 }, () => 0.999999);
    expect(Array.from({ length: 6 }, () => high.next())).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  test('with Math.random every delay stays inside its band', () => {
    const b = new Backoff({ initialDelayMs: 2000, maxDelayMs: 30000, multiplier: 1.5 });
    const ceilings = [2000, 3000, 4500, 6750, 10125, 15187.5, 22781.25, 30000, 30000, 30000];
    for (const ceiling of ceilings) {
      const d = b.next();
      expect(d).toBeGreaterThanOrEqual(Math.floor(ceiling / 2));
      expect(d).toBeLessThanOrEqual(Math.ceil(ceiling));
    }
  });

  test('reset starts again from the first delay', () => {
    const b = new Backoff({ initialDelayMs: 10, maxDelayMs: 1000, multiplier: 3 }, () => 0);
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(5);
  });

  test('defaults: 2 s growing by 1.5 up to 30 s', () => {
    const b = new Backoff();
    expect([b.initialDelayMs, b.maxDelayMs, b.multiplier]).toEqual([2000, 30000, 1.5]);
  });

  test('fails naming the option on bad values', () => {
    expect(() => new Backoff({ initialDelayMs: -1 })).toThrow(/initialDelayMs: -1 is not valid/);
    expect(() => new Backoff({ initialDelayMs: 100, maxDelayMs: 50 })).toThrow(/maxDelayMs: 50 is not valid; expected milliseconds >= initialDelayMs \(100\)/);
    expect(() => new Backoff({ multiplier: 0.5 })).toThrow(/multiplier: 0.5 is not valid/);
  });
});

describe('sleep', () => {
  test('resolves after the delay', async () => {
    const start = Date.now();
    await sleep(20);
    expect(Date.now() - start).toBeGreaterThanOrEqual(15);
  });

  test('rejects with AbortedError as soon as the signal aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 10);
    const start = Date.now();
    await expect(sleep(60_000, controller.signal)).rejects.toBeInstanceOf(AbortedError);
    expect(Date.now() - start).toBeLessThan(5000);
  });

  test('rejects at once when the signal already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(sleep(60_000, controller.signal)).rejects.toThrow('interrupted');
  });
});
