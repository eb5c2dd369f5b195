import { invalidValue } from '../config/errors';
import { isJvmSize, jvmSizeMiB } from '../config/sizes';
import { isUnresolved } from '../config/unresolved';

// Checks the Spark Operator's admission webhook (v2.5.2) makes, or that nothing makes, ported here so a
// bad manifest fails at synth time instead of at `kubectl apply` or, worse, silently in the controller.
// Sources: kubeflow/spark-operator internal/webhook/*_validator.go, sparkconf_validator.go,
// internal/controller/scheduledsparkapplication/controller.go; k8s.io/apimachinery validation.

/** The longest Kubernetes name used as a DNS label or a label value. */
export const MAX_LABEL_LENGTH = 63;
/** A ScheduledSparkApplication's runs are `<name>-<19-digit timestamp>`, so its name may be 43 characters at most. */
export const MAX_SCHEDULED_NAME_LENGTH = 43;

const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
/** Kubernetes resource.Quantity (apimachinery/pkg/api/resource/quantity.go). */
const QUANTITY = /^[+]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[mkMGTPE]|[eE][+-]?\d+)?$/;

/** Throws unless `value` is a DNS-1035 label of at most `maxLength` characters (names the webhook accepts). */
export function validateDns1035Name(field: string, value: string, maxLength: number = MAX_LABEL_LENGTH): string {
  if (isUnresolved(value)) return value;
  if (typeof value !== 'string' || !DNS_1035_LABEL.test(value) || value.length > maxLength) {
    throw invalidValue(field, value,
      `expected a DNS-1035 label: lowercase letters, digits and '-', starting with a letter, ending with a letter or digit, at most ${maxLength} characters`);
  }
  return value;
}

/** Throws unless `value` is a DNS-1123 label (namespace names). */
export function validateDns1123Label(field: string, value: string): string {
  if (isUnresolved(value)) return value;
  if (typeof value !== 'string' || !DNS_1123_LABEL.test(value) || value.length > MAX_LABEL_LENGTH) {
    throw invalidValue(field, value,
      `expected a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most ${MAX_LABEL_LENGTH} characters`);
  }
  return value;
}

/** Throws unless `value` is a DNS-1123 subdomain (names of Secrets, PriorityClasses and most objects). */
export function validateDns1123Subdomain(field: string, value: string): string {
  if (isUnresolved(value)) return value;
  if (typeof value !== 'string' || !DNS_1123_SUBDOMAIN.test(value) || value.length > 253) {
    throw invalidValue(field, value, 'expected a DNS-1123 subdomain: lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit, at most 253 characters');
  }
  return value;
}

/** Throws unless `key` is a qualified label or annotation key (`[prefix/]name`). */
export function validateLabelKey(field: string, key: string): void {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const prefixOk = prefix === undefined || (prefix.length <= 253 && DNS_1123_SUBDOMAIN.test(prefix));
  if (!prefixOk || name.length > MAX_LABEL_LENGTH || !LABEL_NAME.test(name)) {
    throw invalidValue(field, key,
      'expected a label key: an optional DNS subdomain prefix and \'/\', then at most 63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit');
  }
}

/** Throws unless every key and value of `labels` is a valid Kubernetes label. */
export function validateLabels(field: string, labels: { [key: string]: string } | undefined): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    validateLabelKey(`${field} key`, key);
    if (isUnresolved(value)) continue;
    if (typeof value !== 'string' || value.length > MAX_LABEL_LENGTH || (value !== '' && !LABEL_NAME.test(value))) {
      throw invalidValue(`${field}['${key}']`, value,
        'expected a label value: empty, or at most 63 letters, digits, \'-\', \'_\' or \'.\', starting and ending with a letter or digit');
    }
  }
}

/** Throws unless every key of `annotations` is a qualified name and every value a string. */
export function validateAnnotations(field: string, annotations: { [key: string]: string } | undefined): void {
  for (const [key, value] of Object.entries(annotations ?? {})) {
    validateLabelKey(`${field} key`, key);
    if (typeof value !== 'string') {
      throw invalidValue(`${field}['${key}']`, value, 'annotation values are strings');
    }
  }
}

/** Throws unless `value` is a Kubernetes quantity such as `2`, `500m`, `20Gi`. */
export function validateQuantity(field: string, value: string): string {
  if (isUnresolved(value)) return value;
  if (typeof value !== 'string' || !QUANTITY.test(value)) {
    throw invalidValue(field, value, 'expected a Kubernetes quantity such as 2, 500m, 512Mi or 20Gi');
  }
  return value;
}

