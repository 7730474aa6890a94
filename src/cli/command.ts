import { parseArgs } from 'node:util';

/** One CLI option: its type, a default, and the line of help text shown by `--help`. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly help: string;
  readonly default?: string | boolean;
  readonly multiple?: boolean;
  readonly short?: string;
}

export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/** A subcommand of `allegro`. `run` returns the process exit code. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Usage line after `allegro `, e.g. `conformance FILE...`. */
  readonly usage: string;
  /** Longer description printed under the usage line. */
  readonly description?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  readonly allowPositionals?: boolean;
  run(values: OptionValues, positionals: string[]): Promise<number>;
}

/** Error for bad command-line input: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  readonly code = 'USAGE';
}

/** Help text for a command: usage, description and every option with its default. */
export function commandHelp(cmd: Command): string {
  const lines = [`Usage: allegro ${cmd.usage}`, '', cmd.summary];
  if (cmd.description) lines.push('', cmd.description);
  const entries = Object.entries(cmd.options);
  lines.push('', 'Options:');
  const flags = entries.map(([name, spec]) => {
    const short = spec.short ? `-${spec.short}, ` : '';
    return `${short}--${name}${spec.type === 'string' ? ' VALUE' : ''}`;
  });
  flags.push('-h, --help');
  const width = Math.max(...flags.map((f) => f.length)) + 2;
  entries.forEach(([, spec], i) => {
    const def = spec.default !== undefined && spec.default !== false ? ` (default: ${spec.default})` : '';
    lines.push(`  ${flags[i]!.padEnd(width)}${spec.help}${def}`);
  });
  lines.push(`  ${flags[flags.length - 1]!.padEnd(width)}show this help`);
  return lines.join('\n');
}

/** Parses argv for `cmd`; throws UsageError on unknown flags or stray positionals. */
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
    throw new UsageError((err as Error).message);
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
