import { byteKey, bytesEqual, toHex } from '../bytes.ts';
import { DeadlineHeap } from '../deadline-heap.ts';
import { holdingKey, laneKey, liveLaneKey, type Pool } from '../keys.ts';
import { LruMap } from '../lru-map.ts';
import type { ValidatorCertificate } from '../types.ts';
import type { Credit, LedgerDelta } from '../validation/decision.ts';
import type { CachedResponse, LedgerView, LiveLock } from '../validation/ledger-view.ts';

/** A payment this validator certified that has not landed and can still land: it holds its lock and debits. */
export interface LockRecord {
  readonly delta: LedgerDelta;
  readonly cert: ValidatorCertificate;
}

/** Why a lock was released: its lane nonce passed on chain, or its validBefore passed. */
export type ReleaseReason = 'nonce-passed' | 'deadline-passed';

export interface LedgerLimits {
  /** Cached responses per (sender, client request id); LRU. */
  readonly maxRequestCache: number;
  /** Certificates of settled payments kept for idempotent answers and parent effects; LRU. */
  readonly maxSettledCerts: number;
  /** Parent QCs verified once and trusted by qc hash afterwards; LRU (reference `--max-known-qcs`, 4096). */
  readonly maxKnownQcs?: number;
  /** Senders remembered in cool-off at once; LRU. */
  readonly maxCoolingSenders?: number;
}

/** Entries held by a ledger: live locks and credits (bounded by the pending quotas and deadlines) and its LRUs. */
export interface LedgerSizes {
  readonly liveLocks: number;
  readonly liveCredits: number;
  readonly requestCache: { readonly size: number; readonly capacity: number };
  readonly settledCerts: { readonly size: number; readonly capacity: number };
  readonly knownQcs: { readonly size: number; readonly capacity: number };
  readonly coolingSenders: { readonly size: number; readonly capacity: number };
}

/** How a restored lock fitted: new, already there, or in conflict with another lock of its contention key. */
export type RestoreResult = 'restored' | 'duplicate' | 'conflict';

interface Lane {
  readonly sender: Uint8Array;
  readonly nonceKey: Uint8Array;
  readonly pool?: Pool;
  readonly locks: Map<bigint, LockRecord>;
  readonly credits: Map<bigint, Credit>;
  /** Restored locks that conflict with the lane's lock at the same seq: their debits stay held (conservative). */
  readonly shadows: Map<bigint, LockRecord[]>;
}

/**
 * The validator's safety ledger in memory (ARCHITECTURE.md "The sidecar's ledger"). Live locks and credits are
 * never evicted: they leave only when the chain nonce of their lane passes them or their deadline passes, found
 * through a deadline index, not a scan. Totals are kept per holding and per sender so a decision costs O(1) lookups.
 */
export class Ledger implements LedgerView {
  readonly #lanes = new Map<string, Lane>();
  readonly #byTx = new Map<string, LockRecord>();
  readonly #confirmed = new Set<string>();
  readonly #debits = new Map<string, bigint>();
  readonly #credits = new Map<string, bigint>();
  readonly #creditParents = new Map<string, Credit>();
  readonly #senders = new Map<string, Map<string, number>>();
  readonly #lockDeadlines = new DeadlineHeap<string>();
  readonly #creditDeadlinesMs = new DeadlineHeap<string>();
  readonly #creditDeadlinesHeight = new DeadlineHeap<string>();
  #releasedCredits: Credit[] = [];
  readonly #settledCerts: LruMap<string, ValidatorCertificate>;
  readonly #responses: LruMap<string, CachedResponse>;
  readonly #knownParents: LruMap<string, Credit>;
  readonly #coolOff: LruMap<string, bigint>;

  constructor(limits: LedgerLimits) {
    this.#settledCerts = new LruMap(limits.maxSettledCerts);
    this.#responses = new LruMap(limits.maxRequestCache);
    this.#knownParents = new LruMap(limits.maxKnownQcs ?? 4096);
    this.#coolOff = new LruMap(limits.maxCoolingSenders ?? 65_536);
  }

