import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { bucket, newStack } from './fixtures';
import { JobCode } from '../../src/artifacts/job-code';
import { DiskType } from '../../src/config/types';
import { EmrServerlessApplication, EmrServerlessApplicationProps } from '../../src/emr-serverless/application';
import { CloudWatchLogType, EmrServerlessArchitecture } from '../../src/emr-serverless/application-options';
import { SparkJobExecutionRole } from '../../src/emr-serverless/execution-role';
import { EmrServerlessSparkJob } from '../../src/emr-serverless/spark-job';
import { SparkJobDefinition } from '../../src/job/spark-job-definition';

function synthApp(props: EmrServerlessApplicationProps = {}) {
  const { stack } = newStack();
  const app = new EmrServerlessApplication(stack, 'App', props);
  return { stack, app, template: Template.fromStack(stack) };
}

describe('EmrServerlessApplication', () => {
  test('cost-safe defaults: Graviton, auto start, auto stop after 15 minutes, capacity for one full run, no warm workers', () => {
    // GIVEN / WHEN
    const { template } = synthApp();

    // THEN
    template.hasResourceProperties('AWS::EMRServerless::Application', {
      Type: 'Spark',
      ReleaseLabel: 'emr-7.12.0',
      Architecture: 'ARM64',
      AutoStartConfiguration: { Enabled: true },
      AutoStopConfiguration: { Enabled: true, IdleTimeoutMinutes: 15 },
      // 1 driver + 20 executors of 4 vCPU / 16 GB / 20 GB disk.
      MaximumCapacity: { Cpu: `${4 + 20 * 4} vCPU`, Memory: `${16 + 20 * 16} GB`, Disk: `${20 + 20 * 20} GB` },
      MonitoringConfiguration: { ManagedPersistenceMonitoringConfiguration: { Enabled: true } },
      InitialCapacity: Match.absent(),
      NetworkConfiguration: Match.absent(),
    });
    template.hasResource('AWS::EMRServerless::Application', { DeletionPolicy: 'Delete' });
  });

  test('spark-defaults fill each 4 vCPU / 16 GB worker: heap + max(384 MiB, 10%) fits the worker', () => {
    const { template } = synthApp();
    const app = Object.values(template.findResources('AWS::EMRServerless::Application'))[0] as any;
    const [defaults] = app.Properties.RuntimeConfiguration;
    expect(defaults.Classification).toBe('spark-defaults');
    const heapMiB = Number(/^(\d+)m$/.exec(defaults.Properties['spark.executor.memory'])![1]);
    expect(heapMiB + Math.max(384, Math.ceil(0.1 * heapMiB))).toBeLessThanOrEqual(16 * 1024);
    expect(heapMiB + 64 + Math.max(384, Math.ceil(0.1 * (heapMiB + 64)))).toBeGreaterThan(16 * 1024);
    expect(defaults.Properties['spark.executor.cores']).toBe('4');
    expect(defaults.Properties['spark.dynamicAllocation.maxExecutors']).toBe('20');
    expect(defaults.Properties['spark.shuffle.service.enabled']).toBeUndefined();
  });

  test('renders every supported CfnApplication setting from typed props', () => {
    // GIVEN
    const { stack } = newStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const logGroup = new logs.LogGroup(stack, 'Logs');

    // WHEN
    const app = new EmrServerlessApplication(stack, 'App', {
      applicationName: 'spark-etl',
      releaseLabel: 'emr-7.5.0',
      architecture: EmrServerlessArchitecture.X86_64,
      executor: { cpu: 8, memoryGb: 32, diskGb: 100, diskType: DiskType.SHUFFLE_OPTIMIZED },
      driver: { cpu: 2, memoryGb: 8 },
      maxExecutors: 10,
      initialCapacity: { driverWorkers: 1, executorWorkers: 2 },
      maximumCapacity: { cpu: 200, memoryGb: 800 },
      autoStart: false,
      idleTimeout: Duration.minutes(30),
      vpc,
      imageUri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/spark:7.5',
      executorImageUri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/spark-exec:7.5',
      s3Logs: { bucket: bucket(stack, 'log-bucket'), prefix: 'logs/emr', encryptionKey: key },
      cloudWatchLogs: { logGroup, streamPrefix: 'etl', driverLogTypes: [CloudWatchLogType.STDERR] },
      managedPersistenceKey: key,
      prometheusRemoteWriteUrl: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1234/api/v1/remote_write',
      maxConcurrentRuns: 5,
      queueTimeout: Duration.hours(2),
      interactive: { studio: true },
      identityCenterInstanceArn: 'arn:aws:sso:::instance/ssoins-1234567890abcdef',
      tags: { team: 'data' },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const template = Template.fromStack(stack);

    // THEN
    expect(app.logUri).toBe('s3://log-bucket/logs/emr/');
    template.hasResourceProperties('AWS::EMRServerless::Application', {
      Name: 'spark-etl',
      ReleaseLabel: 'emr-7.5.0',
      Architecture: 'X86_64',
      InitialCapacity: Match.arrayWith([
        { Key: 'Driver', Value: { WorkerCount: 1, WorkerConfiguration: { Cpu: '2 vCPU', Memory: '8 GB', Disk: '20 GB' } } },
        { Key: 'Executor', Value: { WorkerCount: 2, WorkerConfiguration: { Cpu: '8 vCPU', Memory: '32 GB', Disk: '100 GB', DiskType: 'SHUFFLE_OPTIMIZED' } } },
      ]),
      MaximumCapacity: { Cpu: '200 vCPU', Memory: '800 GB' },
      AutoStartConfiguration: { Enabled: false },
      AutoStopConfiguration: { Enabled: true, IdleTimeoutMinutes: 30 },
      NetworkConfiguration: { SubnetIds: Match.anyValue(), SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('AppSecurityGroup'), 'GroupId'] }] },
      ImageConfiguration: { ImageUri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/spark:7.5' },
      WorkerTypeSpecifications: { Executor: { ImageConfiguration: { ImageUri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/spark-exec:7.5' } } },
      MonitoringConfiguration: {
        S3MonitoringConfiguration: { LogUri: 's3://log-bucket/logs/emr/', EncryptionKeyArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Key'), 'Arn'] } },
        ManagedPersistenceMonitoringConfiguration: { Enabled: true, EncryptionKeyArn: Match.anyValue() },
        CloudWatchLoggingConfiguration: {
          Enabled: true,
          LogGroupName: { Ref: Match.stringLikeRegexp('Logs') },
          LogStreamNamePrefix: 'etl',
          LogTypeMap: [{ Key: 'SPARK_DRIVER', Value: ['STDERR'] }, { Key: 'SPARK_EXECUTOR', Value: ['STDERR'] }],
        },
        PrometheusMonitoringConfiguration: { RemoteWriteUrl: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1234/api/v1/remote_write' },
      },
      SchedulerConfiguration: { MaxConcurrentRuns: 5, QueueTimeoutMinutes: 120 },
      InteractiveConfiguration: { LivyEndpointEnabled: false, StudioEnabled: true, SessionEnabled: false },
      IdentityCenterConfiguration: { IdentityCenterInstanceArn: 'arn:aws:sso:::instance/ssoins-1234567890abcdef' },
      Tags: [{ Key: 'team', Value: 'data' }],
    });
    template.hasResource('AWS::EMRServerless::Application', { DeletionPolicy: 'Retain' });
    // spark-defaults carry the shuffle-optimized disk the worker config asks for.
    const cfn = Object.values(template.findResources('AWS::EMRServerless::Application'))[0] as any;
    expect(cfn.Properties.RuntimeConfiguration[0].Properties).toMatchObject({
      'spark.emr-serverless.executor.disk': '100G',
      'spark.emr-serverless.executor.disk.type': 'shuffle_optimized',
      'spark.executor.cores': '8',
      'spark.driver.cores': '2',
    });
  });

  test('grantStartJobRun grants the real actions and PassRole to EMR Serverless only', () => {
    const { stack } = newStack();
    const app = new EmrServerlessApplication(stack, 'App');
    const runtime = new iam.Role(stack, 'Runtime', { assumedBy: new iam.ServicePrincipal('emr-serverless.amazonaws.com') });
    const submitter = new iam.Role(stack, 'Submitter', { assumedBy: new iam.AccountRootPrincipal() });
    app.grantStartJobRun(submitter, runtime);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('Submitter') }],
      PolicyDocument: {
        Statement: [
          { Action: 'emr-serverless:StartJobRun', Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('App'), 'Arn'] } },
          { Action: ['emr-serverless:GetJobRun', 'emr-serverless:CancelJobRun'], Effect: 'Allow', Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('App'), 'Arn'] }, '/jobruns/*']] } },
          { Action: 'iam:PassRole', Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('Runtime'), 'Arn'] }, Condition: { StringEquals: { 'iam:PassedToService': 'emr-serverless.amazonaws.com' } } },
        ],
      },
    });
    // Non-existent actions the anchors grant are not here.
    expect(JSON.stringify(template.toJSON())).not.toMatch(/StopJobRun|DescribeApplication|emrserverless:/);
  });

  test('onJobRunFailed matches FAILED runs of this application, one shared rule', () => {
    const { stack } = newStack();
    const app = new EmrServerlessApplication(stack, 'App');
    expect(app.onJobRunFailed()).toBe(app.onJobRunFailed());
    Template.fromStack(stack).resourceCountIs('AWS::Events::Rule', 1);
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.emr-serverless'],
        'detail-type': ['EMR Serverless Job Run State Change'],
        'detail': { applicationId: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('App'), 'ApplicationId'] }], state: ['FAILED'] },
      },
    });
  });

  describe('fails on bad props, naming the field', () => {
    const cases: Array<[string, EmrServerlessApplicationProps, RegExp]> = [
      ['an application name with spaces', { applicationName: 'my app' }, /applicationName: 'my app' is not valid; expected 1-64 letters/],
      ['an unknown release', { releaseLabel: 'emr-5.36.0' }, /releaseLabel: 'emr-5.36.0' is not valid; expected a known EMR Serverless release label/],
      ['a 3-vCPU worker', { executor: { cpu: 3, memoryGb: 12 } }, /executor.cpu: 3 is not valid; EMR Serverless workers have 1, 2, 4, 8, 16 vCPU/],
      ['memory outside the vCPU range', { executor: { cpu: 2, memoryGb: 17 } }, /executor.memoryGb: 17 is not valid; a 2-vCPU EMR Serverless worker takes 4-16 GB/],
      ['an 8-vCPU worker off the 4 GB step', { executor: { cpu: 8, memoryGb: 18 } }, /executor.memoryGb: 18 is not valid; .* steps of 4 GB/],
      ['shuffle-optimized disks before 7.1', { releaseLabel: 'emr-7.0.0', executor: { cpu: 4, memoryGb: 16, diskType: DiskType.SHUFFLE_OPTIMIZED } }, /executor.diskType: .* need EMR 7.1.0 or later/],
      ['a maximum capacity smaller than a driver and an executor', { maximumCapacity: { cpu: 6, memoryGb: 64 } }, /maximumCapacity.cpu: 6 is not valid; at least 8 to hold 1 driver/],
      ['a maximum capacity below the pre-initialized workers', { initialCapacity: { executorWorkers: 10 }, maximumCapacity: { cpu: 400, memoryGb: 100 } }, /maximumCapacity.memoryGb: 100 is not valid; at least 176/],
      ['fractional capacity', { maximumCapacity: { cpu: 10.5, memoryGb: 100 } }, /maximumCapacity.cpu: 10.5 is not valid; expected a whole number/],
      ['negative pre-initialized workers', { initialCapacity: { driverWorkers: -1 } }, /initialCapacity.driverWorkers: -1 is not valid/],
      ['an idle timeout in seconds', { idleTimeout: Duration.seconds(90) }, /idleTimeout: '1 minute 30 seconds' is not valid; expected whole minutes from 1 to 10080/],
      ['an idle timeout over 7 days', { idleTimeout: Duration.days(8) }, /idleTimeout: '8 days' is not valid/],
      ['zero concurrent runs', { maxConcurrentRuns: 0 }, /maxConcurrentRuns: 0 is not valid; expected a whole number from 1 to 1000/],
      ['a queue timeout under 15 minutes', { queueTimeout: Duration.minutes(10) }, /queueTimeout: '10 minutes' is not valid; expected whole minutes from 15 to 720/],
      ['concurrency settings on EMR 6', { releaseLabel: 'emr-6.15.0', maxConcurrentRuns: 5 }, /maxConcurrentRuns: 5 is not valid; job concurrency and queueing need EMR 7.0.0/],
      ['Prometheus on EMR 7.0', { releaseLabel: 'emr-7.0.0', prometheusRemoteWriteUrl: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write' }, /prometheusRemoteWriteUrl: .* need EMR 7.1.0 or later/],
      ['a Prometheus URL that is not a remote-write endpoint', { prometheusRemoteWriteUrl: 'https://example.com/write' }, /prometheusRemoteWriteUrl: 'https:\/\/example.com\/write' is not valid/],
      ['an image without tag or digest', { imageUri: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/spark' }, /imageUri: .* expected an ECR image URI with a tag or digest/],
      ['a driver image in upper case', { driverImageUri: 'Registry/Spark:1' }, /driverImageUri: 'Registry\/Spark:1' is not valid/],
      ['an Identity Center ARN of the wrong shape', { identityCenterInstanceArn: 'arn:aws:sso:::instance/abc' }, /identityCenterInstanceArn: .* expected arn:<partition>:sso:::instance\/ssoins-/],
      ['a tag key with a comma', { tags: { 'a,b': 'x' } }, /tags: 'a,b' is not valid; tag keys are 1-128/],
      ['a log prefix with a trailing slash', { s3Logs: { bucket: undefined as any, prefix: 'logs/' } }, /s3Logs.prefix: 'logs\/' is not valid/],
      ['no CloudWatch log types', { cloudWatchLogs: { executorLogTypes: [] } }, /cloudWatchLogs.executorLogTypes: \[\] is not valid; expected one or more of STDOUT, STDERR/],
      ['a log stream prefix with a colon', { cloudWatchLogs: { streamPrefix: 'a:b' } }, /cloudWatchLogs.streamPrefix: 'a:b' is not valid/],
      ['Spark overrides the model rejects', { sparkConf: { 'spark.shuffle.service.enabled': 'true' } }, /spark.shuffle.service.enabled/],
    ];
    test.each(cases)('%s', (_name, props, message) => {
      const { stack } = newStack();
      const withBucket = props.s3Logs ? { ...props, s3Logs: { ...props.s3Logs, bucket: bucket(stack) } } : props;
      expect(() => new EmrServerlessApplication(stack, 'App', withBucket)).toThrow(message);
    });

    test('security groups without a VPC', () => {
      const { stack } = newStack();
      const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 1, natGateways: 0 });
      const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc });
      expect(() => new EmrServerlessApplication(stack, 'App', { securityGroups: [sg] })).toThrow(/securityGroups: 1 is not valid; security groups need a vpc/);
    });
  });
});

