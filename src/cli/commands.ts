import type { Command } from './command.ts';

/** A command as the top-level help lists it; `load` imports its module (and so its dependencies) on demand. */
export interface CommandEntry {
  readonly summary: string;
  load(): Promise<Command>;
}

/**
 * Every `allegro` subcommand. Each is imported only when it runs, so `allegro --help` and each command load
 * nothing they do not use. Add new commands here.
 */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  devnet: {
    summary: 'run a local Tempo node (anvil --network tempo) with funded demo accounts',
    load: async () => (await import('./devnet.command.ts')).devnetCommand,
  },
  sidecar: {
    summary: 'run a validator sidecar: certify payments over gRPC, gossip certificates with peers',
    load: async () => (await import('./sidecar.command.ts')).sidecarCommand,
  },
  aggregator: {
    summary: 'run the aggregator: GraphQL (live subscriptions), REST and gRPC over the sidecars',
    load: async () => (await import('./aggregator.command.ts')).aggregatorCommand,
  },
  bench: {
    summary: 'measure throughput: the pure protocol pipeline or a sidecar over gRPC',
    load: async () => (await import('./bench.command.ts')).benchCommand,
  },
  conformance: {
    summary: 'check hash vector files against Allegro canonical hashing',
    load: async () => (await import('./conformance.command.ts')).conformanceCommand,
  },
  demo: {
    summary: 'the chained Alice → Bob → Carol demo: devnet, sidecars and payments in one command',
    load: async () => (await import('./demo.command.ts')).demoCommand,
  },
  inspect: {
    summary: 'receive `--inspect` actor events on 127.0.0.1 and show them on a local page',
    load: async () => (await import('./inspect.command.ts')).inspectCommand,
  },
  store: {
    summary: 'store maintenance: migrate a file store of older versions into the embedded (lmdb) store',
    load: async () => (await import('./store.command.ts')).storeCommand,
  },
};
