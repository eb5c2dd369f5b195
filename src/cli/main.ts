import { CliIo, ExitCode, processIo } from './args';
import { listCommand } from './list-command';
import { localCommand } from './local-command';
import { logsCommand } from './logs-command';
import { cancelCommand, statusCommand, waitCommand } from './status-command';
import { submitCommand } from './submit-command';
import { tuneCommand } from './tune-command';

/** A subcommand: takes its own argv, returns an exit code. */
export type Command = (argv: string[], io: CliIo) => Promise<number>;

/**
 * The subcommands. Each lives in its own module; add new ones here.
 */
const COMMANDS: Record<string, { run: Command; summary: string }> = {
  tune: { run: tuneCommand, summary: 'print the tuned Spark configuration for a workload' },
  local: { run: localCommand, summary: 'run an entry point on local Spark with the rendered configuration (local run <entry-point>)' },
  submit: { run: submitCommand, summary: 'start an EMR Serverless job run (--wait to follow it to the end)' },
  status: { run: statusCommand, summary: 'show the state, billed resources and Spark UI link of a job run' },
  wait: { run: waitCommand, summary: 'wait for a job run to end (cancels it on timeout or Ctrl-C)' },
  cancel: { run: cancelCommand, summary: 'cancel a job run' },
  logs: { run: logsCommand, summary: 'print the Spark driver stdout/stderr of a job run from S3' },
  list: { run: listCommand, summary: 'list the job runs of an application' },
};

/** Registers a subcommand (used by modules that add commands). */
export function registerCommand(name: string, run: Command, summary: string): void {
  COMMANDS[name] = { run, summary };
}

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map(n => n.length));
  return 'Usage: spark-deploy <command> [flags]\n\nCommands:\n' +
    Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`).join('\n') +
    '\n\nRun `spark-deploy <command> --help` for a command\'s flags.\n';
}

/** Entry point of the `spark-deploy` command line. */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage());
    return name ? ExitCode.OK : ExitCode.USAGE;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`spark-deploy: unknown command '${name}'; expected one of ${Object.keys(COMMANDS).join(', ')}\n`);
    return ExitCode.USAGE;
  }
  return command.run(rest, io);
}
