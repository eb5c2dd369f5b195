import {
  formatCpuQuantity, validateCronSchedule, validateDns1035Name, validateDns1123Label, validateDns1123Subdomain, validateJvmSize, validateLabels,
  validateOperatorHadoopConf, validateOperatorSparkConf, validateQuantity, validateTimeZone, validateWholeNumber,
} from '../../src/spark-operator/validation';

describe('names', () => {
  test.each(['a', 'customer-features', 'x1', 'a'.repeat(63)])('accepts the DNS-1035 label %s', name => {
    expect(validateDns1035Name('name', name)).toBe(name);
  });

  test.each([
    ['1starts-with-digit'], ['Upper'], ['ends-with-'], ['has_underscore'], ['has.dot'], [''], ['a'.repeat(64)],
  ])('fails on the name %j', name => {
    expect(() => validateDns1035Name('name', name)).toThrow(/^name: .* is not valid; expected a DNS-1035 label/);
  });

  test('fails on a name over a custom limit, naming the limit', () => {
    expect(() => validateDns1035Name('name', 'a'.repeat(44), 43)).toThrow(/at most 43 characters/);
  });

  test('secret and priority class names are DNS-1123 subdomains', () => {
    expect(validateDns1123Subdomain('imagePullSecrets[0]', 'ecr.registry-1')).toBe('ecr.registry-1');
    expect(() => validateDns1123Subdomain('imagePullSecrets[0]', 'Registry')).toThrow(/^imagePullSecrets\[0\]: 'Registry' is not valid; expected a DNS-1123 subdomain/);
  });

  test('namespaces may start with a digit (DNS-1123) but not hold upper case', () => {
    expect(validateDns1123Label('namespace', '1team')).toBe('1team');
    expect(() => validateDns1123Label('namespace', 'Team')).toThrow(/^namespace: 'Team' is not valid; expected a DNS-1123 label/);
  });
});

describe('labels', () => {
  test('accepts prefixed keys and empty values', () => {
    expect(() => validateLabels('labels', { 'example.com/team': 'data', 'tier': '' })).not.toThrow();
  });

  test('fails on a key with two slashes-worth of bad prefix', () => {
    expect(() => validateLabels('labels', { 'Bad_Prefix/x': 'y' })).toThrow(/^labels key: 'Bad_Prefix\/x' is not valid; expected a label key/);
  });

  test('fails on a value over 63 characters', () => {
    expect(() => validateLabels('labels', { team: 'a'.repeat(64) })).toThrow(/^labels\['team'\]: .* expected a label value/);
  });

  test('fails on a value with a space', () => {
    expect(() => validateLabels('labels', { team: 'data eng' })).toThrow(/labels\['team'\]: 'data eng' is not valid/);
  });
});

describe('quantities and JVM sizes', () => {
  test.each(['2', '500m', '3500m', '0.5', '512Mi', '20Gi', '1e3'])('accepts the quantity %s', q => {
    expect(validateQuantity('coreRequest', q)).toBe(q);
  });

  test.each(['2 cores', '-1', '1.5.2', '20GB', 'Gi', ''])('fails on the quantity %j', q => {
    expect(() => validateQuantity('coreRequest', q)).toThrow(/^coreRequest: .* expected a Kubernetes quantity/);
  });

  test.each(['7424m', '4g', '512M', '1024k', '2t', '1p', ' 4g '])('accepts the JVM size %s', s => {
    expect(validateJvmSize('memory', s)).toBe(s);
  });

  test.each(['4Gi', '4.5g', '0m', '4 g', 'four'])('fails on the JVM size %j', s => {
    expect(() => validateJvmSize('memory', s)).toThrow(/^memory: .* expected a JVM size/);
  });

  test('formats fractional CPU as millicores', () => {
    expect(formatCpuQuantity(4)).toBe('4');
    expect(formatCpuQuantity(3.5)).toBe('3500m');
    expect(formatCpuQuantity(0.25)).toBe('250m');
  });
});

