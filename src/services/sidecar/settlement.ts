import { ChainError, type ChainHead, type ChainPort, type ChainReceipt } from '../../chain/chain-port.ts';
import { byteKey, bytesEqual, toHex } from '../../protocol/bytes.ts';
import { laneKey } from '../../protocol/ledger/keys.ts';
import type { Ledger, LockRecord } from '../../protocol/ledger/ledger.ts';
import { LruMap } from '../../protocol/lru-map.ts';
import { type Reject, RejectCode, reject } from '../../protocol/reject.ts';
import { WireStage } from '../../protocol/stage.ts';
import { Backoff, type BackoffOptions } from '../backoff.ts';
import type { Logger } from '../logger.ts';
import type { ChainAdvance } from './chain-follower.ts';
import type { EvictionMarks } from './eviction-marks.ts';
import type { LifecycleHub } from './lifecycle-hub.ts';

export interface SettlementOptions {
  readonly port: Pick<ChainPort, 'sendRawTransaction' | 'receipt' | 'nonce'>;
  /** The validator's ledger: a payment is settled while its lock is live, and resolved once the chain releases it. */
  readonly ledger: Ledger;
  readonly lifecycle: LifecycleHub;
  readonly keccak256: (data: Uint8Array) => Uint8Array;
  readonly logger: Logger;
  /** Durable markers of the payments given up on, so a restart does not forward them again. */
  readonly marks: EvictionMarks;
  /**
   * Payments queued or awaiting finality at most; beyond it new submissions are refused (push-back). The last
   * resort only: a payment the node keeps refusing leaves the queue (`evictAfterRefusals`).
   */
  readonly maxPending: number;
  /** Refusals by the node (other than ALREADY_KNOWN / NONCE_TOO_LOW, which B decides) before a tx is evicted. */
  readonly evictAfterRefusals: number;
  /** Chain-time millis an evicted tx's sender is refused new certificates (Ledger.coolOff). */
  readonly coolOffMs: number;
  /** Blocks on top of the including block before FINALIZED (0: at once; Tempo's consensus is final per block). */
  readonly finalityDepth: number;
  /** Blocks this sidecar waits before forwarding a payment on `nonceKey` (settlementRoute). */
  readonly forwardDelayBlocks: (nonceKey: Uint8Array) => number;
  /** Retry backoff after a refused or failed send; default 250 ms doubling to 30 s. */
  readonly retry?: BackoffOptions;
  readonly now?: () => number;
}

/** A forwarded tx not included after this many blocks is broadcast again (the node may have lost it); doubles. */
const FIRST_RESEND_GAP = 2n;
const MAX_RESEND_GAP = 64n;

interface Item {
  readonly record: LockRecord;
  /** The chain's tx hash: keccak256 of the signed bytes. */
  readonly chainTxHash: Uint8Array;
  /** Head height from which this sidecar forwards it. */
  readonly forwardFrom: bigint;
  /** Height at which to broadcast again while not included; undefined until the node first accepted it. */
  resendAt?: bigint;
  resendGap: bigint;
  /** Wall-clock millis before which no send is tried (after a refusal). */
  retryAt: number;
  readonly backoff: Backoff;
  /** Included at B; waiting for finality. */
  receipt?: ChainReceipt;
  /** Sends the node refused in a row (not counting ALREADY_KNOWN / NONCE_TOO_LOW). */
  refusals: number;
  /** Why settlement gave up on it (its FAILED message): no longer forwarded, its lock kept until the chain releases it. */
  dropped?: string;
}

/** Failed payments remembered so that their chained children fail too (each child is resolved within blocks). */
const MAX_FAILED_PARENTS = 65_536;

type Fate =
  | { readonly kind: 'included'; readonly receipt: ChainReceipt }
  | { readonly kind: 'failed'; readonly message: string; readonly receipt?: ChainReceipt }
  | { readonly kind: 'expired' };

