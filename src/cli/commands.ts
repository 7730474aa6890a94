import type { Command } from './command.ts';

/**
 * Every `allegro` subcommand, loaded lazily so `allegro --help` stays fast. Add new commands here.
 */
export const COMMANDS: Record<string, () => Promise<Command>> = {
  devnet: async () => (await import('./devnet.command.ts')).devnetCommand,
  sidecar: async () => (await import('./sidecar.command.ts')).sidecarCommand,
  aggregator: async () => (await import('./aggregator.command.ts')).aggregatorCommand,
  bench: async () => (await import('./bench.command.ts')).benchCommand,
  conformance: async () => (await import('./conformance.command.ts')).conformanceCommand,
  demo: async () => (await import('./demo.command.ts')).demoCommand,
  store: async () => (await import('./store.command.ts')).storeCommand,
};
