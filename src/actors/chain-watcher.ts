import { fromCallback } from 'xstate';
import { type ChainFreshness, FreshnessTracker } from '../chain/chain-freshness.ts';
import type { BlockTransaction, ChainBlock, ChainHead, ChainPort } from '../chain/chain-port.ts';
import { bytesEqual, toHex } from '../protocol/bytes.ts';
import { parseTip20Transfer } from '../protocol/tempo/tip20-transfer.ts';
import type { Effects } from '../protocol/types.ts';
import { DEFAULT_RULES } from '../protocol/validation/decision-rules.ts';
import type { Store } from '../store/store.ts';
import type { FollowedPayment, FollowedPayments } from './followed-payments.ts';
import type { PaymentEvent } from './payment-events.ts';

export interface ChainWatcherOptions {
  readonly payments: FollowedPayments;
  /** The heads followed: the chain's own, or without a chain the (f+1)-th highest the sidecars report. */
  readonly heads: Pick<ChainPort, 'head' | 'watchHeads'>;
  /** The observer's own Tempo node; without it on-chain stages come from f+1 agreeing sidecars only. */
  readonly chain?: Pick<ChainPort, 'block' | 'receipt' | 'nonce'>;
  /** Where the last scanned block height is kept across restarts; without it a start scans from the head. */
  readonly scanned?: { readonly store: Store; readonly key: string };
  /** Blocks on top of the including block before a payment is FINALIZED. */
  readonly finalityDepth: number;
  /** Unix millis: the `at` of the events delivered. */
  readonly now?: () => number;
  /**
   * The sidecars' `--max-expiry-ms` (default theirs, 1 hour): they certify no deadline further ahead. A payment
   * whose deadline the observer does not know (it learned it from sidecars' boards only) and that has no QC is
   * EXPIRED once this long, plus CLOCK_SKEW_MS, passed since this watcher first saw it open (its own clock: a
   * certificate's creation time is a sidecar's word).
   */
  readonly maxExpiryMs?: number;
  /** A failed head read or chain scan; the watcher goes on at the next head. */
  readonly onError: (error: Error, what: string) => void;
}

/** Blocks scanned after a restart at most; a payment included further back keeps its last stage. */
const MAX_CATCH_UP = 1024n;
/**
 * How far a block's time may trail the first certificate of a payment it includes (node and sidecar clocks): a
 * payment first seen after the scan passed blocks this recent is looked for in them too.
 */
const CLOCK_SKEW_MS = 2_000n;

/**
 * The one chain watcher (ARCHITECTURE.md "Observe"): moves payments through their on-chain stages from what the
 * observer reads itself (fixes reference §14: the backend never produced INCLUDED or FINALIZED). With a chain every
 * block is scanned once, in order: a transaction holding an open payment's contention key (sender, nonce key,
 * sequence) is that payment's INCLUDED (FAILED if it reverted) when it is the certified transaction (same chain
 * hash, or for mirrored payments the same single TIP-20 transfer); any other transaction took the sequence, so the
 * payment FAILED. A payment known by its chain hash only is INCLUDED by the transaction with that hash. INCLUDED
 * becomes FINALIZED `finalityDepth` blocks later if the chain still has its block; else it goes back
 * (INCLUSION_LOST) and the blocks above are scanned again. Every distinct head counts, a lower one too (a reset).
 * Expiry is judged at the head's time: before its QC a payment expires at its wrapper expiry (or validBefore, when
 * earlier); once QC'd only the signed tx's validBefore counts, and only with a chain: a payment past it is INCLUDED
 * or FAILED when its lane nonce has passed (by our receipt or not), EXPIRED otherwise. Without a chain, and for an
 * escrow payment (no contention key of its own on chain), a QC'd payment is followed until f+1 sidecars agree.
 * A payment the observer learns of late (mirrored from a board after its block was scanned: a slow or cut link)
 * is looked for again in the scanned blocks from its first certificate on (CLOCK_SKEW_MS before), so it is never
 * left waiting for a block that already went by.
 */
