import { type ActorRefFrom, fromCallback } from 'xstate';
import type { ChainHead, ChainPort } from '../chain/chain-port.ts';
import { fromHex, toHex } from '../protocol/bytes.ts';
import { latestWins } from '../util/latest-wins.ts';
import type { PaymentEvent } from './payment-events.ts';
import type { PaymentView } from './payment-registry.ts';

/**
 * What the chain watcher is told: follow a payment's receipt (again at once: its stage changed, e.g. it lost its
 * inclusion), or stop (it reached a final stage).
 */
export type ChainWatcherEvent =
  | { readonly type: 'WATCH'; readonly txHash: string }
  | { readonly type: 'UNWATCH'; readonly txHash: string };

export interface ChainWatcherDeps {
  /** Heads; with `receipt`, the receipts of watched payments are read at every head. */
  readonly chain: Pick<ChainPort, 'watchHeads'> & Partial<Pick<ChainPort, 'receipt'>>;
  /** Every new head, first thing (the system stamps block heights with it). */
  readonly onHead: (head: ChainHead) => void;
  readonly get: (txHash: string) => PaymentView | undefined;
  readonly deliver: (txHash: string, event: PaymentEvent) => void;
  /** Blocks on top of the including block before a payment is FINALIZED. */
  readonly finalityDepth: number;
  readonly now: () => number;
  readonly onError: (error: Error) => void;
}

/**
 * Follows the chain's heads and, for each watched payment, confirms its settlement from the chain itself:
 * a receipt of its signed tx (`chainTxHash`) once the QC formed makes it INCLUDED (FAILED when reverted), and
 * `finalityDepth` blocks on top of its block, with its receipt still in that block, make it FINALIZED; a receipt
 * gone or moved takes it back (INCLUSION_LOST) and it is watched again. Every distinct head counts, a lower one
 * too (the chain was reset). Sidecars report the same stages; whichever comes first moves the payment, and a
 * payment whose sidecars are gone (or a restarted observer) still settles.
 */
export function chainWatcherLogic(deps: ChainWatcherDeps) {
  return fromCallback<ChainWatcherEvent>(({ receive }) => {
    const watched = new Set<string>();
    let latest: ChainHead | undefined;

    const checks = latestWins<ChainHead>(
      async (head) => {
        for (const txHash of watched) {
          const view = deps.get(txHash);
          if (!view) {
            watched.delete(txHash);
            continue;
          }
          const event = await settlementEvent(deps, view, head);
          if (event) deps.deliver(txHash, event);
        }
      },
      (error) => deps.onError(error as Error),
    );
    const stop = deps.chain.watchHeads((head) => {
      latest = head;
      deps.onHead(head);
      checks.offer(head);
    }, deps.onError);

    receive((event) => {
      if (event.type === 'UNWATCH') watched.delete(event.txHash);
      else {
        watched.add(event.txHash);
        if (latest) checks.offer(latest);
      }
    });
    return stop;
  });
}

export type ChainWatcherRef = ActorRefFrom<ReturnType<typeof chainWatcherLogic>>;

/**
 * The stage the chain shows for `view` at `head`, when it differs from the payment's. An included payment whose
 * receipt is gone or names another block lost its inclusion (a reorg, or a chain reset); it is FINALIZED only
 * when the receipt still names its block `finalityDepth` blocks below the head.
 */
async function settlementEvent(
  deps: ChainWatcherDeps,
  view: PaymentView,
  head: ChainHead,
): Promise<PaymentEvent | undefined> {
  const { context, stage } = view;
  const watchesReceipts = context.chainTxHash !== undefined && deps.chain.receipt !== undefined;
  const at = deps.now();
  if (stage === 'INCLUDED' && context.inclusion) {
    const { blockNumber, blockHash } = context.inclusion;
    if (watchesReceipts) {
      const receipt = await deps.chain.receipt!(fromHex(context.chainTxHash!, 32));
      if (!receipt || toHex(receipt.blockHash) !== blockHash) {
        const message = receipt
          ? `block ${blockNumber} was reorganised away; the tx is now in block ${receipt.blockNumber}`
          : `the chain no longer has block ${blockNumber} ${blockHash} or the tx`;
        return { type: 'INCLUSION_LOST', at, message };
      }
    }
    return head.height >= BigInt(blockNumber) + BigInt(deps.finalityDepth)
      ? { type: 'FINALIZED', at, blockNumber }
      : undefined;
  }
  if ((stage !== 'QC_FORMED' && stage !== 'QUEUED_ONCHAIN') || !watchesReceipts) return undefined;
  const receipt = await deps.chain.receipt!(fromHex(context.chainTxHash!, 32));
  if (!receipt) return undefined;
  return receipt.success
    ? {
        type: 'INCLUDED',
        at,
        blockNumber: receipt.blockNumber.toString(),
        blockHash: toHex(receipt.blockHash),
      }
    : { type: 'FAILED', at, message: `reverted in block ${receipt.blockNumber}` };
}