describe('sparkConf rules of the webhook', () => {
  test.each([
    'spark.kubernetes.container.image', 'spark.kubernetes.driver.container.image', 'spark.kubernetes.executor.container.image',
    'spark.master', 'spark.kubernetes.driver.master', 'spark.kubernetes.authenticate.driver.serviceAccountName',
    'spark.kubernetes.authenticate.executor.serviceAccountName', 'spark.kubernetes.authenticate.oauthToken',
    'spark.kubernetes.authenticate.driver.oauthTokenFile', 'spark.kubernetes.driver.podTemplateFile',
    'spark.kubernetes.driver.pod.name', 'spark.kubernetes.pyspark.pythonVersion', 'spark.kubernetes.memoryOverheadFactor',
  ])('fails on the denied key %s', key => {
    expect(() => validateOperatorSparkConf('sparkConf', { [key]: 'x' }, 'spark-jobs'))
      .toThrow(new RegExp(`^sparkConf\\['${key.replace(/\./g, '\\.')}'\\]: 'x' is not valid; this key is not allowed in a SparkApplication`));
  });

  test('fails on a namespace other than the application\'s', () => {
    expect(() => validateOperatorSparkConf('sparkConf', { 'spark.kubernetes.namespace': 'other' }, 'spark-jobs'))
      .toThrow(/sparkConf\['spark.kubernetes.namespace'\]: 'other' is not valid; must equal the application namespace 'spark-jobs'/);
    expect(() => validateOperatorSparkConf('sparkConf', { 'spark.kubernetes.namespace': 'spark-jobs' }, 'spark-jobs')).not.toThrow();
  });

  test('fails on node selectors in sparkConf', () => {
    expect(() => validateOperatorSparkConf('sparkConf', { 'spark.kubernetes.node.selector.pool': 'spark' }, 'ns'))
      .toThrow(/node selectors go in driverPlacement\/executorPlacement/);
  });

  test('fails on a value that is not a string', () => {
    expect(() => validateOperatorSparkConf('sparkConf', { 'spark.sql.shuffle.partitions': 400 as any }, 'ns'))
      .toThrow(/sparkConf\['spark.sql.shuffle.partitions'\]: 400 is not valid; sparkConf values are strings/);
  });
});

describe('hadoopConf credentials', () => {
  test.each([
    'org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider', 'org.apache.hadoop.fs.s3a.TemporaryAWSCredentialsProvider',
    'software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider,org.apache.hadoop.fs.s3a.auth.IAMInstanceCredentialsProvider',
  ])('fails on the key-based provider %s', provider => {
    expect(() => validateOperatorHadoopConf('hadoopConf', { 'fs.s3a.aws.credentials.provider': provider }))
      .toThrow(/^hadoopConf\['fs.s3a.aws.credentials.provider'\]: .* is not valid; on Kubernetes S3A reads credentials from the workload identity only/);
  });

  test('also per bucket, and accepts identity providers', () => {
    expect(() => validateOperatorHadoopConf('hadoopConf', { 'fs.s3a.bucket.raw.aws.credentials.provider': 'org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider' }))
      .toThrow(/fs.s3a.bucket.raw.aws.credentials.provider/);
    expect(() => validateOperatorHadoopConf('hadoopConf', { 'fs.s3a.aws.credentials.provider': 'com.amazonaws.auth.WebIdentityTokenCredentialsProvider' })).not.toThrow();
  });
});

describe('cron schedules (robfig/cron ParseStandard)', () => {
  test.each([
    '0 3 * * *', '*/15 * * * *', '0 0 1 1 *', '0 9-17/2 * * MON-FRI', '30 4 1,15 * ?', '0 0 * JAN,jul sun',
    '@daily', '@hourly', '@every 6h', '@every 1h30m', '5/10 * * * *',
  ])('accepts %s', schedule => {
    expect(validateCronSchedule('schedule', schedule)).toBe(schedule);
  });

  test.each([
    ['', /the schedule is empty/],
    ['0 3 * *', /4 fields given, 5 needed/],
    ['0 0 3 * * *', /6 fields given, 5 needed/],
    ['60 * * * *', /60 is outside 0-59 in the minute field/],
    ['0 24 * * *', /24 is outside 0-23 in the hour field/],
    ['0 0 0 * *', /0 is outside 1-31 in the day of month field/],
    ['0 0 * 13 *', /13 is outside 1-12 in the month field/],
    ['0 0 * * 7', /7 is outside 0-6 in the day of week field/],
    ['0 0 * * MON-XYZ', /'XYZ' is not a number in the day of week field/],
    ['*/0 * * * *', /step '0' must be a positive number/],
    ['10-5 * * * *', /range '10-5' runs backwards/],
    ['0 0 L * *', /'L' is not a number in the day of month field/],
    ['@fortnightly', /unknown descriptor/],
    ['@every soon', /unknown descriptor/],
    ['CRON_TZ=Europe/Paris 0 3 * * *', /set the time zone with the timeZone prop/],
  ])('fails on %j', (schedule, why) => {
    expect(() => validateCronSchedule('schedule', schedule)).toThrow(/^schedule: .* is not valid; /);
    expect(() => validateCronSchedule('schedule', schedule)).toThrow(why);
  });
});

describe('time zones and counts', () => {
  test.each(['UTC', 'Local', 'Europe/Paris', 'America/Argentina/Buenos_Aires'])('accepts the zone %s', z => {
    expect(validateTimeZone('timeZone', z)).toBe(z);
  });

  test.each(['Mars/Olympus', 'CET+1', 'paris'])('fails on the zone %s', z => {
    expect(() => validateTimeZone('timeZone', z)).toThrow(/^timeZone: .* expected UTC or an IANA time zone/);
  });

  test('fails on fractions and out-of-range counts', () => {
    expect(() => validateWholeNumber('limit', 1.5, 1, 10)).toThrow(/^limit: 1.5 is not valid; expected a whole number from 1 to 10/);
    expect(() => validateWholeNumber('limit', 11, 1, 10)).toThrow(/^limit: 11 is not valid/);
  });
});
