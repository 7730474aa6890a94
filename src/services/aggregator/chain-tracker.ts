import type { PaymentEvent } from '../../actors/payment-events.ts';
import { sidecarHeads } from '../../actors/sidecar-heads.ts';
import type { BlockReader, ChainBlock } from '../../chain/block-transactions.ts';
import type { ChainHead, ChainPort } from '../../chain/chain-port.ts';
import { bytesEqual, toHex } from '../../protocol/bytes.ts';
import { faultTolerance } from '../../protocol/committee.ts';
import { parseTip20Transfer } from '../../protocol/tempo/tip20-transfer.ts';
import type { Effects } from '../../protocol/types.ts';
import type { Store } from '../../store/store.ts';
import type { Logger } from '../../util/logger.ts';
import type { SidecarLink } from '../shared/sidecar-links.ts';
import type { Aggregator } from './aggregator.ts';
import type { PaymentRecord } from './payment-records.ts';

export interface ChainTrackerOptions {
  readonly aggregator: Aggregator;
  /**
   * The aggregator's own Tempo node (`--rpc-url`); without it the head is the (f+1)-th highest the sidecars report
   * and on-chain stages come from f+1 agreeing sidecars.
   */
  readonly chain?: { readonly port: ChainPort; readonly reader: BlockReader };
  readonly links: readonly SidecarLink[];
  /** Where the last scanned block height is kept across restarts. */
  readonly store: Store;
  /** Blocks on top of the including block before a payment is FINALIZED. */
  readonly finalityDepth: number;
  /** Sidecar head polling interval without a chain. */
  readonly headPollMs: number;
  readonly logger: Logger;
}

const SCANNED_KEY = 'aggregator/chain/scanned';
/** Blocks scanned after a restart at most; a payment included further back keeps its last stage. */
const MAX_CATCH_UP = 1024n;

/**
 * Moves payments through their on-chain stages from what the aggregator reads itself (fixes reference §14: the
 * backend never produced INCLUDED or FINALIZED). With a chain every block is scanned once, in order: a transaction
 * holding an open payment's contention key (sender, nonce key, sequence) is that payment's INCLUDED (FAILED if it
 * reverted) when it is the certified transaction (same chain hash, or for mirrored payments the same single
 * TIP-20 transfer); any other transaction took the sequence, so the payment FAILED. INCLUDED becomes FINALIZED
 * `finalityDepth` blocks later, if the chain still has its block (else it goes back and is followed again). Expiry is judged at the head's time: before its QC a payment expires at its
 * wrapper expiry (or validBefore, when earlier); once QC'd only the signed tx's validBefore counts, and only with a
 * chain: a payment past it is INCLUDED or FAILED when its lane nonce has passed (by our receipt or not), EXPIRED
 * otherwise. Without a chain a QC'd payment is followed until f+1 sidecars agree on its fate.
 */
export class ChainTracker {
  readonly #o: ChainTrackerOptions;
  readonly #stopping = new AbortController();
  #scanned: bigint | undefined;
  #target: ChainHead | undefined;
  #running: Promise<void> | undefined;
  #stopWatch: (() => void) | undefined;

  constructor(options: ChainTrackerOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    const { chain } = this.#o;
    if (!chain) {
      this.#watchSidecars();
      return;
    }
    const stored = await this.#o.store.get(SCANNED_KEY);
    const head = await chain.port.head();
    this.#scanned = stored ? BigInt(new TextDecoder().decode(stored)) : head.height;
    if (head.height - this.#scanned > MAX_CATCH_UP) this.#scanned = head.height - MAX_CATCH_UP;
    await this.#saveScanned();
    this.#onHead(head);
    this.#stopWatch = chain.port.watchHeads(
      (h) => this.#onHead(h),
      (error) => this.#o.logger.warn({ reason: error.message }, 'chain head watch failed'),
    );
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#stopWatch?.();
    await this.#running;
  }

