import { byteKey, bytesEqual, toHex } from '../bytes.ts';
import { LruMap } from '../lru-map.ts';
import type { ValidatorCertificate } from '../types.ts';
import type { Credit, LedgerDelta } from '../validation/decision.ts';
import type { CachedResponse, LedgerView } from '../validation/ledger-view.ts';
import { holdingKey, laneKey } from './keys.ts';

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

interface Lane {
  readonly sender: Uint8Array;
  readonly nonceKey: Uint8Array;
  readonly locks: Map<bigint, LockRecord>;
  readonly credits: Map<bigint, Credit>;
}

/**
 * The validator's safety ledger in memory (ARCHITECTURE.md "The sidecar's ledger"). Live locks and credits are
 * never evicted: they leave only when the chain nonce of their lane passes them or their deadline passes.
 * Totals are kept per holding so a decision costs O(1) lookups.
 */
export class Ledger implements LedgerView {
  readonly #lanes = new Map<string, Lane>();
  readonly #byTx = new Map<string, LockRecord>();
  readonly #debits = new Map<string, bigint>();
  readonly #credits = new Map<string, bigint>();
  readonly #creditParents = new Set<string>();
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

  knownParent(qcHash: Uint8Array): Credit | undefined {
    return this.#knownParents.get(byteKey(qcHash));
  }

  lockedTx(sender: Uint8Array, nonceKey: Uint8Array, seq: bigint): Uint8Array | undefined {
    return this.#lanes.get(laneKey(sender, nonceKey))?.locks.get(seq)?.delta.txHash;
  }

  ownCertificate(txHash: Uint8Array): ValidatorCertificate | undefined {
    const hex = byteKey(txHash);
    return this.#byTx.get(hex)?.cert ?? this.#settledCerts.get(hex);
  }

  highestLockedSeq(sender: Uint8Array, nonceKey: Uint8Array): bigint | undefined {
    const locks = this.#lanes.get(laneKey(sender, nonceKey))?.locks;
    let max: bigint | undefined;
    for (const seq of locks?.keys() ?? []) if (max === undefined || seq > max) max = seq;
    return max;
  }

  debitOf(account: Uint8Array, asset: Uint8Array): bigint {
    return this.#debits.get(holdingKey(account, asset)) ?? 0n;
  }

