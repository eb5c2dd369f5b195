import { CancelJobRunCommand, StartJobRunCommand } from '@aws-sdk/client-emr-serverless';
import { EmrFixture, ENTRY, freshApplication, ROLE, runCli, startEmrFixture, stopEmrFixture } from './emr-fixture';
import { ExitCode } from '../../src/cli/args';

let f: EmrFixture;
let app: string;
let runs: string[];

beforeAll(async () => { f = await startEmrFixture(); });
afterAll(async () => stopEmrFixture(f));
beforeEach(async () => {
  app = await freshApplication(f);
  runs = [];
  for (const name of ['daily', 'hourly', 'backfill']) {
    const r = await f.direct.send(new StartJobRunCommand({
      applicationId: app, clientToken: name, executionRoleArn: ROLE, name, jobDriver: { sparkSubmit: { entryPoint: ENTRY } },
    }));
    runs.push(r.jobRunId!);
  }
  await f.direct.send(new CancelJobRunCommand({ applicationId: app, jobRunId: runs[2] }));
});

describe('spark-deploy list', () => {
  test('prints a table of the runs', async () => {
    const { code, stdout } = await runCli(['list', '--application-id', app, ...f.aws]);
    expect(code).toBe(ExitCode.OK);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^JOB RUN\s+NAME\s+STATE\s+CREATED\s+DETAILS$/);
    const rows = lines.slice(1).map(l => l.split(/\s+/).slice(0, 3));
    expect(rows.sort()).toEqual([[runs[0], 'daily', 'SUCCESS'], [runs[1], 'hourly', 'SUCCESS'], [runs[2], 'backfill', 'CANCELLED']].sort());
  });

  test('--state filters and --json prints JSON', async () => {
    const { code, stdout } = await runCli(['list', '--application-id', app, '--state', 'cancelled', '--json', ...f.aws]);
    expect(code).toBe(ExitCode.OK);
    expect(JSON.parse(stdout).map((r: any) => [r.jobRunId, r.state])).toEqual([[runs[2], 'CANCELLED']]);
    expect(f.proxy.of('ListJobRuns')[0].path).toContain('states=CANCELLED');
  });

  test('--max-results caps the list', async () => {
    const { stdout } = await runCli(['list', '--application-id', app, '--max-results', '2', '--json', ...f.aws]);
    expect(JSON.parse(stdout)).toHaveLength(2);
  });

  test('says so when no run matches', async () => {
    const { code, stdout } = await runCli(['list', '--application-id', app, '--state', 'RUNNING', ...f.aws]);
    expect(code).toBe(ExitCode.OK);
    expect(stdout).toBe(`No job runs in state RUNNING on application ${app}\n`);
  });

  test('fails with exit 2 on an unknown state, naming the allowed ones', async () => {
    const { code, stderr } = await runCli(['list', '--application-id', app, '--state', 'DONE', ...f.aws]);
    expect(code).toBe(ExitCode.USAGE);
    expect(stderr).toMatch(/states: 'DONE' is not valid; expected one of .*SUCCESS/);
    expect(f.proxy.requests).toHaveLength(0);
  });

  test('fails with exit 3 for an unknown application', async () => {
    const { code, stderr } = await runCli(['list', '--application-id', 'nosuchapp00', ...f.aws]);
    expect(code).toBe(ExitCode.COULD_NOT_SUBMIT);
    expect(stderr).toMatch(/ListJobRuns failed: ResourceNotFoundException: Application nosuchapp00 does not exist/);
  });
});
