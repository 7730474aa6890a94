import { toHex } from '../../protocol/bytes.ts';
import type { Ledger, LockRecord } from '../../protocol/ledger/ledger.ts';
import { decodeTagged, encodeTagged } from '../../protocol/tagged-json.ts';
import type { Store } from '../../store/store.ts';
import { EvictionMarks } from './eviction-marks.ts';

const LOCK_PREFIX = 'lock/';

/**
 * The sidecar's durable safety state: one Store entry per live lock (delta and own certificate). A lock is
 * written durably before its certificate leaves the process (fixes reference §14 "state lives only in memory");
 * releases are plain deletes, because a lock restored after a lost delete is released again by the chain view.
 */
export class SafetyJournal {
  constructor(private readonly store: Store) {}

  /** Resolves once the lock survives a crash; rejects (StoreError) when the store cannot make it durable. */
  persist(record: LockRecord): Promise<void> {
    return this.store.put(LOCK_PREFIX + toHex(record.delta.txHash), encodeTagged(record), { durable: true });
  }

  /** Forgets released locks. */
  async release(records: readonly LockRecord[]): Promise<void> {
    if (records.length === 0) return;
    await this.store.batch(records.map((r) => ({ key: LOCK_PREFIX + toHex(r.delta.txHash), value: null })));
  }

  /** Markers (`evicted/…`) of live locks settlement gave up on, so a restart does not forward them again. */
  evictions(): EvictionMarks {
    return new EvictionMarks(this.store, 'evicted/');
  }

  /** Rebuilds a ledger from every persisted lock. */
  async restore(ledger: Ledger): Promise<number> {
    let count = 0;
    for await (const [, value] of this.store.scan(LOCK_PREFIX)) {
      const record = decodeTagged<LockRecord>(value);
      ledger.record(record.delta, record.cert);
      count++;
    }
    return count;
  }
}