  creditOf(account: Uint8Array, asset: Uint8Array): bigint {
    return this.#credits.get(holdingKey(account, asset)) ?? 0n;
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

  /** Records a certified payment: its lock, debits and (at most once per parent) its parent's credit. */
  record(delta: LedgerDelta, cert: ValidatorCertificate): void {
    const { sender, nonce } = delta.effects;
    const lane = this.#lane(sender, nonce.nonceKey);
    const existing = lane.locks.get(nonce.seq);
    if (existing) {
      if (bytesEqual(existing.delta.txHash, delta.txHash)) return;
      throw new Error(
        `ledger invariant: contention key (${toHex(sender)}, ${toHex(nonce.nonceKey)}, ${nonce.seq}) already locked`,
      );
    }
    const record: LockRecord = { delta, cert };
    lane.locks.set(nonce.seq, record);
    this.#byTx.set(byteKey(delta.txHash), record);
    for (const d of delta.debits) add(this.#debits, holdingKey(d.account, d.asset), d.amount);
    if (delta.credit && !this.hasCredit(delta.credit.parentTxHash)) this.#addCredit(delta.credit);
    if (delta.parent && delta.credit) this.#knownParents.set(byteKey(delta.parent.qcHash), delta.credit);
  }

  /**
   * Takes back a `record` whose durable write failed, so nothing unpersisted stays signed: removes its lock, its
   * debits and the credit it registered. No-op when the lock belongs to another tx.
   */
  unrecord(delta: LedgerDelta): void {
    const { sender, nonce } = delta.effects;
    const lane = this.#lanes.get(laneKey(sender, nonce.nonceKey));
    const record = lane?.locks.get(nonce.seq);
    if (!lane || !record || !bytesEqual(record.delta.txHash, delta.txHash)) return;
    lane.locks.delete(nonce.seq);
    this.#byTx.delete(byteKey(delta.txHash));
    for (const d of delta.debits) add(this.#debits, holdingKey(d.account, d.asset), -d.amount);
    const credit = delta.credit;
    if (credit) {
      const creditLane = this.#lanes.get(laneKey(credit.parentSender, credit.parentNonceKey));
      const held = creditLane?.credits.get(credit.parentSeq);
      if (creditLane && held === credit) {
        this.#dropCredit(creditLane, credit.parentSeq);
        this.#dropLaneIfEmpty(credit.parentSender, credit.parentNonceKey);
      }
    }
    this.#dropLaneIfEmpty(sender, nonce.nonceKey);
  }

  #dropLaneIfEmpty(sender: Uint8Array, nonceKey: Uint8Array): void {
    const key = laneKey(sender, nonceKey);
    const lane = this.#lanes.get(key);
    if (lane && lane.locks.size === 0 && lane.credits.size === 0) this.#lanes.delete(key);
  }

  #addCredit(credit: Credit): void {
    this.#creditParents.add(byteKey(credit.parentTxHash));
    this.#lane(credit.parentSender, credit.parentNonceKey).credits.set(credit.parentSeq, credit);
    add(this.#credits, holdingKey(credit.recipient, credit.asset), credit.amount);
  }

  /**
   * The chain's nonce for the lane reached `chainNonce` at the block being processed: every lock and credit below
   * it has landed (the balance read at that block shows it) or can never land. Releases them; returns the locks.
   */
  releaseThroughNonce(sender: Uint8Array, nonceKey: Uint8Array, chainNonce: bigint): LockRecord[] {
    const key = laneKey(sender, nonceKey);
    const lane = this.#lanes.get(key);
    if (!lane) return [];
    const released: LockRecord[] = [];
    for (const [seq, record] of lane.locks) {
      if (seq < chainNonce) {
        this.#releaseLock(lane, seq, record);
        released.push(record);
      }
    }
    for (const seq of lane.credits.keys()) if (seq < chainNonce) this.#dropCredit(lane, seq);
    this.#dropLaneIfEmpty(sender, nonceKey);
    return released;
  }

  /**
   * Releases locks whose signed tx can no longer be included: its validBefore is at or before `headMs`. A credit
   * granted by such a payment (known when this validator certified the parent) vanishes with it.
   */
  releaseExpired(headMs: bigint): LockRecord[] {
    const released: LockRecord[] = [];
    for (const [key, lane] of this.#lanes) {
      for (const [seq, record] of lane.locks) {
        const deadline = record.delta.inclusionDeadlineMs;
        if (deadline !== undefined && deadline <= headMs) {
          this.#releaseLock(lane, seq, record);
          if (lane.credits.get(seq) && bytesEqual(lane.credits.get(seq)!.parentTxHash, record.delta.txHash)) {
            this.#dropCredit(lane, seq);
          }
          released.push(record);
        }
      }
      if (lane.locks.size === 0 && lane.credits.size === 0) this.#lanes.delete(key);
    }
    return released;
  }

  #dropCredit(lane: Lane, seq: bigint): void {
    const credit = lane.credits.get(seq);
    if (!credit) return;
    lane.credits.delete(seq);
    this.#creditParents.delete(byteKey(credit.parentTxHash));
    add(this.#credits, holdingKey(credit.recipient, credit.asset), -credit.amount);
  }

  #releaseLock(lane: Lane, seq: bigint, record: LockRecord): void {
    lane.locks.delete(seq);
    const hex = byteKey(record.delta.txHash);
    this.#byTx.delete(hex);
    this.#settledCerts.set(hex, record.cert);
    for (const d of record.delta.debits) add(this.#debits, holdingKey(d.account, d.asset), -d.amount);
  }

  /** Every live lock, for persistence and settlement. */
  locks(): IterableIterator<LockRecord> {
    return this.#byTx.values();
  }

  /** Lanes holding live locks or credits: the chain nonces the sidecar must watch. */
  lanes(): { sender: Uint8Array; nonceKey: Uint8Array }[] {
    return [...this.#lanes.values()].map(({ sender, nonceKey }) => ({ sender, nonceKey }));
  }

  #lane(sender: Uint8Array, nonceKey: Uint8Array): Lane {
    const key = laneKey(sender, nonceKey);
    let lane = this.#lanes.get(key);
    if (!lane) {
      lane = { sender, nonceKey, locks: new Map(), credits: new Map() };
      this.#lanes.set(key, lane);
    }
    return lane;
  }
}

function add(totals: Map<string, bigint>, key: string, amount: bigint): void {
  const next = (totals.get(key) ?? 0n) + amount;
  if (next === 0n) totals.delete(key);
  else totals.set(key, next);
}
