/**
 * The chained demo run from the page: the very machine `allegro demo` runs (src/services/demo/
 * chained-demo.machine.ts) with browser effects: Alice pays Bob and Bob at once pays Carol citing QC1, both signed
 * here with devnet keys, on a fresh block; then it waits for both to be included and reads the balances.
 */

import { type Actor, createActor, fromPromise, type InspectionEvent } from 'xstate';
import { ALPHA_USD } from '../../src/chain/tempo-tokens.ts';
import { toHex } from '../../src/protocol/bytes.ts';
import {
  type ChainedDemoActors,
  createChainedDemoMachine,
} from '../../src/services/demo/chained-demo.machine.ts';
import { request } from './api.ts';
import { payFromBrowser } from './browser-payer.ts';
import type { Stage } from './nodes.ts';

/** Each demo payment: 10 AlphaUSD, as in `allegro demo`. */
const DEMO_AMOUNT = 10_000000n;
const SETTLE_TIMEOUT_MS = 120_000;
const ON_CHAIN: ReadonlySet<Stage> = new Set(['INCLUDED', 'FINALIZED']);
const FAILED: ReadonlySet<Stage> = new Set(['REJECTED', 'EXPIRED', 'FAILED']);

export interface DemoWorld {
  readonly chainId: bigint;
  /** Address and devnet key of a named account. */
  account(name: string): { readonly address: string; readonly key: Uint8Array };
  /** Resolves when a block above the current head arrives. */
  nextBlock(): Promise<void>;
  /** Calls `listener` with every payment stage change; returns the unsubscribe. */
  onStage(listener: (txHash: string, stage: Stage) => void): () => void;
  /** The stage the page knows for a payment. */
  stageOf(txHash: string): Stage | undefined;
}

export type DemoActor = Actor<ReturnType<typeof createChainedDemoMachine>>;

/** The demo machine with browser effects, for drawing (no effect runs until an actor starts). */
export function browserDemoMachine(world: DemoWorld) {
  const actors: ChainedDemoActors = {
    freshBlock: fromPromise(() => world.nextBlock()),
    // The page runs the direct mode (LOCKED): the machine enters its escapes state only in escrow mode.
    escapes: fromPromise<void>(async () => {
      throw new Error('the page runs the direct mode: there are no escrow escapes to try');
    }),
    pay: fromPromise(async ({ input }) => {
      const payer = world.account(input.payer);
      const outcome = await payFromBrowser({
        chainId: world.chainId,
        payerKey: payer.key,
        payer: payer.address,
        to: world.account(input.to).address,
        amount: DEMO_AMOUNT,
        ...(input.parent ? { parent: input.parent } : {}),
      });
      if (!outcome.demoPayment) {
        const refusals = outcome.rejections.map((r) => `${r.validator.name}: ${r.code} ${r.message}`);
        throw new Error(
          `${input.payer} → ${input.to}: no QC (${refusals.join('; ') || outcome.payment.stage})`,
        );
      }
      return outcome.demoPayment;
    }),
    settled: fromPromise(({ input }) => settled(world, input.txHashes)),
    balances: fromPromise(async () => {
      const names = ['Alice', 'Bob', 'Carol'];
      const { balances } = await request<{ balances: { amount: string; atBlock: string }[] | null }>(
        'query ($addresses: [Address!]!, $asset: Address!) { balances(addresses: $addresses, asset: $asset) { amount atBlock } }',
        { addresses: names.map((n) => world.account(n).address), asset: toHex(ALPHA_USD) },
      );
      if (!balances) throw new Error('the aggregator reads no chain');
      return {
        atBlock: BigInt(balances[0]?.atBlock ?? 0),
        byName: Object.fromEntries(names.map((n, i) => [n, BigInt(balances[i]!.amount)])),
      };
    }),
  };
  return createChainedDemoMachine(actors);
}

/** Starts the demo; `inspect` hears every event and snapshot of it. */
export function startBrowserDemo(world: DemoWorld, inspect: (event: InspectionEvent) => void): DemoActor {
  const actor = createActor(browserDemoMachine(world), { input: { onChain: true }, inspect });
  actor.start();
  return actor;
}

/** Resolves once every payment is on chain; rejects when one fails or the time runs out. */
function settled(world: DemoWorld, txHashes: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const stages = txHashes.map((h) => world.stageOf(h));
      const failed = stages.find((s) => s && FAILED.has(s));
      if (failed) finish(new Error(`a demo payment ended ${failed}`));
      else if (stages.every((s) => s && ON_CHAIN.has(s))) finish();
    };
    const stop = world.onStage(check);
    const timer = setTimeout(
      () => finish(new Error('the demo payments were not included in time')),
      SETTLE_TIMEOUT_MS,
    );
    function finish(error?: Error) {
      stop();
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    }
    check();
  });
}
