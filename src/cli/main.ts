import { type Command, commandHelp, parseCommandArgs, UsageError } from './command.ts';
import { COMMANDS } from './commands.ts';

async function loadAll(): Promise<Command[]> {
  return Promise.all(Object.values(COMMANDS).map((load) => load()));
}

async function topLevelHelp(): Promise<string> {
  const cmds = await loadAll();
  const width = Math.max(...cmds.map((c) => c.name.length)) + 2;
  return [
    'Usage: allegro <command> [options]',
    '',
    'Allegro: preconfirmed payments on Tempo. Validator sidecars certify payments; 2f+1 certificates',
    'form a quorum certificate before the next block: in direct mode (LOCKED) the funds are locked, not escrowed.',
    '',
    'Commands:',
    ...cmds.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Run `allegro <command> --help` for the options of a command.',
  ].join('\n');
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(await topLevelHelp());
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (!load) {
    console.error(`allegro: unknown command "${name}"\n\n${await topLevelHelp()}`);
    return 2;
  }
  const cmd = await load();
  try {
    const { values, positionals, help } = parseCommandArgs(cmd, rest);
    if (help) {
      console.log(commandHelp(cmd));
      return 0;
    }
    return await cmd.run(values, positionals);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`allegro ${cmd.name}: ${err.message}\n\n${commandHelp(cmd)}`);
      return 2;
    }
    throw err;
  }
}
