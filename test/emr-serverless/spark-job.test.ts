import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { bucket, newStack } from './fixtures';
import { evaluate } from './intrinsics';
import { JobCode } from '../../src/artifacts/job-code';
import { VersionedJobArtifact } from '../../src/artifacts/versioned-job-artifact';
import { readDeployedJobs } from '../../src/client/deployed-jobs';
import { EmrServerlessApplication, EmrServerlessApplicationProps } from '../../src/emr-serverless/application';
import { SparkJobExecutionRole } from '../../src/emr-serverless/execution-role';
import { EmrServerlessSparkJob, EmrServerlessSparkJobProps } from '../../src/emr-serverless/spark-job';
import { JOBS_OUTPUT_KEY } from '../../src/job/emr-job-run';
import { SparkJobDefinition, SparkJobDefinitionProps } from '../../src/job/spark-job-definition';
import { pythonJson } from '../artifacts/python';

const PREFIX = 'artifacts/spark_jobs/0.1.0/0123456789abcdef';

function setup(appProps: EmrServerlessApplicationProps = {}) {
  const { stack } = newStack();
  const code = VersionedJobArtifact.fromBucket(stack, 'Code', {
    bucket: bucket(stack, 'code-bucket'),
    keyPrefix: PREFIX,
    entryPoints: { features: 'entrypoints/features.py', validate: 'entrypoints/validate.py' },
  });
  const application = new EmrServerlessApplication(stack, 'App', { s3Logs: { bucket: bucket(stack, 'log-bucket') }, ...appProps });
  const executionRole = new SparkJobExecutionRole(stack, 'Runtime', { application, artifacts: [code] });
  type JobProps = Partial<EmrServerlessSparkJobProps>;
  const job = (id: string, def: Partial<SparkJobDefinitionProps>, props: JobProps = {}) => new EmrServerlessSparkJob(stack, id, {
    definition: new SparkJobDefinition({ name: 'features', code: code.code, entryPoint: 'features', ...def }),
    application,
    executionRole,
    ...props,
  });
  return { stack, code, application, executionRole, job };
}

/** Stand-in values for deploy-time attributes. */
function attrs(logicalId: string, attr?: string): string {
  if (attr === 'Arn' && /Runtime/.test(logicalId)) return 'arn:aws:iam::123456789012:role/runtime';
  if (attr === 'Arn' && /App/.test(logicalId)) return 'arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00app';
  if (attr === 'ApplicationId') return '00app';
  return `${logicalId}${attr ? '.' + attr : ''}`;
}

