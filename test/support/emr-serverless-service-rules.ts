/**
 * A stand-in for the checks EMR Serverless applies to a StartJobRun request, written for the tests from the
 * documented semantics (EMR-Serverless-UserGuide jobs-spark.html "Spark job properties", app-behavior.html
 * "Supported worker configurations", jobs-shuffle-optimized-disks.html, APIReference API_SparkSubmit.html, and
 * the service's own refusal quoted in aws-samples/aws-emr-utilities#175). It is deliberately separate from
 * src/config/emr-serverless-rules.ts: the tests hold the library's rules against this reading of the service.
 */

// Service defaults of the properties the checks read (jobs-spark.html).
const DEFAULTS: { [key: string]: string } = {
  'spark.dynamicAllocation.enabled': 'true',
  'spark.dynamicAllocation.initialExecutors': '3',
  'spark.dynamicAllocation.minExecutors': '0',
  'spark.executor.instances': '3',
  'spark.driver.cores': '4',
  'spark.executor.cores': '4',
  'spark.driver.memory': '14g',
  'spark.executor.memory': '14g',
  'spark.emr-serverless.memoryOverheadFactor': '0.1',
};

// Largest worker memory (GB) of each vCPU size (app-behavior.html).
const MAX_WORKER_GB: { [cpu: number]: number } = { 1: 8, 2: 16, 4: 30, 8: 60, 16: 120 };

/** Words of a shell-quoted string: single quotes, double quotes, backslashes (no expansion). */
export function shellWords(text: string): string[] {
  const out: string[] = [];
  // Each word is a run of quoted or bare pieces; whitespace between pieces ends the word.
  const word = /(?:'[^']*'|"(?:[^"\\]|\\.)*"|\\.|[^\s'"\\])+/g;
  for (const m of text.matchAll(word)) {
    out.push(m[0].replace(/'([^']*)'|"((?:[^"\\]|\\.)*)"|\\(.)/g,
      (_all, single, double, escaped) => single ?? (double !== undefined ? double.replace(/\\(.)/g, '$1') : escaped)));
  }
  const rest = text.replace(word, '').trim();
  if (rest !== '') throw new Error(`cannot parse sparkSubmitParameters: unbalanced ${rest}`);
  return out;
}

/** The `--conf` pairs of sparkSubmitParameters, later ones winning. */
export function confOf(parameters: string): { [key: string]: string } {
  const words = shellWords(parameters);
  const conf: { [key: string]: string } = {};
  words.forEach((w, i) => {
    if (w === '--conf') {
      const pair = words[i + 1];
      conf[pair.slice(0, pair.indexOf('='))] = pair.slice(pair.indexOf('=') + 1);
    }
  });
  return conf;
}

function mebibytes(size: string): number {
  const m = /^(\d+)([kmgt]?)$/i.exec(size.trim());
  if (!m) return NaN;
  return Number(m[1]) * ({ '': 1, 'k': 1 / 1024, 'm': 1, 'g': 1024, 't': 1048576 } as { [u: string]: number })[m[2].toLowerCase()];
}

/**
 * Why the service would refuse a run with these Spark properties (or undefined when it would accept it).
 * `releaseMinor` is [major, minor] of the release when known (shuffle-optimized disks need 7.1).
 */
export function refusalOf(properties: { [key: string]: string }, releaseMinor?: [number, number]): string | undefined {
  const p = { ...DEFAULTS, ...properties };
  const int = (key: string) => Number(p[key]);
  if (p['spark.dynamicAllocation.enabled'] !== 'false' && p['spark.dynamicAllocation.maxExecutors'] !== undefined) {
    const min = int('spark.dynamicAllocation.minExecutors');
    const max = int('spark.dynamicAllocation.maxExecutors');
    const initial = Math.max(int('spark.dynamicAllocation.initialExecutors'), min, int('spark.executor.instances'));
    if (!(min <= initial && initial <= max)) {
      return `Maximum value of spark.dynamicAllocation.initialExecutors: ${initial} must be between spark.dynamicAllocation.minExecutor ${min} and spark.dynamicAllocation.maxExecutors ${max}.`;
    }
  }
  if (p['spark.shuffle.service.enabled'] === 'true') return 'spark.shuffle.service.enabled is not supported';
  const factor = Number(p['spark.emr-serverless.memoryOverheadFactor']);
  if (!(factor > 0 && factor <= 1)) return `invalid spark.emr-serverless.memoryOverheadFactor ${p['spark.emr-serverless.memoryOverheadFactor']}`;
  for (const role of ['driver', 'executor']) {
    const cores = int(`spark.${role}.cores`);
    const maxGb = MAX_WORKER_GB[cores];
    if (maxGb === undefined) return `Unsupported value for spark.${role}.cores: ${p[`spark.${role}.cores`]}`;
    const heap = mebibytes(p[`spark.${role}.memory`]);
    const overhead = p[`spark.${role}.memoryOverhead`] !== undefined ? mebibytes(p[`spark.${role}.memoryOverhead`]) : Math.max(384, factor * heap);
    if (!(heap + overhead <= maxGb * 1024)) return `spark.${role}.memory ${p[`spark.${role}.memory`]} with overhead exceeds ${maxGb} GB for ${cores} vCPU`;
    const type = (p[`spark.emr-serverless.${role}.disk.type`] ?? 'standard').toLowerCase();
    if (type !== 'standard' && type !== 'shuffle_optimized') return `Unsupported disk type ${type}`;
    if (type === 'shuffle_optimized' && releaseMinor && (releaseMinor[0] < 7 || (releaseMinor[0] === 7 && releaseMinor[1] < 1))) {
      return 'shuffle_optimized disks are not supported by this release';
    }
    const disk = p[`spark.emr-serverless.${role}.disk`];
    if (disk !== undefined) {
      const gb = /^(\d+)[gG]$/.exec(disk) ? Number(disk.slice(0, -1)) : NaN;
      const top = type === 'shuffle_optimized' ? 2000 : 200;
      if (!(gb >= 20 && gb <= top)) return `spark.emr-serverless.${role}.disk ${disk} must be between 20G and ${top}G`;
    }
  }
  return undefined;
}

/** Why the service would refuse a StartJobRun request body (REST JSON), or undefined. */
export function refusalOfStartJobRun(body: any): string | undefined {
  const submit = body?.jobDriver?.sparkSubmit ?? {};
  const params: string = submit.sparkSubmitParameters ?? '';
  if (params.length > 102400) return '1 validation error detected: Value at \'jobDriver.sparkSubmit.sparkSubmitParameters\' failed to satisfy constraint: Member must have length less than or equal to 102400';
  if (typeof submit.entryPoint !== 'string' || submit.entryPoint.length < 1 || submit.entryPoint.length > 4096) {
    return 'Value at \'jobDriver.sparkSubmit.entryPoint\' failed to satisfy constraint: Member must have length between 1 and 4096';
  }
  if ((submit.entryPointArguments ?? []).length > 1024) return 'Value at \'jobDriver.sparkSubmit.entryPointArguments\' failed to satisfy constraint: Member must have at most 1024 items';
  const defaults = (body?.configurationOverrides?.applicationConfiguration ?? [])
    .filter((c: any) => c.classification === 'spark-defaults')
    .reduce((acc: any, c: any) => ({ ...acc, ...c.properties }), {});
  // --conf wins over the job's spark-defaults classification (jobs-spark.html, order of precedence).
  return refusalOf({ ...defaults, ...confOf(params) });
}
