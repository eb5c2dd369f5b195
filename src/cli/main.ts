import { CliIo, ExitCode, processIo } from './args';
import { tuneCommand } from './tune-command';

/** A subcommand: takes its own argv, returns an exit code. */
export type Command = (argv: string[], io: CliIo) => Promise<number>;

/**
 * The subcommands. Each lives in its own module; add new ones here.
 */
const COMMANDS: Record<string, { run: Command; summary: string }> = {
  tune: { run: tuneCommand, summary: 'print the tuned Spark configuration for a workload' },
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