function stateMachineDefinition(stack: Stack): any {
  const sm = Object.values(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine'))[0] as any;
  return JSON.parse(evaluate(sm.Properties.DefinitionString, attrs));
}

describe('EmrServerlessSparkJob', () => {
  test('sparkSubmitParameters: --py-files from the artifact, then the tuned --conf pairs (parsed by Python shlex)', () => {
    // GIVEN
    const { job } = setup();

    // WHEN
    const features = job('Features', { sparkConf: { 'spark.sql.shuffle.partitions': '64' }, workload: { inputSizeGb: 100 } });

    // THEN: a POSIX shell reading of the string gives exactly the py-files and the configuration's properties.
    const words: string[] = pythonJson('import json, shlex, sys; print(json.dumps(shlex.split(sys.argv[1])))', features.sparkSubmitParameters);
    expect(words.slice(0, 2)).toEqual(['--py-files', `s3://code-bucket/${PREFIX}/spark_jobs.zip`]);
    const pairs: { [k: string]: string } = {};
    for (let i = 2; i < words.length; i += 2) {
      expect(words[i]).toBe('--conf');
      const eq = words[i + 1].indexOf('=');
      pairs[words[i + 1].slice(0, eq)] = words[i + 1].slice(eq + 1);
    }
    expect(pairs).toEqual(features.configuration.properties());
    expect(pairs['spark.sql.shuffle.partitions']).toBe('64');
    expect(pairs['spark.executor.cores']).toBe('4');
    expect(features.entryPointUri).toBe(`s3://code-bucket/${PREFIX}/entrypoints/features.py`);
  });

  test('a job tuned for its own worker shape', () => {
    const { job } = setup();
    const big = job('Big', {}, { executor: { cpu: 16, memoryGb: 64 }, executorInstances: 4 });
    expect(big.configuration.get('spark.executor.cores')).toBe('16');
    expect(big.configuration.get('spark.executor.instances')).toBe('4');
    expect(big.configuration.get('spark.dynamicAllocation.enabled')).toBe('false');
  });

  test('the state machine uses the optimized startJobRun.sync integration with a per-execution client token', () => {
    // GIVEN / WHEN
    const { stack, job } = setup({ releaseLabel: 'emr-7.12.0' });
    job('Features', { arguments: ['--input', 's3://raw/in', '--output', 's3://out/f'], timeoutMinutes: 90, retry: { maxAttempts: 3 } }, { stateMachine: true });

    // THEN
    const definition = stateMachineDefinition(stack);
    const task = definition.States[definition.StartAt];
    expect(task.Type).toBe('Task');
    expect(task.Resource).toBe('arn:aws:states:::emr-serverless:startJobRun.sync');
    expect(task.Parameters).toEqual({
      'ApplicationId': '00app',
      'ExecutionRoleArn': 'arn:aws:iam::123456789012:role/runtime',
      'Name': 'features',
      'ClientToken.$': 'States.UUID()',
      'ExecutionTimeoutMinutes': 90,
      'RetryPolicy': { MaxAttempts: 3 },
      // The application's log location, sent with every run as the CLI sends it.
      'ConfigurationOverrides': { MonitoringConfiguration: { S3MonitoringConfiguration: { LogUri: 's3://log-bucket/emr-serverless-logs/' } } },
      'JobDriver': {
        SparkSubmit: {
          EntryPoint: `s3://code-bucket/${PREFIX}/entrypoints/features.py`,
          EntryPointArguments: ['--input', 's3://raw/in', '--output', 's3://out/f'],
          SparkSubmitParameters: expect.stringMatching(/^--py-files s3:\/\/code-bucket\/.*spark_jobs.zip --conf spark\.executor\.cores=4 /),
        },
      },
    });
    // Step Functions outlives every EMR attempt.
    expect(definition.TimeoutSeconds).toBe((90 * 3 + 60) * 60);
  });

  test('the state machine role holds exactly the .sync permissions, PassRole limited to EMR Serverless', () => {
    const { stack, job } = setup();
    job('Features', {}, { stateMachine: true });
    const template = Template.fromStack(stack);
    const policy = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('FeaturesStateMachineRole') }] } }))[0] as any;
    const statements = evaluate(policy.Properties.PolicyDocument.Statement, attrs);
    const byAction = (a: string) => statements.find((s: any) => [s.Action].flat().includes(a));
    expect(byAction('emr-serverless:StartJobRun').Resource).toBe('arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00app');
    expect(byAction('emr-serverless:GetJobRun').Resource).toBe('arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00app/jobruns/*');
    expect(byAction('emr-serverless:CancelJobRun').Resource).toBe('arn:aws:emr-serverless:eu-west-1:123456789012:/applications/00app/jobruns/*');
    expect(byAction('iam:PassRole')).toEqual({
      Action: 'iam:PassRole',
      Effect: 'Allow',
      Resource: 'arn:aws:iam::123456789012:role/runtime',
      Condition: { StringEquals: { 'iam:PassedToService': 'emr-serverless.amazonaws.com' } },
    });
    expect(byAction('events:PutRule')).toEqual({
      Action: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
      Effect: 'Allow',
      Resource: 'arn:aws:events:eu-west-1:123456789012:rule/StepFunctionsGetEventsForEMRServerlessJobRule',
    });
    expect(JSON.stringify(statements)).not.toMatch(/StopJobRun|DescribeApplication|emrserverless:/);
  });

  test('a schedule starts the state machine through a role scoped to this account\'s schedules', () => {
    const { stack, job } = setup();
    job('Features', {}, { schedule: scheduler.ScheduleExpression.cron({ hour: '2', minute: '0' }) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 2 * * ? *)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: { Arn: { Ref: Match.stringLikeRegexp('FeaturesStateMachine') }, RoleArn: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012', 'aws:SourceArn': Match.anyValue() } },
        })],
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Action: 'states:StartExecution', Effect: 'Allow', Resource: { Ref: Match.stringLikeRegexp('FeaturesStateMachine') } }] },
    });
  });

  test('failed, timed-out or aborted executions raise an alarm and match an EventBridge rule for this state machine', () => {
    const { stack, job } = setup();
    const features = job('Features', {}, { stateMachine: true });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        'detail': { stateMachineArn: [{ Ref: Match.stringLikeRegexp('FeaturesStateMachine') }], status: ['FAILED', 'TIMED_OUT', 'ABORTED'] },
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'failed + timedOut + aborted' })]),
    });
    expect(features.failureAlarm).toBeDefined();
  });

  test('without a state machine, failures come from the application\'s FAILED-run rule', () => {
    const { stack, application, job } = setup();
    const features = job('Features', {});
    expect(features.failedRunsRule).toBe(application.onJobRunFailed());
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 0);
    template.resourceCountIs('AWS::Events::Rule', 1);
  });

  test('the runtime role can read the job code\'s version prefix: the job binds its code (the bucket\'s own grantRead)', () => {
    const { stack, code, application } = setup();
    // A role given no artifacts: the job's binding alone grants the read.
    const executionRole = new SparkJobExecutionRole(stack, 'BareRuntime', { application });
    new EmrServerlessSparkJob(stack, 'Features', {
      definition: new SparkJobDefinition({ name: 'features', code: code.code, entryPoint: 'features' }), application, executionRole,
    });
    const policy = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('BareRuntime') }] } }))[0] as any;
    const statements = evaluate(policy.Properties.PolicyDocument.Statement, attrs);
    expect(statements).toContainEqual({
      Action: ['s3:GetObject*', 's3:GetBucket*', 's3:List*'], Effect: 'Allow', Resource: ['arn:aws:s3:::code-bucket', `arn:aws:s3:::code-bucket/${PREFIX}/*`],
    });
    // No other object of the code bucket.
    expect(statements.flatMap((st: any) => [st.Resource].flat()).filter((r: string) => r.startsWith('arn:aws:s3:::code-bucket/')))
      .toEqual([`arn:aws:s3:::code-bucket/${PREFIX}/*`]);
  });

  test('grantStartRun gives a submitter StartJobRun, GetJobRun, CancelJobRun and PassRole, but not the .sync rule', () => {
    const { stack, job } = setup();
    const features = job('Features', {});
    const ci = new iam.Role(stack, 'Ci', { assumedBy: new iam.AccountRootPrincipal() });
    features.grantStartRun(ci);
    const policy = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('Ci') }] } }))[0] as any;
    const actions = policy.Properties.PolicyDocument.Statement.flatMap((s: any) => [s.Action].flat()).sort();
    expect(actions).toEqual(['emr-serverless:CancelJobRun', 'emr-serverless:GetJobRun', 'emr-serverless:StartJobRun', 'iam:PassRole']);
  });

  test('grantStartRunAndWait returns one grant: the run permissions and the .sync managed rule', () => {
    const { stack, job } = setup();
    const grant = job('Features', {}).grantStartRunAndWait(new iam.Role(stack, 'Waiter', { assumedBy: new iam.AccountRootPrincipal() }));
    expect(grant.principalStatements.flatMap(st => st.actions).sort()).toEqual([
      'emr-serverless:CancelJobRun', 'emr-serverless:GetJobRun', 'emr-serverless:StartJobRun',
      'events:DescribeRule', 'events:PutRule', 'events:PutTargets', 'iam:PassRole',
    ]);
  });

  test('startJobRunTask takes per-run arguments from the state input', () => {
    const { stack, job } = setup();
    const features = job('Features', { arguments: ['--default'] });
    const task = features.startJobRunTask(stack, 'Dynamic', { argumentsPath: '$.arguments', resultPath: '$.run' });
    const json = stack.resolve(task.toStateJson()) as any;
    expect(json.Parameters.JobDriver.SparkSubmit['EntryPointArguments.$']).toBe('$.arguments');
    expect(json.Parameters.JobDriver.SparkSubmit.EntryPointArguments).toBeUndefined();
    expect(json.ResultPath).toBe('$.run');
  });

  test('every job lands in the one SparkDeployJobs output, which the CLI\'s outputs reader accepts', () => {
    // GIVEN
    const { stack, job } = setup();
    job('Features', { arguments: ['--input', 's3://raw/in'], timeoutMinutes: 60 });
    job('Validate', { name: 'validate', entryPoint: 'validate', arguments: ['--input', 's3://a', '--reference', 's3://b', '--output', 's3://c'] }, { stateMachine: true });

    // WHEN: CloudFormation resolves the output; `cdk deploy --outputs-file` writes it.
    const outputs = Template.fromStack(stack).toJSON().Outputs;
    expect(Object.keys(outputs)).toEqual([JOBS_OUTPUT_KEY]);
    const value = evaluate(outputs[JOBS_OUTPUT_KEY].Value, attrs);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'outputs-')), 'outputs.json');
    fs.writeFileSync(file, JSON.stringify({ Test: { [JOBS_OUTPUT_KEY]: value } }));

    // THEN
    const jobs = readDeployedJobs(file);
    expect(jobs.map(j => j.name)).toEqual(['features', 'validate']);
    expect(jobs[0]).toMatchObject({
      stackName: 'Test',
      applicationId: '00app',
      executionRoleArn: 'arn:aws:iam::123456789012:role/runtime',
      entryPoint: `s3://code-bucket/${PREFIX}/entrypoints/features.py`,
      entryPointArguments: ['--input', 's3://raw/in'],
      logUri: 's3://log-bucket/emr-serverless-logs/',
      executionTimeoutMinutes: 60,
      maxAttempts: 1,
    });
    expect(jobs[0].sparkSubmitParameters).toMatch(/^--py-files /);
    expect(JSON.parse(value).validate.stateMachineArn).toMatch(/ValidateStateMachine/);
  });

  describe('fails on bad props, naming the field', () => {
    test('code baked into an image', () => {
      const { stack, application, executionRole } = setup();
      const definition = new SparkJobDefinition({ name: 'features', code: JobCode.fromImage({ root: '/opt/jobs', entryPoints: { features: 'features.py' } }), entryPoint: 'features' });
      expect(() => new EmrServerlessSparkJob(stack, 'J', { definition, application, executionRole })).toThrow(/definition.code: '\/opt\/jobs' is not valid; EMR Serverless reads job code from S3/);
    });

    test('retries before EMR 7.1', () => {
      const { job } = setup({ releaseLabel: 'emr-7.0.0' });
      expect(() => job('J', { retry: { maxAttempts: 2 } })).toThrow(/definition.retry.maxAttempts: 2 is not valid; job retries need EMR 7.1.0 or later \(release is emr-7.0.0\)/);
    });

    test('a streaming-only retry setting on a batch job', () => {
      const { job } = setup();
      expect(() => job('J', { retry: { maxAttempts: 2, maxFailedAttemptsPerHour: 5 } })).toThrow(/definition.retry.maxFailedAttemptsPerHour: 5 is not valid; applies to streaming/);
    });

    test('a schedule without its state machine', () => {
      const { job } = setup();
      expect(() => job('J', {}, { schedule: scheduler.ScheduleExpression.rate(Duration.hours(1)), stateMachine: false })).toThrow(/stateMachine: false is not valid; a schedule starts/);
    });

    test('an arguments path that is not JSONPath', () => {
      const { stack, job } = setup();
      const j = job('J', {});
      expect(() => j.startJobRunTask(stack, 'T', { argumentsPath: 'arguments' })).toThrow(/argumentsPath: 'arguments' is not valid; expected a JSONPath/);
    });

    test('two jobs of the same name in a stack', () => {
      const { job } = setup();
      job('A', {});
      expect(() => job('B', {})).toThrow(/definition.name: 'features' is not valid; job names must be unique within a stack/);
    });

    test('a job worker shape EMR Serverless does not offer', () => {
      const { job } = setup();
      expect(() => job('J', {}, { executor: { cpu: 4, memoryGb: 31 } })).toThrow(/executor.memoryGb: 31 is not valid; a 4-vCPU EMR Serverless worker takes 8-30 GB/);
    });

    test('an empty argument', () => {
      const { job } = setup();
      expect(() => job('J', { arguments: ['--input', ''] })).toThrow(/definition.arguments\[1\]: '' is not valid; 1 to 10280 characters; EMR Serverless rule 'entry-point-arguments'/);
    });
  });
});

