import { toHex } from '../../protocol/bytes.ts';
import type { Ledger, LockRecord } from '../../protocol/ledger/ledger.ts';
import type { Credit } from '../../protocol/validation/decision.ts';
import type { Store, StoreWrite } from '../../store/store.ts';
import { decodeSafetyRecord, encodeSafetyRecord } from './lock-record-codec.ts';
import { SettlementSnapshots } from './settlement-snapshots.ts';

const LOCK_PREFIX = 'lock/';
const CREDIT_PREFIX = 'credit/';

/** What a restore found: locks and credits restored, and locks that conflicted with another of their key. */
export interface RestoreReport {
  readonly locks: number;
  readonly credits: number;
  readonly conflicts: number;
}

/**
 * The sidecar's durable safety state: one Store entry per live lock (delta and own certificate) and one per live
 * parent credit (the audit's L3: a credit is a record of its own, restored exactly, not a field of the first child
 * that used it). A lock and the credit it adds are written in one durable batch before the certificate leaves the
 * process (fixes reference §14 "state lives only in memory"), in the binary format of lock-record-codec.ts (records
 * of earlier versions in tagged JSON are still restored); releases are plain deletes, because a lock or credit
 * restored after a lost delete is released again by the chain view or its deadline.
 */
export class SafetyJournal {
  constructor(private readonly store: Store) {}

  /** Resolves once the lock (and its new credit) survive a crash; rejects (StoreError) when they cannot. */
  persist(record: LockRecord): Promise<void> {
    const writes: StoreWrite[] = [{ key: lockKey(record), value: encodeSafetyRecord(record) }];
    const credit = record.delta.credit;
    if (credit) writes.push({ key: creditKey(credit), value: encodeSafetyRecord(credit) });
    return this.store.batch(writes, { durable: true });
  }

  /**
   * Undoes a `persist` whose durability is unknown (a failed or timed-out write): resolves once the lock is durably
   * gone, so the validator may take its reservation back. The credit record stays: it is kept only while its
   * parent can land, so a surplus one is harmless, and other children may count on it.
   */
  undo(record: LockRecord): Promise<void> {
    return this.store.batch([{ key: lockKey(record), value: null }], { durable: true });
  }

  /** Forgets released locks and credits. */
  async release(records: readonly LockRecord[], credits: readonly Credit[] = []): Promise<void> {
    const writes: StoreWrite[] = [
      ...records.map((r) => ({ key: lockKey(r), value: null })),
      ...credits.map((c) => ({ key: creditKey(c), value: null })),
    ];
    if (writes.length > 0) await this.store.batch(writes);
  }

  /** Snapshots (`settlement/…`) of the settlement machines a restart must put back in their state. */
  settlements(): SettlementSnapshots {
    return new SettlementSnapshots(this.store, 'settlement/');
  }

  /** Rebuilds a ledger from every persisted credit and lock; never throws on conflicting locks (kept as shadows). */
  async restore(ledger: Ledger): Promise<RestoreReport> {
    let credits = 0;
    for await (const [key, value] of this.store.scan(CREDIT_PREFIX)) {
      ledger.restoreCredit(decodeSafetyRecord<Credit>(value, key));
      credits++;
    }
    let locks = 0;
    let conflicts = 0;
    for await (const [key, value] of this.store.scan(LOCK_PREFIX)) {
      if (ledger.restoreLock(decodeSafetyRecord<LockRecord>(value, key)) === 'conflict') conflicts++;
      else locks++;
    }
    return { locks, credits, conflicts };
  }
}

function lockKey(record: LockRecord): string {
  return LOCK_PREFIX + toHex(record.delta.txHash);
}

function creditKey(credit: Credit): string {
  return CREDIT_PREFIX + toHex(credit.parentTxHash);
}
