import { describe, expect, it } from 'vitest';
import { type Command, commandHelp, parseCommandArgs, UsageError, urlOption } from '../../src/cli/command.ts';

const cmd: Command = {
  name: 'try',
  summary: 'a command for tests',
  usage: 'try [options]',
  options: {
    listen: { type: 'string', value: 'HOST:PORT', help: 'where to listen' },
    rounds: { type: 'string', help: 'rounds', default: '5' },
    'cors-origin': { type: 'string', help: 'origins' },
    quiet: { type: 'boolean', help: 'say less' },
  },
  async run() {
    return 0;
  },
};

function usageProblem(argv: string[]): string {
  try {
    parseCommandArgs(cmd, argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a usage error');
}

describe('parseCommandArgs says what is wrong in a few words', () => {
  it.each([
    [['--nope'], 'unknown option --nope'],
    [['-z'], 'unknown option -z'],
    [['--listen'], '--listen needs a value'],
    [['--listen', '--quiet'], '--listen needs a value'],
    [['--quiet=yes'], '--quiet takes no value'],
    [['stray'], 'unexpected argument "stray"'],
  ])('%j: %s', (argv, message) => {
    expect(usageProblem(argv)).toBe(message);
  });
});

describe('commandHelp', () => {
  it('shows the value name of each string option: given, N for a numeric default, else the last word', () => {
    const help = commandHelp(cmd);
    expect(help).toMatch(/--listen HOST:PORT +where to listen/);
    expect(help).toMatch(/--rounds N +rounds \(default: 5\)/);
    expect(help).toMatch(/--cors-origin ORIGIN +origins/);
    expect(help).toMatch(/--quiet +say less/);
  });
});

describe('urlOption', () => {
  const values = (v: string) => ({ 'rpc-url': v });
  it('accepts a URL of an allowed scheme', () => {
    expect(urlOption(values('http://127.0.0.1:8545'), 'rpc-url', ['http:', 'https:'])).toBe(
      'http://127.0.0.1:8545',
    );
  });

  it.each(['127.0.0.1:8545', 'ws://127.0.0.1:8545', 'http://', 'nonsense'])('refuses %s', (v) => {
    expect(() => urlOption(values(v), 'rpc-url', ['http:', 'https:'])).toThrow(
      `--rpc-url must be a URL (http:// or https://), got "${v}"`,
    );
  });
});
