import { formatJvmSize, parseSizeMiB, requireInteger } from '../../src/config/sizes';

describe('sizes', () => {
  test.each([
    ['14g', 14336], ['7424m', 7424], ['16 GB', 16384], ['2Gi', 2048], ['1.5g', 1536], ['512', 512], ['1t', 1048576],
  ])('parse %s as %i MiB', (text, mib) => {
    expect(parseSizeMiB('f', text)).toBe(mib);
  });

  test('a bare number takes the default unit', () => {
    expect(parseSizeMiB('f', 16, 'g')).toBe(16384);
    expect(parseSizeMiB('f', '16', 'g')).toBe(16384);
  });

  test.each(['', 'lots', '-1g', '14 parsecs', '0g', 'g14'])('fail for %p', text => {
    expect(() => parseSizeMiB('executorOffHeapMemory', text)).toThrow(/^executorOffHeapMemory: .* is not valid;/);
  });

  test('format JVM sizes', () => {
    expect(formatJvmSize(14336)).toBe('14g');
    expect(formatJvmSize(7424)).toBe('7424m');
  });

  test('requireInteger names the range', () => {
    expect(() => requireInteger('maxExecutors', 0, 1)).toThrow(/maxExecutors: 0 is not valid; expected a whole number >= 1/);
    expect(() => requireInteger('x', 2.5, 1, 10)).toThrow(/from 1 to 10/);
  });
});