/** Throws unless `value` is a JVM size such as `7424m` or `4g` (what Spark reads for memory). */
export function validateJvmSize(field: string, value: string): string {
  if (isUnresolved(value)) return value;
  if (typeof value !== 'string' || !isJvmSize(value) || !(jvmSizeMiB(value)! > 0)) {
    throw invalidValue(field, value,
      'expected a JVM size: a positive whole number with one unit k, m, g, t or p, e.g. 7424m or 4g (Kubernetes suffixes such as Gi are not read by Spark)');
  }
  return value;
}

/** A CPU count as a Kubernetes quantity: whole cores as `4`, fractions as millicores (`3500m`). */
export function formatCpuQuantity(cpu: number): string {
  return Number.isInteger(cpu) ? String(cpu) : `${Math.round(cpu * 1000)}m`;
}

// ---- sparkConf keys the operator's webhook rejects (sparkconf_validator.go, v2.5.2) or that break our rendering.

const DENIED_SPARK_CONF: { [key: string]: string } = {
  'spark.kubernetes.authenticate.driver.serviceAccountName': 'the operator sets the service accounts from the spec; use SparkOperatorRbac',
  'spark.kubernetes.authenticate.executor.serviceAccountName': 'the operator sets the service accounts from the spec; use SparkOperatorRbac',
  'spark.kubernetes.authenticate.oauthTokenFile': 'authentication credentials are managed by the operator',
  'spark.kubernetes.authenticate.oauthToken': 'authentication credentials are managed by the operator',
  'spark.kubernetes.authenticate.driver.oauthTokenFile': 'authentication credentials are managed by the operator',
  'spark.kubernetes.authenticate.driver.oauthToken': 'authentication credentials are managed by the operator',
  'spark.kubernetes.authenticate.executor.oauthTokenFile': 'authentication credentials are managed by the operator',
  'spark.kubernetes.authenticate.executor.oauthToken': 'authentication credentials are managed by the operator',
  'spark.master': 'the operator sets the master',
  'spark.kubernetes.driver.master': 'the operator sets the master',
  'spark.kubernetes.container.image': 'use the image prop (spec.image)',
  'spark.kubernetes.driver.container.image': 'use the image prop (spec.image)',
  'spark.kubernetes.executor.container.image': 'use the image prop (spec.image)',
  // Not rejected by the webhook, but they would replace the pod templates that carry pod security and placement.
  'spark.kubernetes.driver.podTemplateFile': 'the driver pod template carries pod security and placement; use driverPlacement',
  'spark.kubernetes.executor.podTemplateFile': 'the executor pod template carries pod security and placement; use executorPlacement',
  // A fixed driver pod name collides between runs (scheduled runs, retries after TTL).
  'spark.kubernetes.driver.pod.name': 'a fixed driver pod name collides between runs; the operator names it <app>-driver',
  // Deprecated fields' keys (apache/spark#52889 removed pythonVersion; SPARK-39363 deprecated the overhead factor):
  // the spec no longer renders them, and neither may sparkConf.
  'spark.kubernetes.pyspark.pythonVersion': 'deprecated in Spark 3.1 and removed upstream; the image decides the Python',
  'spark.kubernetes.memoryOverheadFactor': 'deprecated since Spark 3.3; the configuration model sets spark.{driver,executor}.memoryOverhead',
};

/** Throws when `sparkConf` holds a key the operator rejects or that would defeat the rendered spec. */
export function validateOperatorSparkConf(field: string, sparkConf: { [key: string]: string }, namespace: string): void {
  for (const [key, value] of Object.entries(sparkConf)) {
    const denied = DENIED_SPARK_CONF[key];
    if (denied !== undefined) {
      throw invalidValue(`${field}['${key}']`, value, `this key is not allowed in a SparkApplication: ${denied}`);
    }
    if (key.startsWith('spark.kubernetes.node.selector.')) {
      throw invalidValue(`${field}['${key}']`, value, 'node selectors go in driverPlacement/executorPlacement (pod templates), not in sparkConf');
    }
    if (key === 'spark.kubernetes.namespace' && value !== namespace && !isUnresolved(value)) {
      throw invalidValue(`${field}['${key}']`, value, `must equal the application namespace '${namespace}' (or be left out)`);
    }
    if (typeof value !== 'string') {
      throw invalidValue(`${field}['${key}']`, value, 'sparkConf values are strings (the CRD is map[string]string)');
    }
  }
}

/** Credential providers that read keys from configuration, files or the environment instead of the pod's identity. */
const KEY_BASED_PROVIDER = /SimpleAWSCredentialsProvider|TemporaryAWSCredentialsProvider|EnvironmentVariableCredentialsProvider|ProfileCredentialsProvider|SystemPropertyCredentialsProvider/;