export class ChainWatcher {
  readonly #o: ChainWatcherOptions;
  readonly #now: () => number;
  readonly #unknownDeadlineMs: number;
  /** When this watcher first saw each open payment whose deadline it does not know (wall-clock millis). */
  readonly #firstSeen = new Map<string, number>();
  readonly #stopping = new AbortController();
  #stored: bigint | undefined;
  #scanned: bigint | undefined;
  #saved: bigint | undefined;
  #target: ChainHead | undefined;
  /** Open payments some scan already looked for (the rest are new since: look back for them). */
  #claimed = new Set<string>();
  /** Times of the blocks scanned lately (unix millis by height), to know how far back a late payment may be. */
  readonly #blockTimes = new Map<bigint, bigint>();
  #running: Promise<void> | undefined;
  #started: Promise<void> | undefined;
  #stopWatch: (() => void) | undefined;
  readonly #news: FreshnessTracker;

  constructor(options: ChainWatcherOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#news = new FreshnessTracker(this.#now);
    this.#unknownDeadlineMs =
      (options.maxExpiryMs ?? Number(DEFAULT_RULES.maxExpiryMs)) + Number(CLOCK_SKEW_MS);
  }

  /** Reads the stored scan position and the first head, then follows every head; idempotent. */
  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#stopWatch?.();
    this.#stopWatch = undefined;
    await this.#running;
  }

  async #start(): Promise<void> {
    const { heads, chain, scanned } = this.#o;
    const stored = chain && scanned && (await scanned.store.get(scanned.key));
    if (stored) this.#stored = BigInt(new TextDecoder().decode(stored));
    await heads.head().then(
      (head) => this.#onHead(head),
      (error: unknown) => this.#o.onError(asError(error), 'first head'),
    );
    if (this.#stopping.signal.aborted) return;
    this.#stopWatch = heads.watchHeads(
      (head) => this.#onHead(head),
      (error) => {
        this.#news.failed(error);
        this.#o.onError(error, 'chain heads');
      },
    );
  }

  /** How recent the heads are; `unreachable` only when reading its own node (sidecar heads have other signals). */
  freshness(): ChainFreshness {
    const { headAgeMs, unreachable } = this.#news.freshness();
    return { headAgeMs, ...(this.#o.chain && unreachable !== undefined ? { unreachable } : {}) };
  }

  /** Every distinct head is the target, a lower one too (a reset): blocks above it are scanned again as they come. */
  #onHead(head: ChainHead): void {
    this.#news.head();
    this.#o.payments.setHead(head);
    this.#target = head;
    if (this.#o.chain) {
      this.#scanned ??= this.#resumeAt(head.height);
      if (head.height < this.#scanned) this.#rewind(head.height);
    }
    this.#running ??= this.#work().finally(() => {
      this.#running = undefined;
    });
  }

  /** Where scanning starts: after the stored position, at most MAX_CATCH_UP blocks back, else at the head. */
  #resumeAt(height: bigint): bigint {
    const from = this.#stored ?? height;
    return height - from > MAX_CATCH_UP ? height - MAX_CATCH_UP : from;
  }

  async #work(): Promise<void> {
    while (!this.#stopping.signal.aborted) {
      const target = this.#target!;
      try {
        if (this.#o.chain) await this.#scanTo(target.height);
        await this.#sweep(target);
      } catch (error) {
        this.#o.onError(asError(error), 'chain scan failed; retrying at the next head');
        return;
      }
      if (this.#target === target) return;
    }
  }

  async #scanTo(height: bigint): Promise<void> {
    await this.#saveScanned();
    const open = [...this.#o.payments.openPayments()];
    await this.#lookBack(open.filter((p) => !this.#claimed.has(p.key)));
    this.#claimed = new Set(open.map((p) => p.key));
    if (this.#scanned! >= height) return;
    const claims = claimsOf(open);
    while (this.#scanned! < height && !this.#stopping.signal.aborted) {
      const next = this.#scanned! + 1n;
      const block = await this.#o.chain!.block(next);
      if (!block) return;
      await this.#scanBlock(block, claims);
      this.#remember(block.head);
      this.#scanned = next;
      await this.#saveScanned();
    }
  }

  /**
   * Scans again, for `late` payments only, the blocks already scanned from each one's first certificate on: a
   * payment mirrored after its block went by is found there (INCLUDED, or FAILED when another tx took its sequence).
   */
  async #lookBack(late: readonly FollowedPayment[]): Promise<void> {
    const seen = late.flatMap((p) => p.view.context.stageTimes.SUBMITTED ?? []);
    if (seen.length === 0) return;
    const from = this.#firstBlockSince(BigInt(Math.min(...seen)) - CLOCK_SKEW_MS);
    if (from === undefined) return;
    const claims = claimsOf(late);
    for (let height = from; height <= this.#scanned! && !this.#stopping.signal.aborted; height++) {
      const block = await this.#o.chain!.block(height);
      if (block) await this.#scanBlock(block, claims);
    }
  }

  /** The first remembered scanned block at or after `millis`; undefined when every scanned block is older. */
  #firstBlockSince(millis: bigint): bigint | undefined {
    let first: bigint | undefined;
    for (const [height, time] of this.#blockTimes) {
      if (time >= millis && (first === undefined || height < first)) first = height;
    }
    return first;
  }

  /** Keeps the time of a scanned block, for the last MAX_CATCH_UP blocks. */
  #remember(head: ChainHead): void {
    this.#blockTimes.set(head.height, head.timestampMs);
    this.#blockTimes.delete(head.height - MAX_CATCH_UP);
  }

  /** Moves the scan position back to `height`, so the blocks above it are scanned again. */
  #rewind(height: bigint): void {
    if (this.#scanned === undefined || height >= this.#scanned) return;
    for (let h = height + 1n; h <= this.#scanned; h++) this.#blockTimes.delete(h);
    this.#scanned = height;
  }

  /** Keeps the scan position, so blocks mined while this process is down are scanned after its restart. */
  async #saveScanned(): Promise<void> {
    const { scanned } = this.#o;
    if (!scanned || this.#saved === this.#scanned) return;
    const height = this.#scanned!;
    await scanned.store.put(scanned.key, new TextEncoder().encode(height.toString()));
    this.#saved = height;
  }

  async #scanBlock(block: ChainBlock, claims: Claims): Promise<void> {
    const { payments } = this.#o;
    const at = this.#now();
    const blockNumber = block.head.height.toString();
    for (const tx of block.transactions) {
      for (const key of claims.of(tx)) {
        const open = payments.openPayment(key);
        if (!open || open.view.stage === 'INCLUDED') continue;
        const ours = open.chainTxHash
          ? bytesEqual(open.chainTxHash, tx.hash)
          : open.effects !== undefined && tx.calls.length === 1 && paysEffects(tx.calls[0]!, open.effects);
        if (!ours) {
          await payments.advance(key, {
            type: 'FAILED',
            at,
            message: `sequence ${tx.nonce} was taken by transaction ${toHex(tx.hash)} in block ${blockNumber}`,
          });
          continue;
        }
        const receipt = await this.#o.chain!.receipt(tx.hash);
        await payments.advance(
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
    const { payments, chain } = this.#o;
    const at = this.#now();
    const open = [...payments.openPayments()];
    const stillOpen = new Set(open.map((p) => p.key));
    for (const key of this.#firstSeen.keys()) if (!stillOpen.has(key)) this.#firstSeen.delete(key);
    for (const payment of open) {
      const { key, view } = payment;
      const inclusion = view.context.inclusion;
      if (view.stage === 'INCLUDED' && inclusion && chain) {
        const blockNumber = BigInt(inclusion.blockNumber);
        const block = await chain.block(blockNumber);
        if (!block || toHex(block.head.hash) !== inclusion.blockHash) {
          await payments.advance(key, {
            type: 'INCLUSION_LOST',
            at,
            message: `the chain no longer has block ${inclusion.blockNumber} ${inclusion.blockHash}`,
          });
          this.#rewind(blockNumber - 1n);
        } else if (head.height >= blockNumber + BigInt(this.#o.finalityDepth)) {
          await payments.advance(key, { type: 'FINALIZED', at, blockNumber: inclusion.blockNumber });
        }
      } else if (view.stage === 'SUBMITTED' || view.stage === 'CERTIFIED') {
        const deadline = earliest(payment.expiresAtMs, payment.validBeforeMs);
        const firstSeen = this.#firstSeen.get(key) ?? at;
        if (deadline === undefined) this.#firstSeen.set(key, firstSeen);
        if (
          deadline === undefined ? at >= firstSeen + this.#unknownDeadlineMs : head.timestampMs >= deadline
        ) {
          await payments.advance(key, { type: 'EXPIRED', at });
        }
      } else if (
        view.stage !== 'INCLUDED' &&
        chain &&
        payment.effects &&
        payment.validBeforeMs !== undefined
      ) {
        if (head.timestampMs >= payment.validBeforeMs) {
          await payments.advance(key, await this.#pastDeadline(payment, payment.effects, head, at));
        }
      }
    }
  }

  /**
   * The fate of a QC'd payment whose validBefore has passed at `head`: its lane nonce passed on chain with our tx
   * (INCLUDED) or another one (FAILED), or it never will land (EXPIRED).
   */
  async #pastDeadline(
    payment: FollowedPayment,
    effects: Effects,
    head: ChainHead,
    at: number,
  ): Promise<PaymentEvent> {
    const chain = this.#o.chain!;
    const { sender, nonce } = effects;
    if ((await chain.nonce(sender, nonce.nonceKey, head.height)) <= nonce.seq) return { type: 'EXPIRED', at };
    const receipt = payment.chainTxHash && (await chain.receipt(payment.chainTxHash));
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
}

/**
 * The chain watcher as an actor of the actor system (visible to the inspector): starts the watcher, and stops it
 * when the actor stops.
 */
export function chainWatcherLogic(watcher: ChainWatcher, onError: (error: Error) => void) {
  return fromCallback(() => {
    watcher.start().catch((error: unknown) => onError(asError(error)));
    return () => {
      void watcher.stop();
    };
  });
}

/** Which open payments a block transaction can settle: by contention key, or by chain hash when that is all known. */
interface Claims {
  of(tx: BlockTransaction): string[];
}

/** The claims of the payments open when a scan begins (one pass over them per scan, not per block). */
function claimsOf(open: Iterable<FollowedPayment>): Claims {
  const byContention = new Map<string, string[]>();
  const byChainHash = new Map<string, string>();
  for (const { key, effects, chainTxHash } of open) {
    if (effects) {
      const contention = contentionKey(effects.sender, effects.nonce.nonceKey, effects.nonce.seq);
      byContention.set(contention, [...(byContention.get(contention) ?? []), key]);
    } else if (chainTxHash) {
      byChainHash.set(toHex(chainTxHash), key);
    }
  }
  return {
    of(tx) {
      const byHash = byChainHash.get(toHex(tx.hash));
      return [
        ...(byContention.get(contentionKey(tx.sender, tx.nonceKey, tx.nonce)) ?? []),
        ...(byHash ? [byHash] : []),
      ];
    },
  };
}

function contentionKey(sender: Uint8Array, nonceKey: Uint8Array, seq: bigint): string {
  return `${toHex(sender)}:${toHex(nonceKey)}:${seq}`;
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

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