  /**
   * Refuses new certificates to `sender` until `untilMs` (chain time): the node kept refusing one of its txs, so
   * it may not fill the settlement queue again at once. Bounded (LRU) by `maxCoolingSenders`.
   */
  coolOff(sender: Uint8Array, untilMs: bigint): void {
    const key = byteKey(sender);
    const current = this.#coolOff.get(key);
    if (current === undefined || current < untilMs) this.#coolOff.set(key, untilMs);
  }

  coolingOffUntil(sender: Uint8Array): bigint | undefined {
    return this.#coolOff.get(byteKey(sender));
  }

  /** How full each in-memory structure is, for the sidecar's gauges: live state, and the LRUs with their bounds. */
  sizes(): LedgerSizes {
    const lru = (m: LruMap<string, unknown>) => ({ size: m.size, capacity: m.capacity });
    return {
      liveLocks: this.#byTx.size,
      liveCredits: this.#creditParents.size,
      requestCache: lru(this.#responses),
      settledCerts: lru(this.#settledCerts),
      knownQcs: lru(this.#knownParents),
      coolingSenders: lru(this.#coolOff),
    };
  }

  knownParent(qcHash: Uint8Array): Credit | undefined {
    return this.#knownParents.get(byteKey(qcHash));
  }

  lockedTx(sender: Uint8Array, nonceKey: Uint8Array, seq: bigint, pool?: Pool): Uint8Array | undefined {
    return this.#lanes.get(laneKey(sender, nonceKey, pool))?.locks.get(seq)?.delta.txHash;
  }

  lockAt(sender: Uint8Array, nonceKey: Uint8Array, seq: bigint, pool?: Pool): LiveLock | undefined {
    const record = this.#lanes.get(laneKey(sender, nonceKey, pool))?.locks.get(seq);
    return record && this.#live(record);
  }

  lockOf(txHash: Uint8Array): LiveLock | undefined {
    const record = this.#byTx.get(byteKey(txHash));
    return record && this.#live(record);
  }

  #live(record: LockRecord): LiveLock {
    return { ...record, confirmed: this.#confirmed.has(byteKey(record.delta.txHash)) };
  }

  ownCertificate(txHash: Uint8Array): ValidatorCertificate | undefined {
    const hex = byteKey(txHash);
    return this.#byTx.get(hex)?.cert ?? this.#settledCerts.get(hex);
  }

  highestLockedSeq(sender: Uint8Array, nonceKey: Uint8Array, pool?: Pool): bigint | undefined {
    const locks = this.#lanes.get(laneKey(sender, nonceKey, pool))?.locks;
    let max: bigint | undefined;
    for (const seq of locks?.keys() ?? []) if (max === undefined || seq > max) max = seq;
    return max;
  }

  liveLanesOf(sender: Uint8Array): ReadonlyMap<string, number> {
    return this.#senders.get(byteKey(sender)) ?? EMPTY_LANES;
  }

  debitOf(account: Uint8Array, asset: Uint8Array, pool?: Pool): bigint {
    return this.#debits.get(holdingKey(account, asset, pool)) ?? 0n;
  }

  creditOf(account: Uint8Array, asset: Uint8Array, pool?: Pool): bigint {
    return this.#credits.get(holdingKey(account, asset, pool)) ?? 0n;
  }

  hasCredit(parentTxHash: Uint8Array): boolean {
    return this.#creditParents.has(byteKey(parentTxHash));
  }

  cachedResponse(sender: Uint8Array, requestId: string): CachedResponse | undefined {
    return this.#responses.get(`${byteKey(sender)}:${requestId}`);
  }

  /** Remembers the answer to (sender, request id). Callers cache certificates and permanent rejects only. */
  cacheResponse(sender: Uint8Array, requestId: string, response: CachedResponse): void {
    this.#responses.set(`${byteKey(sender)}:${requestId}`, response);
  }

  /**
   * Records a certified payment: its lock, debits, (at most once per parent) its parent's credit, and the
   * confirmations it carries (the previous seq's QC, or a parent QC for a payment this validator locked).
   */
  record(delta: LedgerDelta, cert: ValidatorCertificate): void {
    const { sender, nonce } = delta.effects;
    const locked = this.lockedTx(sender, nonce.nonceKey, nonce.seq, delta.pool);
    if (locked && !bytesEqual(locked, delta.txHash))
      throw new Error(
        `ledger invariant: contention key ${contentionKeyText(sender, nonce.nonceKey, nonce.seq)} already locked`,
      );
    if (this.#addLock({ delta, cert }) !== 'restored') return;
    if (delta.credit && !this.hasCredit(delta.credit.parentTxHash)) this.restoreCredit(delta.credit);
    if (delta.parent && delta.credit) this.#knownParents.set(byteKey(delta.parent.qcHash), delta.credit);
  }

  /**
   * Restores a persisted lock without its credit (credits are restored from their own records). A lock that
   * conflicts with another of its contention key never throws: both stay held (the second as a shadow whose debits
   * count until its seq or deadline passes), so a restart can only make the validator more conservative.
   */
  restoreLock(record: LockRecord): RestoreResult {
    return this.#addLock(record);
  }

  #addLock(record: LockRecord): RestoreResult {
    const { delta } = record;
    const { sender, nonce } = delta.effects;
    const lane = this.#lane(sender, nonce.nonceKey, delta.pool);
    const existing = lane.locks.get(nonce.seq);
    const hex = byteKey(delta.txHash);
    if (existing) {
      if (bytesEqual(existing.delta.txHash, delta.txHash)) return 'duplicate';
      const shadows = lane.shadows.get(nonce.seq) ?? [];
      if (shadows.some((s) => bytesEqual(s.delta.txHash, delta.txHash))) return 'duplicate';
      shadows.push(record);
      lane.shadows.set(nonce.seq, shadows);
      this.#hold(record, 1n);
      return 'conflict';
    }
    lane.locks.set(nonce.seq, record);
    this.#byTx.set(hex, record);
    this.#hold(record, 1n);
    const lanes = this.#senders.get(byteKey(sender)) ?? new Map<string, number>();
    const nk = liveLaneKey(nonce.nonceKey, delta.pool);
    lanes.set(nk, (lanes.get(nk) ?? 0) + 1);
    this.#senders.set(byteKey(sender), lanes);
    if (delta.confirms) this.#confirm(delta.confirms);
    if (delta.parent) this.#confirm(delta.parent.txHash);
    return 'restored';
  }

  /** Marks a tx whose QC this validator has seen; only live locks are tracked. */
  #confirm(txHash: Uint8Array): void {
    const hex = byteKey(txHash);
    if (this.#byTx.has(hex)) this.#confirmed.add(hex);
  }

  /** Debits of a record (sign 1n to hold, −1n to release) and its deadline in the index. */
  #hold(record: LockRecord, sign: bigint): void {
    for (const d of record.delta.debits)
      add(this.#debits, holdingKey(d.account, d.asset, d.pool), sign * d.amount);
    const deadline = record.delta.inclusionDeadlineMs;
    if (sign > 0n && deadline !== undefined) this.#lockDeadlines.push(deadline, byteKey(record.delta.txHash));
  }

  /** Adds a parent's credit unless it is counted already; the credit ends at the parent's deadline. */
  restoreCredit(credit: Credit): void {
    const hex = byteKey(credit.parentTxHash);
    if (this.#creditParents.has(hex)) return;
    this.#creditParents.set(hex, credit);
    this.#lane(credit.parentSender, credit.parentNonceKey, credit.pool).credits.set(credit.parentSeq, credit);
    add(this.#credits, holdingKey(credit.recipient, credit.asset, credit.pool), credit.amount);
    const heap =
      credit.deadline.kind === 'unixMillis' ? this.#creditDeadlinesMs : this.#creditDeadlinesHeight;
    heap.push(credit.deadline.value, hex);
  }

  /**
   * Takes back a `record` whose durable write failed and was undone, so nothing unpersisted stays signed: removes
   * its lock, its debits and the credit it registered. No-op when the lock belongs to another tx.
   */
  unrecord(delta: LedgerDelta): void {
    const { sender, nonce } = delta.effects;
    const lane = this.#lanes.get(laneKey(sender, nonce.nonceKey, delta.pool));
    const record = lane?.locks.get(nonce.seq);
    if (!lane || !record || !bytesEqual(record.delta.txHash, delta.txHash)) return;
    this.#removeLock(lane, nonce.seq, record, false);
    const credit = delta.credit;
    if (credit && this.#creditParents.get(byteKey(credit.parentTxHash)) === credit) this.#dropCredit(credit);
    this.#dropLaneIfEmpty(sender, nonce.nonceKey, delta.pool);
  }

  /**
   * The chain's nonce for the lane reached `chainNonce` at the block being processed: every lock and credit below
   * it has landed (the balance read at that block shows it) or can never land. Releases them; returns the locks
   * (released credits are collected for `drainReleasedCredits`). For an escrow lane `chainNonce` is the escrow's
   * nextSeq of the lane.
   */
  releaseThroughNonce(
    sender: Uint8Array,
    nonceKey: Uint8Array,
    chainNonce: bigint,
    pool?: Pool,
  ): LockRecord[] {
    const lane = this.#lanes.get(laneKey(sender, nonceKey, pool));
    if (!lane) return [];
    const released: LockRecord[] = [];
    for (const [seq, record] of lane.locks) {
      if (seq < chainNonce) {
        this.#removeLock(lane, seq, record, true);
        released.push(record);
      }
    }
    for (const [seq, shadows] of lane.shadows) {
      if (seq >= chainNonce) continue;
      for (const s of shadows) this.#hold(s, -1n);
      lane.shadows.delete(seq);
      released.push(...shadows);
    }
    for (const [seq, credit] of lane.credits) if (seq < chainNonce) this.#dropCredit(credit);
    this.#dropLaneIfEmpty(sender, nonceKey, pool);
    return released;
  }

  /**
   * Releases what can no longer be included at a head of time `headMs` (and `height`): locks whose validBefore is
   * at or before it, and credits whose parent's deadline passed, whether or not this validator locked the parent.
   */
  releaseExpired(headMs: bigint, height?: bigint): LockRecord[] {
    const released: LockRecord[] = [];
    for (const { at, key } of this.#lockDeadlines.popDue(headMs)) {
      const record = this.#byTx.get(key);
      if (record && record.delta.inclusionDeadlineMs === at) {
        const { sender, nonce } = record.delta.effects;
        const lane = this.#lanes.get(laneKey(sender, nonce.nonceKey, record.delta.pool))!;
        this.#removeLock(lane, nonce.seq, record, true);
        this.#dropLaneIfEmpty(sender, nonce.nonceKey, record.delta.pool);
        released.push(record);
      } else released.push(...this.#releaseShadow(key, at));
    }
    const dueCredits = [
      ...this.#creditDeadlinesMs.popDue(headMs),
      ...(height === undefined ? [] : this.#creditDeadlinesHeight.popDue(height)),
    ];
    for (const { at, key } of dueCredits) {
      const credit = this.#creditParents.get(key);
      if (credit && credit.deadline.value === at) this.#dropCredit(credit);
    }
    return released;
  }

  #releaseShadow(txHex: string, at: bigint): LockRecord[] {
    for (const lane of this.#lanes.values()) {
      for (const [seq, shadows] of lane.shadows) {
        const i = shadows.findIndex(
          (s) => byteKey(s.delta.txHash) === txHex && s.delta.inclusionDeadlineMs === at,
        );
        if (i < 0) continue;
        const [record] = shadows.splice(i, 1);
        if (shadows.length === 0) lane.shadows.delete(seq);
        this.#hold(record!, -1n);
        this.#dropLaneIfEmpty(lane.sender, lane.nonceKey, lane.pool);
        return [record!];
      }
    }
    return [];
  }

  /** Credits released since the last call, so their persisted records can be forgotten. */
  drainReleasedCredits(): Credit[] {
    const released = this.#releasedCredits;
    this.#releasedCredits = [];
    return released;
  }

  #dropCredit(credit: Credit): void {
    const hex = byteKey(credit.parentTxHash);
    if (this.#creditParents.get(hex) !== credit) return;
    this.#creditParents.delete(hex);
    const lane = this.#lanes.get(laneKey(credit.parentSender, credit.parentNonceKey, credit.pool));
    if (lane?.credits.get(credit.parentSeq) === credit) {
      lane.credits.delete(credit.parentSeq);
      this.#dropLaneIfEmpty(credit.parentSender, credit.parentNonceKey, credit.pool);
    }
    add(this.#credits, holdingKey(credit.recipient, credit.asset, credit.pool), -credit.amount);
    this.#releasedCredits.push(credit);
  }

  #removeLock(lane: Lane, seq: bigint, record: LockRecord, settled: boolean): void {
    lane.locks.delete(seq);
    const hex = byteKey(record.delta.txHash);
    this.#byTx.delete(hex);
    this.#confirmed.delete(hex);
    if (settled) this.#settledCerts.set(hex, record.cert);
    this.#hold(record, -1n);
    const senderKey = byteKey(lane.sender);
    const lanes = this.#senders.get(senderKey);
    const nk = liveLaneKey(lane.nonceKey, lane.pool);
    const left = (lanes?.get(nk) ?? 1) - 1;
    if (left > 0) lanes!.set(nk, left);
    else {
      lanes?.delete(nk);
      if (lanes?.size === 0) this.#senders.delete(senderKey);
    }
  }

  #dropLaneIfEmpty(sender: Uint8Array, nonceKey: Uint8Array, pool?: Pool): void {
    const key = laneKey(sender, nonceKey, pool);
    const lane = this.#lanes.get(key);
    if (lane && lane.locks.size === 0 && lane.credits.size === 0 && lane.shadows.size === 0)
      this.#lanes.delete(key);
  }

  /** Every live lock, for persistence and settlement. */
  locks(): IterableIterator<LockRecord> {
    return this.#byTx.values();
  }

  /** Every live credit. */
  credits(): IterableIterator<Credit> {
    return this.#creditParents.values();
  }

  /** Lanes holding live locks or credits: the chain nonces (escrow lanes: the escrow's nextSeq) to watch. */
  lanes(): { sender: Uint8Array; nonceKey: Uint8Array; pool?: Pool }[] {
    return [...this.#lanes.values()].map(({ sender, nonceKey, pool }) => ({
      sender,
      nonceKey,
      ...(pool ? { pool } : {}),
    }));
  }

  #lane(sender: Uint8Array, nonceKey: Uint8Array, pool?: Pool): Lane {
    const key = laneKey(sender, nonceKey, pool);
    let lane = this.#lanes.get(key);
    if (!lane) {
      lane = {
        sender,
        nonceKey,
        ...(pool ? { pool } : {}),
        locks: new Map(),
        credits: new Map(),
        shadows: new Map(),
      };
      this.#lanes.set(key, lane);
    }
    return lane;
  }
}

const EMPTY_LANES: ReadonlyMap<string, number> = new Map();

function add(totals: Map<string, bigint>, key: string, amount: bigint): void {
  const next = (totals.get(key) ?? 0n) + amount;
  if (next === 0n) totals.delete(key);
  else totals.set(key, next);
}

/** Hex of a contention key, for messages. */
export function contentionKeyText(sender: Uint8Array, nonceKey: Uint8Array, seq: bigint): string {
  return `(${toHex(sender)}, ${toHex(nonceKey)}, ${seq})`;
}