/**
 * Settles certified payments on the Tempo chain (ARCHITECTURE.md "Settle" step 6), fixing reference §8/§14: a full
 * queue refuses new submissions before they are decided, every refused send is retried with backoff,
 * ALREADY_KNOWN / NONCE_TOO_LOW are checked against the receipt instead of assumed, and a payment's fate is read
 * from the chain at B only: when the ledger releases its lock, a receipt of OUR tx means INCLUDED (FAILED if
 * reverted), none means another tx took the nonce (FAILED) or the deadline passed (EXPIRED). Within a lane, txs go
 * out in sequence order; forwarded txs are broadcast again while not included, so a node that lost its pool still
 * gets them.
 *
 * No payment holds the queue forever: a tx the node refused `evictAfterRefusals` times in a row is evicted (FAILED
 * "evicted: …", its sender cooled off for `coolOffMs`), and a chained child is forwarded only once its parent is
 * included, or FAILED unsent ("parent failed: …") once the parent failed, was evicted or expired. A payment given
 * up on keeps its lock (safety: the signed tx may still land) until the chain releases it, and a durable mark keeps
 * it unsent across restarts.
 */
export class Settlement {
  readonly #items = new Map<string, Item>();
  /** Payments given up on whose lock is still live, by FastPay tx hash. */
  readonly #dropped = new Map<string, Item>();
  /** Why a payment failed, by FastPay tx hash: its children fail with it. */
  readonly #failedParents = new LruMap<string, string>(MAX_FAILED_PARENTS);
  /** Items whose lock the chain released at B, waiting for their fate to be read. */
  readonly #released = new Set<Item>();
  readonly #nodeBackoff: Backoff;
  readonly #now: () => number;
  #head: ChainHead | undefined;
  #nodeRetryAt = 0;
  #running: Promise<void> | undefined;
  #again = false;
  #wakeAt: number | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(private readonly options: SettlementOptions) {
    this.#nodeBackoff = new Backoff(options.retry);
    this.#now = options.now ?? Date.now;
  }

  /** Payments queued, forwarded or awaiting finality. */
  get size(): number {
    return this.#items.size;
  }

  /**
   * Admission, checked before the validator decides: a reject when the queue is full (the reference dropped txs
   * when its channel was full, §14), so nothing is signed that could not be queued. Submissions admitted at once
   * may overshoot `maxPending` by the number being decided; that bound is the last resort, not a quota.
   */
  admit(): Reject | undefined {
    if (this.#items.size < this.options.maxPending) return undefined;
    return reject(
      RejectCode.TEMPORARY_UNAVAILABLE,
      `settlement queue full (${this.options.maxPending} payments pending on chain); retry later`,
    );
  }

  /**
   * Queues a certified payment for forwarding; ignored when it is queued or given up on already, or its lock is
   * no longer live (the chain released it, and the release path resolves it).
   */
  enqueue(record: LockRecord): void {
    const { sender, nonce } = record.delta.effects;
    const key = byteKey(record.delta.txHash);
    const live = this.options.ledger.lockedTx(sender, nonce.nonceKey, nonce.seq);
    if (!live || !bytesEqual(live, record.delta.txHash) || this.#items.has(key) || this.#dropped.has(key))
      return;
    this.#add(record);
    this.#kick();
  }

  /**
   * After a restart, once the follower processed its first head (which released every lock whose deadline or
   * nonce passed meanwhile): the live locks marked as given up stay unsent and report their FAILED stage again,
   * every other live lock is queued, and marks of released locks are forgotten. Returns the payments queued.
   */
  async restore(): Promise<number> {
    const live = new Map<string, LockRecord>();
    for (const record of this.options.ledger.locks()) live.set(byteKey(record.delta.txHash), record);
    const stale: Uint8Array[] = [];
    for await (const mark of this.options.marks.all()) {
      const record = live.get(byteKey(mark.txHash));
      if (record) this.#drop(this.#newItem(record), mark.reason);
      else stale.push(mark.txHash);
    }
    await this.options.marks.forget(stale);
    for (const record of live.values()) this.enqueue(record);
    return this.#items.size;
  }

  /** The follower moved B: resolve the payments whose locks it released, then forward and finalize at B. */
  onAdvance({ head, released }: ChainAdvance): void {
    this.#head = head;
    for (const record of released) {
      const key = byteKey(record.delta.txHash);
      this.#released.add(this.#items.get(key) ?? this.#dropped.get(key) ?? this.#add(record));
    }
    this.#kick();
  }

  /** Stops forwarding; a pass in progress finishes. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #add(record: LockRecord): Item {
    const item = this.#newItem(record);
    this.#items.set(byteKey(record.delta.txHash), item);
    return item;
  }

  #newItem(record: LockRecord): Item {
    return {
      record,
      chainTxHash: this.options.keccak256(record.delta.signedTx),
      forwardFrom:
        (this.#head?.height ?? 0n) +
        BigInt(this.options.forwardDelayBlocks(record.delta.effects.nonce.nonceKey)),
      resendGap: FIRST_RESEND_GAP,
      retryAt: 0,
      backoff: new Backoff(this.options.retry),
      refusals: 0,
    };
  }

  #kick(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = this.#run();
  }

  /** Passes until nothing new arrived meanwhile; then sleeps until the earliest retry (heads wake it too). */
  async #run(): Promise<void> {
    try {
      do {
        this.#again = false;
        this.#wakeAt = undefined;
        const head = this.#head;
        if (!head) break;
        await this.#resolve(head);
        this.#finalize(head);
        await this.#forward(head);
      } while (this.#again && !this.#stopped);
    } catch (err) {
      this.#nodeDown(err);
      this.#wake(this.#nodeRetryAt);
    }
    this.#running = undefined;
    clearTimeout(this.#timer);
    if (this.#wakeAt !== undefined && !this.#stopped) {
      this.#timer = setTimeout(() => this.#kick(), Math.max(0, this.#wakeAt - this.#now()));
    }
  }

  #wake(at: number): void {
    this.#wakeAt = this.#wakeAt === undefined ? at : Math.min(this.#wakeAt, at);
  }

  async #resolve(head: ChainHead): Promise<void> {
    const results = await Promise.allSettled(
      [...this.#released].map(async (item) => {
        const fate = await this.#fate(item, head);
        this.#released.delete(item);
        this.#apply(item, fate, head);
      }),
    );
    const failure = results.find((r) => r.status === 'rejected');
    if (failure) {
      this.#nodeDown(failure.reason);
      this.#wake(this.#nodeRetryAt);
    }
  }

  /** The fate of a payment whose lock the chain released at B (ARCHITECTURE.md "The sidecar's ledger"). */
  async #fate(item: Item, head: ChainHead): Promise<Fate> {
    const { port } = this.options;
    const receipt = await port.receipt(item.chainTxHash);
    if (receipt?.success) return { kind: 'included', receipt };
    if (receipt) return { kind: 'failed', message: `reverted in block ${receipt.blockNumber}`, receipt };
    const { sender, nonce } = item.record.delta.effects;
    if ((await port.nonce(sender, nonce.nonceKey, head.height)) > nonce.seq) {
      return { kind: 'failed', message: `nonce ${nonce.seq} of its lane was used by another transaction` };
    }
    return { kind: 'expired' };
  }

  /**
   * Reports a released payment's fate. A payment given up on already has its FAILED stage; only the chain proving
   * it landed after all (another sidecar forwarded it) is reported, and its mark is forgotten.
   */
  #apply(item: Item, fate: Fate, head: ChainHead): void {
    const key = byteKey(item.record.delta.txHash);
    if (item.dropped !== undefined) {
      this.#dropped.delete(key);
      this.options.marks
        .forget([item.record.delta.txHash])
        .catch((err) => this.options.logger.warn({ err: err.message }, 'could not forget an eviction mark'));
      if (fate.kind !== 'included') return;
      item.dropped = undefined;
      this.#items.set(key, item);
    }
    if (fate.kind === 'included') {
      item.receipt = fate.receipt;
      this.#publish(item, WireStage.INCLUDED, fate.receipt);
      return;
    }
    this.#items.delete(key);
    if (fate.kind === 'expired') {
      this.#failedParents.set(key, `expired unincluded at block ${head.height}`);
      this.#publish(item, WireStage.EXPIRED, { blockNumber: head.height });
    } else {
      this.#failedParents.set(key, fate.message);
      this.#publish(item, WireStage.FAILED, fate.receipt ?? { blockNumber: head.height }, fate.message);
    }
  }

  #finalize(head: ChainHead): void {
    for (const [key, item] of this.#items) {
      const receipt = item.receipt;
      if (!receipt || head.height < receipt.blockNumber + BigInt(this.options.finalityDepth)) continue;
      this.#items.delete(key);
      this.#publish(item, WireStage.FINALIZED, receipt);
    }
  }

  /**
   * Forwards, lane by lane in sequence order, every payment that may go out now. A payment given up on (evicted, or
   * its parent failed) leaves the lane; the next pass forwards its successors, which the node holds (until their
   * deadline) or refuses (and they are evicted in turn).
   */
  async #forward(head: ChainHead): Promise<void> {
    if (this.#now() < this.#nodeRetryAt) return this.#wake(this.#nodeRetryAt);
    const parentNonces = new Map<string, bigint>();
    try {
      for (const lane of this.#lanes()) {
        for (const item of lane) {
          if (item.resendAt !== undefined && head.height < item.resendAt) continue;
          if (head.height < item.forwardFrom) break;
          const parent = await this.#parentState(item, head, parentNonces);
          if (parent === 'waiting') break;
          if (parent !== 'included') {
            this.#giveUp(item, `parent failed: ${parent.failed}`, head);
            break;
          }
          if (this.#now() < item.retryAt) {
            this.#wake(item.retryAt);
            break;
          }
          if (!(await this.#send(item, head))) break;
        }
      }
    } catch (err) {
      this.#nodeDown(err);
      this.#wake(this.#nodeRetryAt);
    }
  }

  /** Live payments grouped by lane, each lane in sequence order. */
  #lanes(): Item[][] {
    const lanes = new Map<string, Item[]>();
    for (const item of this.#items.values()) {
      if (item.receipt || this.#released.has(item)) continue;
      const { sender, nonce } = item.record.delta.effects;
      const key = laneKey(sender, nonce.nonceKey);
      const lane = lanes.get(key);
      if (lane) lane.push(item);
      else lanes.set(key, [item]);
    }
    return [...lanes.values()].map((lane) =>
      lane.sort((a, b) => compareSeq(a.record.delta.effects.nonce.seq, b.record.delta.effects.nonce.seq)),
    );
  }

  /**
   * Where a chained payment's parent stands. Failed when this sidecar saw it fail (reverted, nonce taken by another
   * tx, expired, evicted); included when our queue saw it INCLUDED, or, for a parent this sidecar never settled,
   * once the parent lane's nonce at B passed its sequence; waiting while its lock is live or its fate is being read.
   */
  async #parentState(
    item: Item,
    head: ChainHead,
    nonces: Map<string, bigint>,
  ): Promise<'included' | 'waiting' | { readonly failed: string }> {
    const parent = item.record.delta.parent;
    if (!parent) return 'included';
    const key = byteKey(parent.txHash);
    const failed = this.#failedParents.get(key);
    if (failed !== undefined) return { failed };
    const own = this.#items.get(key);
    if (own?.receipt) return 'included';
    if (own && this.#released.has(own)) return 'waiting';
    if (this.options.ledger.lockedTx(parent.sender, parent.nonceKey, parent.seq)) return 'waiting';
    const lane = laneKey(parent.sender, parent.nonceKey);
    let nonce = nonces.get(lane);
    if (nonce === undefined) {
      nonce = await this.options.port.nonce(parent.sender, parent.nonceKey, head.height);
      nonces.set(lane, nonce);
    }
    return nonce > parent.seq ? 'included' : 'waiting';
  }

  /**
   * Broadcasts one tx; true when the node holds it (accepted now, ALREADY_KNOWN, or NONCE_TOO_LOW with a receipt
   * of this very tx). Other refusals back off this tx, and the `evictAfterRefusals`-th in a row evicts it; an
   * unreachable node throws and backs off all sending.
   */
  async #send(item: Item, head: ChainHead): Promise<boolean> {
    const { port, logger } = this.options;
    try {
      await port.sendRawTransaction(item.record.delta.signedTx);
    } catch (err) {
      const error = err instanceof ChainError ? err : new ChainError('REJECTED', String(err));
      if (error.code === 'UNAVAILABLE') throw error;
      if (!(await this.#nodeHolds(item, error))) {
        if (error.code !== 'NONCE_TOO_LOW') item.refusals++;
        if (item.refusals >= this.options.evictAfterRefusals) {
          this.#evict(item, error, head);
          return false;
        }
        item.retryAt = this.#now() + item.backoff.next();
        this.#wake(item.retryAt);
        logger.warn(
          { txHash: toHex(item.record.delta.txHash), code: error.code, err: error.message },
          'node refused the payment; will retry',
        );
        return false;
      }
    }
    this.#nodeBackoff.reset();
    item.backoff.reset();
    item.refusals = 0;
    const first = item.resendAt === undefined;
    item.resendAt = head.height + item.resendGap;
    item.resendGap = item.resendGap * 2n > MAX_RESEND_GAP ? MAX_RESEND_GAP : item.resendGap * 2n;
    if (first) this.#publish(item, WireStage.QUEUED_ONCHAIN, { blockNumber: head.height });
    return true;
  }

  /**
   * Whether a refusal still means the node holds this very tx. ALREADY_KNOWN is keyed by the tx hash, so it does
   * (in its pool or a block). NONCE_TOO_LOW only if a receipt of our tx (keccak256 of the raw bytes) exists;
   * otherwise another tx may hold the nonce, which B decides. Neither is taken as inclusion: B alone decides that.
   */
  async #nodeHolds(item: Item, error: ChainError): Promise<boolean> {
    if (error.code === 'ALREADY_KNOWN') return true;
    return (
      error.code === 'NONCE_TOO_LOW' && (await this.options.port.receipt(item.chainTxHash)) !== undefined
    );
  }

  /**
   * The node keeps refusing this tx: stop sending it and cool its sender off, so the same payer cannot at once
   * fill the queue again with txs that never land. Its lock stays until the chain releases it (never before its
   * deadline: the signed tx may still land elsewhere).
   */
  #evict(item: Item, error: ChainError, head: ChainHead): void {
    const reason = `evicted: node refused it ${item.refusals} times: ${error.message}`;
    this.options.ledger.coolOff(
      item.record.delta.effects.sender,
      head.timestampMs + BigInt(this.options.coolOffMs),
    );
    this.#giveUp(item, reason, head);
  }

  /** Stops forwarding `item` for good (FAILED with `reason`), durably, keeping its lock. */
  #giveUp(item: Item, reason: string, head: ChainHead): void {
    this.#drop(item, reason, head);
    this.options.marks
      .mark(item.record.delta.txHash, reason)
      .catch((err) => this.options.logger.warn({ err: err.message }, 'could not persist an eviction mark'));
  }

  /** Moves `item` out of the queue into the given-up set, reports FAILED and fails its children with it. */
  #drop(item: Item, reason: string, head = this.#head): void {
    const key = byteKey(item.record.delta.txHash);
    this.#items.delete(key);
    item.dropped = reason;
    this.#dropped.set(key, item);
    this.#failedParents.set(key, reason);
    this.#publish(item, WireStage.FAILED, { blockNumber: head?.height ?? 0n }, reason);
  }

  /** The node is unreachable (or a pass failed): nothing is sent until the shared backoff expires. */
  #nodeDown(err: unknown): void {
    this.#nodeRetryAt = this.#now() + this.#nodeBackoff.next();
    this.options.logger.warn(
      { err: (err as Error).message },
      'settlement paused (chain node unavailable?); backing off',
    );
  }

  #publish(
    item: Item,
    stage: WireStage,
    at: { readonly blockNumber: bigint; readonly blockHash?: Uint8Array },
    message?: string,
  ): void {
    const txHash = item.record.delta.txHash;
    this.options.lifecycle.publish({
      txHash,
      stage,
      unixMillis: BigInt(this.#now()),
      blockHeight: at.blockNumber,
      ...(at.blockHash ? { blockHash: at.blockHash } : {}),
      ...(message ? { message } : {}),
    });
    this.options.logger.info(
      {
        txHash: toHex(txHash),
        chainTxHash: toHex(item.chainTxHash),
        stage: WireStage[stage],
        block: String(at.blockNumber),
        ...(message ? { reason: message } : {}),
      },
      'settlement',
    );
  }
}

function compareSeq(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
