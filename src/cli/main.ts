import { type Command, commandHelp, type OptionValues, parseCommandArgs, UsageError } from './command.ts';
import { COMMANDS } from './commands.ts';
import { describeError } from './describe-error.ts';

function topLevelHelp(): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return [
    'Usage: allegro <command> [options]',
    '',
    'Allegro: preconfirmed payments on Tempo. Validator sidecars certify payments; 2f+1 certificates',
    'form a quorum certificate before the next block: in direct mode (LOCKED) the funds are locked, not escrowed.',
    '',
    'Commands:',
    ...names.map((n) => `  ${n.padEnd(width)}${COMMANDS[n]!.summary}`),
    '',
    'Run `allegro <command> --help` for the options of a command.',
    '',
    'Environment:',
    '  ALLEGRO_LOG_LEVEL  log level of the services: trace, debug, info (default), warn, error, silent',
    '  ALLEGRO_DEBUG=1    print stack traces with errors',
  ].join('\n');
}

/** Whether stack traces go with error lines (`ALLEGRO_DEBUG=1`). */
function debugging(): boolean {
  return process.env.ALLEGRO_DEBUG === '1';
}

/**
 * Prints `err` as the one line `allegro <cmd>: <what> (<hint>)` on stderr (a usage error points at the help
 * instead), the stack only under ALLEGRO_DEBUG=1, and returns the exit code: 2 for usage, 1 otherwise.
 */
export function reportError(name: string, err: unknown, values: OptionValues = {}): number {
  if (err instanceof UsageError) {
    console.error(`allegro ${name}: ${err.message} (see \`allegro ${name} --help\`)`);
    return 2;
  }
  const { what, hint } = describeError(err, values);
  console.error(`allegro ${name}: ${what} (${hint})`);
  if (debugging()) console.error(err);
  return 1;
}

/**
 * Under ALLEGRO_EXIT_WITH_PARENT=1 (set by the process that spawned this one, with a stdin pipe it never writes
 * to), the end of stdin means the parent is gone: stop as on Ctrl-C.
 */
function exitWithParent(): void {
  if (process.env.ALLEGRO_EXIT_WITH_PARENT !== '1') return;
  delete process.env.ALLEGRO_EXIT_WITH_PARENT;
  process.stdin.once('end', () => process.kill(process.pid, 'SIGTERM'));
  process.stdin.resume();
  // A lifeline only: it must not keep a finished command alive.
  (process.stdin as { unref?: () => void }).unref?.();
}

/** The command `argv` names, descending into subcommands (`demo grpc`), and the arguments left for it. */
function resolve(cmd: Command, argv: string[]): { cmd: Command; args: string[] } {
  const sub = argv[0] !== undefined ? cmd.subcommands?.[argv[0]] : undefined;
  return sub ? resolve(sub, argv.slice(1)) : { cmd, args: argv };
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  // grpc-js logs its own copy of every listen failure; the error line below says it once.
  process.env.GRPC_VERBOSITY ??= debugging() ? 'ERROR' : 'NONE';
  exitWithParent();
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(topLevelHelp());
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    console.error(`allegro: unknown command "${name}" (see \`allegro --help\`)`);
    return 2;
  }
  const { cmd, args } = resolve(await entry.load(), rest);
  let values: OptionValues = {};
  const crash = (err: unknown) => process.exit(reportError(cmd.name, err, values));
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);
  try {
    const parsed = parseCommandArgs(cmd, args);
    values = parsed.values;
    if (parsed.help) {
      console.log(commandHelp(cmd));
      return 0;
    }
    return await cmd.run(values, parsed.positionals);
  } catch (err) {
    return reportError(cmd.name, err, values);
  } finally {
    process.off('uncaughtException', crash);
    process.off('unhandledRejection', crash);
  }
}
