import type { Command } from './command.ts';

/**
 * Every `allegro` subcommand, loaded lazily so `allegro --help` stays fast. Add new commands here.
 */
export const COMMANDS: Record<string, () => Promise<Command>> = {
  conformance: async () => (await import('./conformance.command.ts')).conformanceCommand,
};
