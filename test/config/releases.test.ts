import { emrReleaseAtLeast, knownEmrReleaseLabels, resolveEmrRelease, resolveSparkVersion, sparkLineAtLeast } from '../../src/config/releases';

describe('releases', () => {
  test('map the two Spark lines EMR runs', () => {
    const seven = resolveEmrRelease('emr-7.12.0');
    expect([seven.sparkVersion, seven.sparkLine, seven.scalaBinaryVersion, seven.javaVersion, seven.ansiByDefault]).toEqual(['3.5.6', '3.5', '2.12', 17, false]);
    const eight = resolveEmrRelease('emr-spark-8.0.0');
    expect([eight.sparkVersion, eight.sparkLine, eight.scalaBinaryVersion, eight.ansiByDefault]).toEqual(['4.0.2', '4.0', '2.13', true]);
    expect(eight.pythonVersions).toEqual(['3.11', '3.12', '3.13']);
  });

  test('release features follow the release notes', () => {
    expect(resolveEmrRelease('emr-7.0.0').shuffleOptimizedDisks).toBe(false);
    expect(resolveEmrRelease('emr-7.1.0').shuffleOptimizedDisks).toBe(true);
    expect(resolveEmrRelease('emr-7.9.0').s3aDefaultConnector).toBe(false);
    expect(resolveEmrRelease('emr-7.10.0').s3aDefaultConnector).toBe(true);
    expect(resolveEmrRelease('emr-spark-8.0.0').s3aDefaultConnector).toBe(true);
    expect(resolveEmrRelease('emr-6.15.0').schedulerConfiguration).toBe(false);
  });

  test('open-source Spark versions carry the Hadoop they bundle', () => {
    expect(resolveSparkVersion('3.5.6').hadoopVersion).toBe('3.3.4');
    expect(resolveSparkVersion('4.0.2').hadoopVersion).toBe('3.4.1');
  });

  test('fails for an unknown release label, listing the known ones', () => {
    expect(() => resolveEmrRelease('emr-9.9.9')).toThrow(/releaseLabel: 'emr-9.9.9' is not valid; expected a known EMR Serverless release label: emr-6.10.0, .*emr-spark-8.0.0/);
    expect(knownEmrReleaseLabels()).toContain('emr-7.12.0');
  });

  test('fails for an unsupported Spark version', () => {
    expect(() => resolveSparkVersion('3.2.1')).toThrow(/release: '3.2.1' is not valid; expected a Spark version of a supported line \(3.5.x, 4.0.x, 4.1.x\)/);
    expect(() => resolveSparkVersion('four')).toThrow(/release: 'four'/);
  });
});

describe('emrReleaseAtLeast', () => {
  test('agrees with the release catalog\'s 7.1.0 feature (shuffle-optimized disks) for every known label', () => {
    for (const label of knownEmrReleaseLabels()) {
      expect(emrReleaseAtLeast(label, 7, 1)).toBe(resolveEmrRelease(label).shuffleOptimizedDisks);
    }
  });

  test('compares major before minor, and rejects labels it cannot read', () => {
    expect(emrReleaseAtLeast('emr-spark-8.0.0', 7, 10)).toBe(true);
    expect(emrReleaseAtLeast('emr-6.15.0', 7, 0)).toBe(false);
    expect(emrReleaseAtLeast('emr-7.10.0', 7, 9)).toBe(true);
    expect(emrReleaseAtLeast('latest', 7, 0)).toBe(false);
  });
});

test('sparkLineAtLeast compares the Spark line, not the EMR label', () => {
  expect(sparkLineAtLeast(resolveEmrRelease('emr-spark-8.0.0'), 4, 0)).toBe(true);
  expect(sparkLineAtLeast(resolveEmrRelease('emr-7.12.0'), 4, 0)).toBe(false);
  expect(sparkLineAtLeast(resolveEmrRelease('emr-7.12.0'), 3, 5)).toBe(true);
  expect(sparkLineAtLeast(resolveSparkVersion('3.5.6'), 3, 6)).toBe(false);
});
