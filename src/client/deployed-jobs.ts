import { existsSync, readFileSync } from 'fs';
import { invalidValue } from '../config/errors';
import { JOBS_OUTPUT_KEY, JobRunContract } from '../job/emr-job-run';

/** A job as `cdk deploy --outputs-file` recorded it: its run contract, its name and its stack. */
export interface DeployedJob extends JobRunContract {
  readonly name: string;
  readonly stackName: string;
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
      if (!key.startsWith(JOBS_OUTPUT_KEY)) continue;
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
      `no stack in it has a ${JOBS_OUTPUT_KEY} output; deploy an EMR Serverless job with spark-deploy and write outputs with \`cdk deploy --outputs-file ${file}\``);
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
    logEncryptionKeyArn: text('logEncryptionKeyArn', false),
    executionTimeoutMinutes: count('executionTimeoutMinutes'),
    maxAttempts: count('maxAttempts'),
    releaseLabel: text('releaseLabel', false),
    stateMachineArn: text('stateMachineArn', false),
  };
}

function isObject(value: unknown): value is { [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