describe('grants return one iam.Grant holding every statement they add', () => {
  const actionsOf = (grant: iam.Grant) => grant.principalStatements.flatMap(st => st.actions).sort();

  test('grantStartJobRun: StartJobRun, GetJobRun, CancelJobRun and PassRole', () => {
    const { stack } = newStack();
    const app = new EmrServerlessApplication(stack, 'App');
    const runtime = new iam.Role(stack, 'Runtime', { assumedBy: new iam.ServicePrincipal('emr-serverless.amazonaws.com') });
    const grant = app.grantStartJobRun(new iam.Role(stack, 'Submitter', { assumedBy: new iam.AccountRootPrincipal() }), runtime);
    expect(grant.success).toBe(true);
    expect(actionsOf(grant)).toEqual(['emr-serverless:CancelJobRun', 'emr-serverless:GetJobRun', 'emr-serverless:StartJobRun', 'iam:PassRole']);
  });

  test('grantLogWrite: the S3 prefix, the log group and both KMS keys; nothing to grant without logs', () => {
    const { stack } = newStack();
    const s3Key = new kms.Key(stack, 'S3Key');
    const app = new EmrServerlessApplication(stack, 'App', {
      s3Logs: { bucket: new s3.Bucket(stack, 'Logs'), encryptionKey: s3Key },
      cloudWatchLogs: { encryptionKey: new kms.Key(stack, 'CwKey') },
    });
    const grant = app.grantLogWrite(new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('emr-serverless.amazonaws.com') }));
    expect(actionsOf(grant)).toEqual(expect.arrayContaining([
      's3:GetObject*', 's3:PutObject', 'kms:Decrypt', 'kms:Encrypt', 'logs:DescribeLogGroups', 'logs:PutLogEvents',
    ]));
    // Both keys: each grantEncryptDecrypt adds one statement.
    expect(grant.principalStatements.filter(st => st.actions.includes('kms:Decrypt'))).toHaveLength(2);
    const bare = new EmrServerlessApplication(stack, 'Bare');
    const none = bare.grantLogWrite(new iam.Role(stack, 'Other', { assumedBy: new iam.AccountRootPrincipal() }));
    expect(none.principalStatements).toEqual([]);
  });
});

