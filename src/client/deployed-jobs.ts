import { existsSync, readFileSync } from 'fs';
import { invalidValue } from '../config/errors';

/**
 * The CloudFormation output (one per stack) in which the EMR Serverless constructs publish their jobs:
 * a JSON string mapping job name to `{ applicationId, executionRoleArn, entryPoint, entryPointArguments,
 * sparkSubmitParameters, logUri }`. CDK adds a hash to output ids created below the stack's root, so
 * keys that start with this name count too.
 */
export const JOBS_OUTPUT_NAME = 'SparkDeployJobs';

/** A job as `cdk deploy --outputs-file` recorded it. */
export interface DeployedJob {
  readonly name: string;
  readonly stackName: string;
  readonly applicationId: string;
  readonly executionRoleArn: string;
  readonly entryPoint: string;
  readonly entryPointArguments: string[];
  readonly sparkSubmitParameters?: string;
  readonly logUri?: string;
  readonly executionTimeoutMinutes?: number;
  readonly maxAttempts?: number;
}

/** Reads every job of every stack in a CDK outputs file. */
export function readDeployedJobs(file: string): DeployedJob[] {
  if (!existsSync(file)) {
    throw invalidValue('outputs file', file, 'no such file; write it with `cdk deploy --outputs-file <file>`, or pass --outputs-file');
  }
  let outputs: unknown;
  try {
    outputs = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw invalidValue('outputs file', file, `expected the JSON written by \`cdk deploy --outputs-file\` (${(err as Error).message})`);
  }
  if (!isObject(outputs)) {
    throw invalidValue('outputs file', file, 'expected a JSON object of stacks: { "<StackName>": { "<OutputName>": "<value>" } }');
  }
  const jobs: DeployedJob[] = [];
  for (const [stackName, stackOutputs] of Object.entries(outputs)) {
    if (!isObject(stackOutputs)) continue;
    for (const [key, value] of Object.entries(stackOutputs)) {
      if (!key.startsWith(JOBS_OUTPUT_NAME)) continue;
      jobs.push(...parseJobsOutput(stackName, key, value));
    }
  }
  return jobs;
}

/**
 * Finds one job by name (or `StackName/name` when two stacks deploy jobs of the same name). Errors name
 * the jobs the file does know.
 */
export function findDeployedJob(file: string, name: string): DeployedJob {
  const jobs = readDeployedJobs(file);
  if (jobs.length === 0) {
    throw invalidValue('outputs file', file,
      `no stack in it has a ${JOBS_OUTPUT_NAME} output; deploy an EMR Serverless job with spark-deploy and write outputs with \`cdk deploy --outputs-file ${file}\``);
  }
  const slash = name.indexOf('/');
  const matches = slash === -1
    ? jobs.filter(j => j.name === name)
    : jobs.filter(j => j.stackName === name.slice(0, slash) && j.name === name.slice(slash + 1));
  if (matches.length === 1) return matches[0];
  if (matches.length === 0) {
    const known = jobs.map(j => `${j.name} (${j.stackName})`).join(', ');
    throw invalidValue('job', name, `not in ${file}; known jobs: ${known}`);
  }
  throw invalidValue('job', name, `deployed by several stacks (${matches.map(j => j.stackName).join(', ')}); write StackName/${name}`);
}

function parseJobsOutput(stackName: string, key: string, value: unknown): DeployedJob[] {
  const field = `${stackName}.${key}`;
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch (err) {
      throw invalidValue(field, value.length > 80 ? value.slice(0, 77) + '...' : value,
        `expected a JSON string mapping job names to their deployment (${(err as Error).message})`);
    }
  }
  if (!isObject(parsed)) throw invalidValue(field, parsed, 'expected a JSON object mapping job names to their deployment');
  return Object.entries(parsed).map(([name, job]) => toDeployedJob(`${field}.${name}`, stackName, name, job));
}

function toDeployedJob(field: string, stackName: string, name: string, job: unknown): DeployedJob {
  if (!isObject(job)) throw invalidValue(field, job, 'expected { applicationId, executionRoleArn, entryPoint, ... }');
  const text = (key: string, required: boolean): string | undefined => {
    const v = job[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v === '') throw invalidValue(`${field}.${key}`, v, 'expected a non-empty string');
    return v;
  };
  const count = (key: string): number | undefined => {
    const v = job[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw invalidValue(`${field}.${key}`, v, 'expected a whole number >= 1');
    return v;
  };
  const args = job.entryPointArguments ?? [];
  if (!Array.isArray(args) || args.some(a => typeof a !== 'string')) {
    throw invalidValue(`${field}.entryPointArguments`, args, 'expected a list of strings');
  }
  return {
    name,
    stackName,
    applicationId: text('applicationId', true)!,
    executionRoleArn: text('executionRoleArn', true)!,
    entryPoint: text('entryPoint', true)!,
    entryPointArguments: args as string[],
    sparkSubmitParameters: typeof job.sparkSubmitParameters === 'string' ? job.sparkSubmitParameters : text('sparkSubmitParameters', false),
    logUri: text('logUri', false),
    executionTimeoutMinutes: count('executionTimeoutMinutes'),
    maxAttempts: count('maxAttempts'),
  };
}

function isObject(value: unknown): value is { [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
