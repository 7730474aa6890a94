import { parseArgs } from 'node:util';

/** One CLI option: its type, a default, and the line of help text shown by `--help`. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly help: string;
  /** What a string option's value looks like in help (`HOST:PORT`, `HEX32`, `N`, `FILE`, `URL`, …); see valueName. */
  readonly value?: string;
  readonly default?: string | boolean;
  readonly multiple?: boolean;
  readonly short?: string;
}

export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** A subcommand of `allegro`. `run` returns the process exit code. */
export interface Command {
  /** The words after `allegro`, e.g. `sidecar` or `demo grpc`. */
  readonly name: string;
  readonly summary: string;
  /** Usage line after `allegro `, e.g. `conformance FILE...`. */
  readonly usage: string;
  /** Longer description printed under the usage line. */
  readonly description?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly allowPositionals?: boolean;
  /** Commands under this one (`allegro demo grpc`), each with its own options and help. */
  readonly subcommands?: Readonly<Record<string, Command>>;
  run(values: OptionValues, positionals: string[]): Promise<number>;
}

/** Error for bad command-line input: printed as one line without a stack trace, exit code 2. */
export class UsageError extends Error {
  readonly code = 'USAGE';
}

/** Help text for a command: usage, description, subcommands and every option with its value name and default. */
export function commandHelp(cmd: Command): string {
  const lines = [`Usage: allegro ${cmd.usage}`, '', cmd.summary];
  if (cmd.description) lines.push('', cmd.description);
  const subcommands = Object.entries(cmd.subcommands ?? {});
  if (subcommands.length > 0) {
    lines.push('', 'Commands:');
    for (const [word, sub] of subcommands) lines.push(`  ${word.padEnd(14)}${sub.summary}`);
  }
  const entries = Object.entries(cmd.options);
  lines.push('', 'Options:');
  const flags = entries.map(([name, spec]) => {
    const short = spec.short ? `-${spec.short}, ` : '';
    return `${short}--${name}${spec.type === 'string' ? ` ${valueName(name, spec)}` : ''}`;
  });
  flags.push('-h, --help');
  const width = Math.max(...flags.map((f) => f.length)) + 2;
  entries.forEach(([, spec], i) => {
    const def = spec.default !== undefined && spec.default !== false ? ` (default: ${spec.default})` : '';
    lines.push(`  ${flags[i]!.padEnd(width)}${spec.help}${def}`);
  });
  lines.push(`  ${flags[flags.length - 1]!.padEnd(width)}show this help`);
  if (subcommands.length > 0)
    lines.push('', `Run \`allegro ${cmd.name} <command> --help\` for a command's options.`);
  return lines.join('\n');
}

/** The value name help shows: the spec's, else `N` for a numeric default, else the flag's last word. */
function valueName(flag: string, spec: OptionSpec): string {
  if (spec.value) return spec.value;
  if (typeof spec.default === 'string' && /^\d+$/.test(spec.default)) return 'N';
  return flag.split('-').at(-1)!.toUpperCase();
}

/** Parses argv for `cmd`; throws a one-line UsageError on unknown flags, missing values or stray positionals. */
export function parseCommandArgs(
  cmd: Command,
  argv: string[],
): { values: OptionValues; positionals: string[]; help: boolean } {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, spec] of Object.entries(cmd.options)) {
    options[name] = {
      type: spec.type,
      ...(spec.multiple ? { multiple: true } : {}),
      ...(spec.short ? { short: spec.short } : {}),
    };
  }
  try {
    const parsed = parseArgs({
      args: argv,
      options,
      allowPositionals: cmd.allowPositionals ?? false,
      strict: true,
    });
    const values: OptionValues = {};
    for (const [name, spec] of Object.entries(cmd.options))
      values[name] = parsed.values[name] ?? spec.default;
    return { values, positionals: parsed.positionals, help: parsed.values.help === true };
  } catch (err) {
    throw new UsageError(parseArgsProblem(err as Error & { code?: string }));
  }
}

/** `parseArgs`'s multi-sentence messages, said in a few words. */
function parseArgsProblem(err: Error & { code?: string }): string {
  const flag = /'(-[^']*?)(?: <value>)?'/.exec(err.message)?.[1];
  const arg = /argument '([^']*)'/.exec(err.message)?.[1];
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${flag ?? err.message}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return /does not take/.test(err.message)
        ? `${flag ?? 'an option'} takes no value`
        : `${flag ?? 'an option'} needs a value`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument "${arg ?? err.message}"`;
    default:
      return err.message;
  }
}

/** A string option's value, or a UsageError naming the flag when it is required and missing. */
export function stringOption(values: OptionValues, name: string, required: true): string;
export function stringOption(values: OptionValues, name: string, required?: false): string | undefined;
export function stringOption(values: OptionValues, name: string, required = false): string | undefined {
  const v = values[name];
  if (typeof v === 'string' && v !== '') return v;
  if (required) throw new UsageError(`--${name} is required`);
  return undefined;
}

/** A URL option whose scheme is one of `schemes` (e.g. `['http:', 'https:']`); a UsageError when malformed. */
export function urlOption(
  values: OptionValues,
  name: string,
  schemes: readonly string[],
): string | undefined {
  const v = stringOption(values, name);
  if (v === undefined) return undefined;
  const url = URL.canParse(v) ? new URL(v) : undefined;
  if (!url || !schemes.includes(url.protocol) || url.hostname === '') {
    const want = schemes.map((s) => `${s}//`).join(' or ');
    throw new UsageError(`--${name} must be a URL (${want}), got "${v}"`);
  }
  return v;
}

/** A non-negative integer option (decimal), as bigint. */
export function bigintOption(values: OptionValues, name: string): bigint | undefined {
  const v = stringOption(values, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} must be a non-negative integer, got "${v}"`);
  return BigInt(v);
}

/** A non-negative safe-integer option (decimal), as number. */
export function intOption(values: OptionValues, name: string): number | undefined {
  const v = bigintOption(values, name);
  if (v === undefined) return undefined;
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new UsageError(`--${name} is too large`);
  return Number(v);
}
