import { assign, type PromiseActorLogic, setup } from 'xstate';
import type { FastPayTx, QuorumCertificate } from '../../protocol/types.ts';

/** A payment of the demo once its QC formed. */
export interface DemoPayment {
  readonly txHash: string;
  readonly qc: QuorumCertificate;
  /** The payment as sent; a chained child sends it along so every sidecar can check its parent is landable. */
  readonly tx: FastPayTx;
}

/** One demo payment to make: who pays whom, citing `parent` for a chained spend. */
export interface DemoPaymentOrder {
  readonly payer: string;
  readonly to: string;
  readonly parent?: DemoPayment;
}

/** On-chain balances of the demo accounts, by name, and the block they were read at. */
export interface DemoBalances {
  readonly atBlock: bigint;
  readonly byName: Readonly<Record<string, bigint>>;
}

/** The effects the demo script invokes (implemented by demo-script.ts). */
export type ChainedDemoActors = {
  /** Resolves at the start of a new block, so both QCs get a whole block interval. */
  readonly freshBlock: PromiseActorLogic<void>;
  readonly pay: PromiseActorLogic<DemoPayment, DemoPaymentOrder>;
  /** Resolves once every payment is included on chain; rejects if one fails, expires or times out. */
  readonly settled: PromiseActorLogic<void, { readonly txHashes: readonly string[] }>;
  readonly balances: PromiseActorLogic<DemoBalances>;
  /** Escrow mode: Alice tries every way out of her payment while it settles; rejects if one works. */
  readonly escapes: PromiseActorLogic<void>;
};

export interface ChainedDemoContext {
  /** With a chain: start on a fresh block, wait for inclusion and read the balances. */
  readonly onChain: boolean;
  /** ESCROWED payments: after QC2, Alice's escapes, each failing. */
  readonly escrow?: boolean;
  readonly first?: DemoPayment;
  readonly second?: DemoPayment;
  readonly balances?: DemoBalances;
  readonly error?: string;
}

const failed = { target: '#chainedDemo.failed', actions: 'recordError' } as const;

/**
 * The chained demo as a script (reference §12.2): Alice pays Bob; Bob pays Carol at once citing QC1 as parent;
 * with a chain, both start on a fresh block and the script waits for both to be included, then reads the
 * balances. In escrow mode Alice tries her escapes between QC2 and settlement. A pure definition: the effects are
 * the invoked `actors`.
 */
export function createChainedDemoMachine(actors: ChainedDemoActors) {
  return setup({
    types: {
      context: {} as ChainedDemoContext,
      input: {} as { readonly onChain: boolean; readonly escrow?: boolean },
      output: {} as ChainedDemoContext,
    },
    actors,
    guards: {
      onChain: ({ context }) => context.onChain,
      escrow: ({ context }) => context.onChain && context.escrow === true,
    },
    actions: {
      recordError: assign({
        error: ({ event }) => {
          const error = (event as { error?: unknown }).error;
          return error instanceof Error ? error.message : String(error);
        },
      }),
    },
  }).createMachine({
    id: 'chainedDemo',
    context: ({ input }) => ({ onChain: input.onChain, ...(input.escrow ? { escrow: true } : {}) }),
    initial: 'starting',
    output: ({ context }) => context,
    states: {
      starting: { always: [{ guard: 'onChain', target: 'awaitingFreshBlock' }, { target: 'payingBob' }] },
      awaitingFreshBlock: { invoke: { src: 'freshBlock', onDone: 'payingBob', onError: failed } },
      payingBob: {
        invoke: {
          src: 'pay',
          input: { payer: 'Alice', to: 'Bob' },
          onDone: { target: 'payingCarol', actions: assign({ first: ({ event }) => event.output }) },
          onError: failed,
        },
      },
      payingCarol: {
        invoke: {
          src: 'pay',
          input: ({ context }) => ({ payer: 'Bob', to: 'Carol', parent: context.first! }),
          onDone: [
            {
              guard: 'escrow',
              target: 'escaping',
              actions: assign({ second: ({ event }) => event.output }),
            },
            {
              guard: 'onChain',
              target: 'settling',
              actions: assign({ second: ({ event }) => event.output }),
            },
            { target: 'done', actions: assign({ second: ({ event }) => event.output }) },
          ],
          onError: failed,
        },
      },
      escaping: { invoke: { src: 'escapes', onDone: 'settling', onError: failed } },
      settling: {
        invoke: {
          src: 'settled',
          input: ({ context }) => ({ txHashes: [context.first!.txHash, context.second!.txHash] }),
          onDone: 'readingBalances',
          onError: failed,
        },
      },
      readingBalances: {
        invoke: {
          src: 'balances',
          onDone: { target: 'done', actions: assign({ balances: ({ event }) => event.output }) },
          onError: failed,
        },
      },
      done: { type: 'final' },
      failed: { type: 'final' },
    },
  });
}
