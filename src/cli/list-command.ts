import { CliIo, ExitCode, flag, numberFlag, parseArgs, UsageError } from './args';
import { applicationIdFromFlags, CONNECTION_FLAGS, CONNECTION_USAGE, deployedJobFromFlags, reportError, runnerFromFlags, statusJson } from './job-run-command';

export const LIST_USAGE = `Usage: spark-deploy list (--application-id ID | --job NAME) [--state STATE ...] [--max-results N] [--json]

Lists the newest job runs of an application (--state repeats: RUNNING, FAILED, ...).
${CONNECTION_USAGE}
`;

/** `spark-deploy list`. */
export async function listCommand(argv: string[], io: CliIo): Promise<number> {
  try {
    const args = parseArgs(argv, { values: [...CONNECTION_FLAGS, 'state', 'max-results'], booleans: ['json', 'help'] });
    if (flag(args, 'help')) throw new UsageError(LIST_USAGE);
    if (args.positionals.length > 0) throw new UsageError(`list: unexpected argument '${args.positionals[0]}'`);
    const json = flag(args, 'json') === 'true';
    const applicationId = applicationIdFromFlags(args, deployedJobFromFlags(args));
    const maxResults = numberFlag(args, 'max-results') ?? 20;
    if (!Number.isInteger(maxResults) || maxResults < 1) throw new UsageError(`--max-results: '${maxResults}' must be a whole number >= 1`);
    const states = (args.flags.get('state') ?? []).map(s => s.toUpperCase());
    const runs = await runnerFromFlags(args, io, json).list(applicationId, { states, maxResults });
    if (json) {
      io.stdout(JSON.stringify(runs.map(statusJson), null, 2) + '\n');
      return ExitCode.OK;
    }
    if (runs.length === 0) {
      io.stdout(`No job runs${states.length ? ` in state ${states.join(' or ')}` : ''} on application ${applicationId}\n`);
      return ExitCode.OK;
    }
    const rows = runs.map(r => [r.jobRunId, r.name ?? '', r.state, r.createdAt ?? '', r.stateDetails ?? '']);
    const header = ['JOB RUN', 'NAME', 'STATE', 'CREATED', 'DETAILS'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map(row => row[i].length)));
    for (const row of [header, ...rows]) {
      io.stdout(row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ').trimEnd() + '\n');
    }
    return ExitCode.OK;
  } catch (err) {
    return reportError(io, 'list', err, LIST_USAGE);
  }
}