describe('EmrServerlessApplication.fromApplicationAttributes', () => {
  test('a job runs on an application another team owns: tuned for its release and shapes, grants on its ARN, its logs written', () => {
    // GIVEN an application owned elsewhere, and a job of ours on it
    const { stack } = newStack();
    const logBucket = bucket(stack, 'their-logs');
    const app = EmrServerlessApplication.fromApplicationAttributes(stack, 'Theirs', {
      applicationId: '00theirapp',
      releaseLabel: 'emr-7.12.0',
      executorShape: { cpu: 8, memoryGb: 32 },
      maximumCapacity: { cpu: 40, memoryGb: 160 },
      s3Logs: { bucket: logBucket, prefix: 'spark' },
    });
    const code = JobCode.fromBucket({ bucketName: 'code-bucket', prefix: 'code/1', entryPoints: { features: 'features.py' } });
    const executionRole = new SparkJobExecutionRole(stack, 'Runtime', { application: app });
    const job = new EmrServerlessSparkJob(stack, 'Features', {
      definition: new SparkJobDefinition({ name: 'features', code, entryPoint: 'features' }), application: app, executionRole,
    });
    const submitter = new iam.Role(stack, 'Submitter', { assumedBy: new iam.AccountRootPrincipal() });
    job.grantStartRun(submitter);

    // THEN the contract targets it, the job is bounded by its capacity (a 4 vCPU driver + 4 executors of 8 vCPU fit in 40),
    expect(job.runContract()).toMatchObject({ applicationId: '00theirapp', logUri: 's3://their-logs/spark/', releaseLabel: 'emr-7.12.0' });
    expect(job.sparkSubmitParameters).toContain('--conf spark.executor.cores=8');
    expect(job.sparkSubmitParameters).toContain('--conf spark.dynamicAllocation.maxExecutors=4');
    // grants name its ARN, and the runtime role may write its logs
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EMRServerless::Application', 0);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).map((p: any) => JSON.stringify(stack.resolve(p.Properties.PolicyDocument)));
    expect(policies.some(p => p.includes('emr-serverless:StartJobRun') && p.includes(':/applications/00theirapp'))).toBe(true);
    expect(policies.some(p => p.includes('s3:PutObject') && p.includes('their-logs/spark/*'))).toBe(true);
  });

  test('fails naming the attribute', () => {
    const { stack } = newStack();
    expect(() => EmrServerlessApplication.fromApplicationAttributes(stack, 'A', { applicationId: 'App_1', releaseLabel: 'emr-7.12.0' }))
      .toThrow(/applicationId: 'App_1' is not valid/);
    expect(() => EmrServerlessApplication.fromApplicationAttributes(stack, 'B', { applicationId: '00app', releaseLabel: 'emr-9.9.9' }))
      .toThrow(/releaseLabel: 'emr-9.9.9' is not valid/);
  });
});