describe('EmrServerlessSparkJob and the application\'s capacity (EMR Serverless rules)', () => {
  const warnings = (stack: Stack) => Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('pre-initialized'));
  const capOf = (j: EmrServerlessSparkJob) => Number(j.configuration.get('spark.dynamicAllocation.maxExecutors'));

  test('a default cap above the maximum capacity is lowered to what fits, with the reason', () => {
    // GIVEN the example's application: 20 executors of 4 vCPU / 16 GB plus the driver (84 vCPU, 336 GB)
    const { application, job } = setup({ maxExecutors: 20 });
    expect(application.maximumCapacity).toEqual({ cpu: 84, memoryGb: 336, diskGb: 420 });
    // WHEN a 50 GB Python-heavy job would want 25 executors
    const features = job('Features', { workload: { inputSizeGb: 50, pythonHeavy: true } });
    // THEN it is capped at the 20 that fit, and driver + 20 executors stay within every dimension
    expect(capOf(features)).toBe(20);
    expect(features.configuration.reasons()['spark.dynamicAllocation.maxExecutors'])
      .toBe('25 by the input, lowered to the 20 that fit: the application\'s maximumCapacity (84 vCPU, 336 GB, 420 GB disk) holds a 4 vCPU/16 GB driver and 20 executor(s) of 4 vCPU/16 GB (disks 20/20 GB)');
    expect(4 + 20 * 4).toBeLessThanOrEqual(84);
    expect(features.sparkSubmitParameters).toContain('--conf spark.dynamicAllocation.maxExecutors=20');
  });

  test('a job with bigger executors gets fewer of them', () => {
    const { job } = setup({ maxExecutors: 20 });
    const big = job('Big', { workload: { inputSizeGb: 5000 } }, { executor: { cpu: 16, memoryGb: 64 } });
    // (84 - 4) / 16 = 5 vCPU-wise; (336 - 16) / 64 = 5 memory-wise; disk (420 - 20) / 20 = 20.
    expect(capOf(big)).toBe(5);
  });

  test('an explicit cap the maximum capacity cannot hold fails at synth, naming the rule and its source', () => {
    const { job } = setup({ maxExecutors: 20 });
    expect(() => job('J', {}, { maxExecutors: 25 })).toThrow(
      /job features: maxExecutors: '25' is not valid; at most 20 executor\(s\) fit: the application's maximumCapacity \(84 vCPU, 336 GB, 420 GB disk\).*rule 'maximum-capacity'.*app-behavior.html#max-capacity/);
    expect(() => job('K', {}, { executorInstances: 21 })).toThrow(/executorInstances: '21' is not valid; at most 20 executor\(s\) fit/);
    const { job: onSmall } = setup({ maximumCapacity: { cpu: 16, memoryGb: 64 } });
    // 3 executors of 4 vCPU fit next to the driver; the service starts 3, so the cap of 3 passes too.
    expect(capOf(onSmall('S', { workload: { inputSizeGb: 100 } }))).toBe(3);
  });

  test('a job whose shapes differ from the pre-initialized workers warns that they sit idle; matching shapes do not', () => {
    const { stack, job } = setup({ initialCapacity: { driverWorkers: 1, executorWorkers: 2 } });
    job('Matching', {});
    expect(warnings(stack)).toHaveLength(0);
    const other = job('Other', { name: 'other' }, { executor: { cpu: 8, memoryGb: 32 } });
    const found = warnings(stack);
    // The executor differs (8 vCPU vs 4) and so does the driver derived from it (4 vCPU / 16 GB either way: no warning for it).
    expect(found).toHaveLength(1);
    expect(found[0].id).toBe(`/${other.node.path}`);
    expect(found[0].entry.data).toMatch(/job other: its executor worker \(8 vCPU, 32 GB, 20 GB standard disk\) differs from the application's 2 pre-initialized executor worker\(s\) \(4 vCPU, 16 GB, 20 GB standard disk\).*pre-init-capacity.html/);
  });

  test('an application cap its own maximum capacity cannot hold fails; a default one is lowered', () => {
    const { stack } = newStack();
    expect(() => new EmrServerlessApplication(stack, 'A', { maxExecutors: 30, maximumCapacity: { cpu: 44, memoryGb: 400 } }))
      .toThrow(/maxExecutors: '30' is not valid; at most 10 executor\(s\) fit: the application's maximumCapacity \(44 vCPU, 400 GB\).*'maximum-capacity'/);
    const app = new EmrServerlessApplication(stack, 'B', { maximumCapacity: { cpu: 44, memoryGb: 400 } });
    expect(app.configuration.get('spark.dynamicAllocation.maxExecutors')).toBe('10');
  });
});