/** Throws when `hadoopConf` makes S3A read credentials from anything but the workload identity. */
export function validateOperatorHadoopConf(field: string, hadoopConf: { [key: string]: string }): void {
  for (const [key, value] of Object.entries(hadoopConf)) {
    if (/^fs\.s3a\.(bucket\.[^.]+\.)?aws\.credentials\.provider$/.test(key) && KEY_BASED_PROVIDER.test(value)) {
      throw invalidValue(`${field}['${key}']`, value,
        'on Kubernetes S3A reads credentials from the workload identity only (IRSA, EKS Pod Identity, node role); use SparkOperatorRbac\'s identity');
    }
  }
}

// ---- ScheduledSparkApplication: cron (robfig/cron v3 ParseStandard) and concurrency policy.

const CRON_FIELDS: Array<{ name: string; min: number; max: number; names?: string[] }> = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] },
  { name: 'day of week', min: 0, max: 6, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];
const CRON_DESCRIPTORS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
/** Go's time.ParseDuration units, as `@every` reads them. */
const GO_DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

/**
 * Throws unless `schedule` parses as the operator parses it: five fields (minute hour day-of-month month
 * day-of-week, with `*` (or `?`), lists, ranges, steps and JAN–DEC / SUN–SAT names), `@hourly`-style
 * descriptors, or `@every <duration>`. Time zones go in the `timeZone` prop, not a `CRON_TZ=` prefix.
 */
export function validateCronSchedule(field: string, schedule: string): string {
  if (isUnresolved(schedule)) return schedule;
  const fail = (why: string): never => {
    throw invalidValue(field, schedule, `${why}; expected a cron schedule such as '0 3 * * *', '@daily' or '@every 6h'`);
  };
  if (typeof schedule !== 'string' || schedule.trim() === '') fail('the schedule is empty');
  const text = schedule.trim();
  if (/^(CRON_)?TZ=/.test(text)) fail('set the time zone with the timeZone prop, not a CRON_TZ= prefix');
  if (text.startsWith('@')) {
    if (CRON_DESCRIPTORS.includes(text)) return schedule;
    const every = /^@every\s+(\S+)$/.exec(text);
    if (every && GO_DURATION.test(every[1])) return schedule;
    fail(`unknown descriptor (known: ${CRON_DESCRIPTORS.join(', ')}, @every <duration such as 90m or 1h30m>)`);
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 5) fail(`${fields.length} fields given, 5 needed (minute hour day-of-month month day-of-week)`);
  fields.forEach((expr, i) => checkCronField(CRON_FIELDS[i], expr, fail));
  return schedule;
}

function checkCronField(spec: typeof CRON_FIELDS[number], expr: string, fail: (why: string) => never): void {
  const value = (text: string): number => {
    const named = spec.names?.indexOf(text.toLowerCase()) ?? -1;
    if (named >= 0) return named + (spec.name === 'month' ? 1 : 0);
    if (!/^\d+$/.test(text)) fail(`'${text}' is not a number in the ${spec.name} field`);
    const n = Number(text);
    if (n < spec.min || n > spec.max) fail(`${n} is outside ${spec.min}-${spec.max} in the ${spec.name} field`);
    return n;
  };
  for (const part of expr.split(',')) {
    const [range, step, extra] = part.split('/');
    if (extra !== undefined) fail(`'${part}' has more than one '/' in the ${spec.name} field`);
    if (step !== undefined && (!/^\d+$/.test(step) || Number(step) === 0)) fail(`step '${step}' must be a positive number in the ${spec.name} field`);
    // robfig/cron reads '?' as '*' in any field.
    if (range === '*' || range === '?') continue;
    const bounds = range.split('-');
    if (bounds.length > 2 || bounds.some(b => b === '')) fail(`'${range}' is not a value or a range in the ${spec.name} field`);
    const lo = value(bounds[0]);
    const hi = bounds.length === 2 ? value(bounds[1]) : lo;
    if (hi < lo) fail(`range '${range}' runs backwards in the ${spec.name} field`);
  }
}

/** Throws unless `timeZone` is `UTC`, `Local` or an IANA zone name such as `Europe/Paris`. */
export function validateTimeZone(field: string, timeZone: string): string {
  if (isUnresolved(timeZone)) return timeZone;
  if (timeZone === 'UTC' || timeZone === 'Local') return timeZone;
  let known = false;
  try {
    known = /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)+$/.test(timeZone) && new Intl.DateTimeFormat('en-US', { timeZone }).resolvedOptions().timeZone !== undefined;
  } catch {
    known = false;
  }
  if (!known) throw invalidValue(field, timeZone, 'expected UTC or an IANA time zone such as Europe/Paris');
  return timeZone;
}

/** Throws unless `value` is a whole number in [min, max]. */
export function validateWholeNumber(field: string, value: number, min: number, max: number): number {
  if (isUnresolved(value)) return value;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidValue(field, value, `expected a whole number from ${min} to ${max}`);
  }
  return value;
}
