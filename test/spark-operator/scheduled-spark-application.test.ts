import { chartWithRbac, featuresJob, IMAGE, only } from './fixtures';
import { ConcurrencyPolicy, ScheduledSparkOperatorApplication, SparkOperatorApplication } from '../../src/spark-operator';
import { expectValidManifests, synthManifests } from '../support/k8s-validation';

function validateJob(name = 'feature-validation') {
  return featuresJob({
    name,
    entryPoint: 'validate',
    arguments: ['--input', 's3://data/features/', '--reference', 's3://data/features-reference/', '--output', 's3://data/validation/'],
  });
}

function synthScheduled(props: Partial<ConstructorParameters<typeof ScheduledSparkOperatorApplication>[2]> = {}) {
  const { chart, rbac } = chartWithRbac();
  const scheduled = new ScheduledSparkOperatorApplication(chart, 'Scheduled', {
    job: validateJob(), rbac, image: IMAGE, executor: { cpu: 2, memoryGb: 8 }, schedule: '0 3 * * *', ...props,
  });
  const docs = synthManifests(chart);
  return { scheduled, docs, manifest: only(docs, 'ScheduledSparkApplication') };
}

describe('ScheduledSparkOperatorApplication', () => {
  test('renders a manifest valid against the CRD, the core schemas and the security rules', () => {
    const { docs } = synthScheduled();
    expectValidManifests(docs);
  });

  test('always sets the concurrency policy (Forbid by default), UTC and history limits', () => {
    const { manifest, scheduled } = synthScheduled();
    expect(manifest.spec).toMatchObject({
      schedule: '0 3 * * *', timeZone: 'UTC', concurrencyPolicy: 'Forbid', successfulRunHistoryLimit: 3, failedRunHistoryLimit: 3, suspend: false,
    });
    expect(scheduled.concurrencyPolicy).toBe(ConcurrencyPolicy.FORBID);
  });

  test('renders the given policy, zone, limits and suspension', () => {
    const { manifest } = synthScheduled({
      concurrencyPolicy: ConcurrencyPolicy.REPLACE,
      timeZone: 'Europe/Paris',
      successfulRunHistoryLimit: 1,
      failedRunHistoryLimit: 5,
      suspend: true,
      schedule: '@every 6h',
    });
    expect(manifest.spec).toMatchObject({
      schedule: '@every 6h', timeZone: 'Europe/Paris', concurrencyPolicy: 'Replace', successfulRunHistoryLimit: 1, failedRunHistoryLimit: 5, suspend: true,
    });
  });

  test('the template is the spec SparkOperatorApplication renders for the same job', () => {
    // GIVEN the same job rendered both ways
    const { chart, rbac } = chartWithRbac();
    const job = validateJob();
    const common = { job, rbac, image: IMAGE, executor: { cpu: 2, memoryGb: 8 } };
    new ScheduledSparkOperatorApplication(chart, 'Scheduled', { ...common, schedule: '@daily' });
    new SparkOperatorApplication(chart, 'Once', { ...common, name: 'feature-validation-once' });
    // WHEN
    const docs = synthManifests(chart);
    // THEN
    expect(only(docs, 'ScheduledSparkApplication').spec.template).toEqual(only(docs, 'SparkApplication').spec);
    expect(only(docs, 'ScheduledSparkApplication').spec.template.mainApplicationFile).toMatch(/entrypoints\/validate\.py$/);
  });

  describe('bad input', () => {
    test.each([
      [{ schedule: '0 25 * * *' }, /^schedule: '0 25 \* \* \*' is not valid; 25 is outside 0-23 in the hour field/],
      [{ schedule: 'every day' }, /^schedule: 'every day' is not valid; 2 fields given, 5 needed/],
      [{ timeZone: 'Paris' }, /^timeZone: 'Paris' is not valid; expected UTC or an IANA time zone/],
      [{ concurrencyPolicy: 'Sometimes' as any }, /^concurrencyPolicy: 'Sometimes' is not valid; expected one of Allow, Forbid, Replace/],
      [{ successfulRunHistoryLimit: 0 }, /^successfulRunHistoryLimit: 0 is not valid; expected a whole number from 1 to 100/],
      [{ failedRunHistoryLimit: 2.5 }, /^failedRunHistoryLimit: 2.5 is not valid/],
      [{ name: 'a'.repeat(44) }, /^name: 'a{44}' is not valid; .* at most 43 characters/],
    ])('fails on %j', (props, message) => {
      expect(() => synthScheduled(props as any)).toThrow(message);
    });

    test('a SparkApplication may be longer than a scheduled one (63 characters)', () => {
      const { chart, rbac } = chartWithRbac();
      const app = new SparkOperatorApplication(chart, 'App', { job: validateJob(), rbac, image: IMAGE, executor: { cpu: 2, memoryGb: 8 }, name: 'a'.repeat(63) });
      expect(app.name).toHaveLength(63);
      expect(() => new SparkOperatorApplication(chart, 'App2', { job: validateJob(), rbac, image: IMAGE, executor: { cpu: 2, memoryGb: 8 }, name: 'a'.repeat(64) }))
        .toThrow(/at most 63 characters/);
    });
  });
});