  /** Every distinct head is the target, a lower one too (a reset): blocks above it are scanned again as they come. */
  #onHead(head: ChainHead): void {
    this.#o.aggregator.setHead(head);
    this.#target = head;
    if (this.#scanned !== undefined && head.height < this.#scanned) this.#rewind(head.height);
    this.#running ??= this.#work().finally(() => {
      this.#running = undefined;
    });
  }

  async #work(): Promise<void> {
    while (!this.#stopping.signal.aborted) {
      const target = this.#target!;
      try {
        if (this.#o.chain) await this.#scanTo(target.height);
        await this.#sweep(target);
      } catch (error) {
        this.#o.logger.warn({ reason: String(error) }, 'chain scan failed; retrying at the next head');
        return;
      }
      if (this.#target === target) return;
    }
  }

  async #scanTo(height: bigint): Promise<void> {
    while (this.#scanned! < height && !this.#stopping.signal.aborted) {
      const next = this.#scanned! + 1n;
      const block = await this.#o.chain!.reader.block(next);
      if (!block) return;
      await this.#scanBlock(block);
      this.#scanned = next;
      await this.#saveScanned();
    }
  }

  /** Moves the scan position back to `height`, so the blocks above it are scanned again. */
  #rewind(height: bigint): void {
    if (this.#scanned !== undefined && height < this.#scanned) this.#scanned = height;
  }

  /** Keeps the scan position, so blocks mined while this process is down are scanned after its restart. */
  #saveScanned(): Promise<void> {
    return this.#o.store.put(SCANNED_KEY, new TextEncoder().encode(this.#scanned!.toString()));
  }

  async #scanBlock(block: ChainBlock): Promise<void> {
    const { aggregator } = this.#o;
    const at = Date.now();
    const blockNumber = block.head.height.toString();
    for (const tx of block.transactions) {
      for (const key of aggregator.byContention(tx.sender, tx.nonceKey, tx.nonce)) {
        const open = aggregator.openPayment(key);
        if (!open || open.view.stage === 'INCLUDED') continue;
        const { record } = open;
        const ours = record.chainTxHash
          ? bytesEqual(record.chainTxHash, tx.hash)
          : tx.calls.length === 1 && paysEffects(tx.calls[0]!, record.effects);
        if (!ours) {
          await aggregator.advance(key, {
            type: 'FAILED',
            at,
            message: `sequence ${tx.nonce} was taken by transaction ${toHex(tx.hash)} in block ${blockNumber}`,
          });
          continue;
        }
        const receipt = await this.#o.chain!.port.receipt(tx.hash);
        await aggregator.advance(
          key,
          receipt?.success === false
            ? { type: 'FAILED', at, message: `reverted in block ${blockNumber}` }
            : { type: 'INCLUDED', at, blockNumber, blockHash: toHex(block.head.hash) },
        );
      }
    }
  }

  /**
   * With a chain, an included payment whose block the chain no longer has (a reorg, or a reset to genesis) goes
   * back (INCLUSION_LOST) and its blocks are scanned again; one whose block is `finalityDepth` deep is FINALIZED.
   * Then the fate of payments past their deadline.
   */
  async #sweep(head: ChainHead): Promise<void> {
    const at = Date.now();
    for (const { key, record, view } of this.#o.aggregator.openPayments()) {
      const inclusion = view.context.inclusion;
      if (view.stage === 'INCLUDED' && inclusion && this.#o.chain) {
        const blockNumber = BigInt(inclusion.blockNumber);
        const block = await this.#o.chain.reader.block(blockNumber);
        if (!block || toHex(block.head.hash) !== inclusion.blockHash) {
          await this.#o.aggregator.advance(key, {
            type: 'INCLUSION_LOST',
            at,
            message: `the chain no longer has block ${inclusion.blockNumber} ${inclusion.blockHash}`,
          });
          this.#rewind(blockNumber - 1n);
        } else if (head.height >= blockNumber + BigInt(this.#o.finalityDepth)) {
          await this.#o.aggregator.advance(key, {
            type: 'FINALIZED',
            at,
            blockNumber: inclusion.blockNumber,
          });
        }
      } else if (view.stage === 'SUBMITTED' || view.stage === 'CERTIFIED') {
        const deadline = earliest(record.expiresAtMs, record.validBeforeMs);
        if (deadline !== undefined && head.timestampMs >= deadline) {
          await this.#o.aggregator.advance(key, { type: 'EXPIRED', at });
        }
      } else if (view.stage !== 'INCLUDED' && this.#o.chain && record.validBeforeMs !== undefined) {
        if (head.timestampMs >= record.validBeforeMs) {
          await this.#o.aggregator.advance(key, await this.#pastDeadline(record, head, at));
        }
      }
    }
  }

  /**
   * The fate of a QC'd payment whose validBefore has passed at `head`: its lane nonce passed on chain with our tx
   * (INCLUDED) or another one (FAILED), or it never will land (EXPIRED).
   */
  async #pastDeadline(record: PaymentRecord, head: ChainHead, at: number): Promise<PaymentEvent> {
    const { port } = this.#o.chain!;
    const { sender, nonce } = record.effects;
    if ((await port.nonce(sender, nonce.nonceKey, head.height)) <= nonce.seq) return { type: 'EXPIRED', at };
    const receipt = record.chainTxHash && (await port.receipt(record.chainTxHash));
    if (!receipt) {
      return {
        type: 'FAILED',
        at,
        message: `sequence ${nonce.seq} of its lane was used by another transaction`,
      };
    }
    return receipt.success
      ? {
          type: 'INCLUDED',
          at,
          blockNumber: receipt.blockNumber.toString(),
          blockHash: toHex(receipt.blockHash),
        }
      : { type: 'FAILED', at, message: `reverted in block ${receipt.blockNumber}` };
  }

  /** Without a chain: the (f+1)-th highest head the sidecars report (sidecarHeads), so f liars cannot move it. */
  #watchSidecars(): void {
    const heads = sidecarHeads(
      this.#o.links.map((l) => l.client),
      faultTolerance(this.#o.aggregator.committee),
      this.#o.headPollMs,
    );
    this.#stopWatch = heads.watchHeads(
      (h) => this.#onHead(h),
      (error) => this.#o.logger.debug({ reason: error.message }, 'sidecar heads'),
    );
  }
}

function earliest(a: bigint | undefined, b: bigint | undefined): bigint | undefined {
  return a === undefined ? b : b === undefined || a < b ? a : b;
}

/** True when the call is exactly the certified TIP-20 transfer. */
function paysEffects(call: Parameters<typeof parseTip20Transfer>[0], effects: Effects): boolean {
  const parsed = parseTip20Transfer(call);
  return (
    parsed.ok &&
    bytesEqual(parsed.transfer.asset, effects.asset) &&
    bytesEqual(parsed.transfer.recipient, effects.recipient) &&
    parsed.transfer.amount === effects.amount
  );
}
