import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';

/** One job as a target renders it: entry point, arguments, every Spark property, `--py-files`. */
export interface RenderedJob {
  readonly target: 'emr-serverless' | 'spark-operator';
  readonly name: string;
  readonly entryPoint: string;
  readonly arguments: string[];
  readonly pyFiles: string[];
  /** `spark.archives` (`<uri>#<name>`): the code's dependency archive; kept out of `properties`. */
  readonly archives?: string[];
  /** Spark properties (Hadoop ones with `spark.hadoop.`), in the order the target applies them. */
  readonly properties: { [key: string]: string };
  /** The Spark version the target runs (the release's), e.g. `3.5.6`. */
  readonly sparkVersion?: string;
}

/**
 * Resolves CloudFormation intrinsics to strings: `Ref`/`Fn::GetAtt` become `{{Ref.Id}}`/`{{GetAtt.Id.Attr}}`
 * placeholders (no `:` or `/`, so that `Fn::Split` keeps them whole) and bucket URIs stay recognisable;
 * an attribute named `...Arn` becomes an S3-style ARN around its placeholder (`arn:aws:s3:::{{GetAtt...}}`),
 * so `Fn::Select`/`Fn::Split` over it give the placeholder back; `Fn::Join`/`Fn::Sub` are applied.
 */
export function resolveIntrinsics(value: any): any {
  if (Array.isArray(value)) return value.map(resolveIntrinsics);
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (keys.length === 1) {
    const [k] = keys;
    const v = value[k];
    if (k === 'Ref') return `{{Ref.${v}}}`;
    if (k === 'Fn::GetAtt') {
      const [id, attr] = Array.isArray(v) ? v : String(v).split('.');
      const placeholder = `{{GetAtt.${id}.${attr}}}`;
      return /Arn$/.test(attr) ? `arn:aws:s3:::${placeholder}` : placeholder;
    }
    if (k === 'Fn::Join') return (resolveIntrinsics(v[1]) as any[]).map(String).join(v[0]);
    if (k === 'Fn::Split') return String(resolveIntrinsics(v[1])).split(v[0]);
    if (k === 'Fn::Select') {
      const list = resolveIntrinsics(v[1]);
      const index = Number(resolveIntrinsics(v[0]));
      if (!Array.isArray(list) || index >= list.length) throw new Error(`Fn::Select ${index} out of ${JSON.stringify(list)}`);
      return list[index];
    }
    if (k === 'Fn::Sub' && typeof v === 'string') return v.replace(/\$\{([^}.]+)\}/g, (_m, id) => `{{Ref.${id}}}`);
    if (k.startsWith('Fn::')) throw new Error(`resolveIntrinsics: ${k} is not supported (value: ${JSON.stringify(v)})`);
  }
  return Object.fromEntries(keys.map(k => [k, resolveIntrinsics(value[k])]));
}

/** Splits a POSIX shell word list (single and double quotes, backslash escapes), as spark-submit's caller would. */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  let current = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\'') {
      const end = text.indexOf('\'', i + 1);
      if (end === -1) throw new Error(`unterminated single quote in: ${text}`);
      current += text.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        current += text[i++];
      }
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else {
      current += c;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}

/** `--py-files` and `--conf k=v` pairs of EMR Serverless `sparkSubmitParameters`. */
export function parseSparkSubmitParameters(text: string): { pyFiles: string[]; conf: { [key: string]: string } } {
  const words = splitShellWords(text);
  const conf: { [key: string]: string } = {};
  let pyFiles: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '--conf') {
      const pair = words[++i];
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new Error(`--conf without key=value: ${pair}`);
      conf[pair.slice(0, eq)] = pair.slice(eq + 1);
    } else if (w === '--py-files') {
      pyFiles = words[++i].split(',');
    } else {
      throw new Error(`unexpected word in sparkSubmitParameters: ${w}`);
    }
  }
  return { pyFiles, conf };
}

/**
 * The jobs of a synthesized EMR Serverless stack: the `SparkDeployJobs` output (entry point, arguments,
 * sparkSubmitParameters) over the application's `spark-defaults` (job `--conf` wins, as on EMR).
 */
export function emrJobsFromTemplate(templatePath: string): RenderedJob[] {
  const template = JSON.parse(fs.readFileSync(templatePath, 'utf8'));
  const output = template.Outputs?.SparkDeployJobs;
  if (!output) throw new Error(`${templatePath}: no SparkDeployJobs output`);
  const jobs = JSON.parse(resolveIntrinsics(output.Value));
  const apps = Object.entries<any>(template.Resources).filter(([, r]) => r.Type === 'AWS::EMRServerless::Application');
  const appDefaults = (applicationId: string): { props: { [k: string]: string }; release?: string } => {
    const app = apps.find(([id]) => applicationId.includes(`{{Ref.${id}}}`) || applicationId.includes(`{{GetAtt.${id}.`));
    if (!app) return { props: {} };
    const p = resolveIntrinsics(app[1].Properties);
    const defaults = (p.RuntimeConfiguration ?? []).find((c: any) => c.Classification === 'spark-defaults');
    return { props: defaults?.Properties ?? {}, release: p.ReleaseLabel };
  };
  return Object.entries<any>(jobs).map(([name, job]) => {
    const submit = parseSparkSubmitParameters(job.sparkSubmitParameters);
    const app = appDefaults(String(job.applicationId));
    // The dependency archive is a code file like --py-files, not a property a local run can take as is.
    const { ['spark.archives']: archives, ...conf } = submit.conf;
    return {
      target: 'emr-serverless',
      name,
      entryPoint: job.entryPoint,
      arguments: job.entryPointArguments ?? [],
      pyFiles: submit.pyFiles,
      archives: archives ? archives.split(',') : [],
      properties: { ...app.props, ...conf },
      sparkVersion: app.release,
    };
  });
}

/** The SparkApplications (and ScheduledSparkApplication templates) of synthesized cdk8s manifests. */
export function operatorJobsFromManifests(dir: string): RenderedJob[] {
  const files = fs.readdirSync(dir).filter(f => /\.ya?ml$/.test(f)).map(f => path.join(dir, f));
  const jobs: RenderedJob[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'), { uniqueKeys: true })) {
      const obj = doc.toJS();
      if (!obj || !['SparkApplication', 'ScheduledSparkApplication'].includes(obj.kind)) continue;
      const spec = obj.kind === 'SparkApplication' ? obj.spec : obj.spec.template;
      const properties: { [key: string]: string } = { ...(spec.sparkConf ?? {}) };
      for (const [k, v] of Object.entries<string>(spec.hadoopConf ?? {})) properties[`spark.hadoop.${k}`] = v;
      // The typed fields the operator turns into Spark properties.
      if (spec.driver?.cores !== undefined) properties['spark.driver.cores'] = String(spec.driver.cores);
      if (spec.driver?.memory !== undefined) properties['spark.driver.memory'] = spec.driver.memory;
      if (spec.executor?.cores !== undefined) properties['spark.executor.cores'] = String(spec.executor.cores);
      if (spec.executor?.memory !== undefined) properties['spark.executor.memory'] = spec.executor.memory;
      jobs.push({
        target: 'spark-operator',
        name: obj.metadata.name,
        entryPoint: spec.mainApplicationFile,
        arguments: spec.arguments ?? [],
        pyFiles: spec.deps?.pyFiles ?? [],
        archives: spec.deps?.archives ?? [],
        properties,
        sparkVersion: spec.sparkVersion,
      });
    }
  }
  return jobs;
}
