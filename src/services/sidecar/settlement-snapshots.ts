import type { Snapshot } from 'xstate';
import type { SettlementContext } from '../../actors/settlement.machine.ts';
import { fromHex, toHex } from '../../protocol/bytes.ts';
import { decodeTagged, encodeTagged } from '../../protocol/tagged-json.ts';
import type { Store } from '../../store/store.ts';

/** A settlement machine's persisted snapshot (the parts read before restoring it). */
export type PersistedSettlement = Snapshot<unknown> & {
  readonly value: string;
  readonly context: SettlementContext;
};

/** A persisted snapshot with the FastPay tx hash it is stored under. */
export interface StoredSettlement {
  readonly txHash: Uint8Array;
  readonly snapshot: PersistedSettlement;
}

/**
 * Durable snapshots of settlement machines in the states a restart must not lose: `forwarded` (not sent as new
 * again), `evicted` (never sent again, FAILED again) and `included` (its lock is gone, FINALIZED still due). One
 * Store entry per payment under `prefix`, keyed by FastPay tx hash, forgotten once the machine is done. A queued
 * payment needs none: its live lock alone puts it back in the queue.
 */
export class SettlementSnapshots {
  constructor(
    private readonly store: Store,
    private readonly prefix: string,
  ) {}

  save(txHash: Uint8Array, snapshot: Snapshot<unknown>): Promise<void> {
    return this.store.put(this.prefix + toHex(txHash), encodeTagged(snapshot));
  }

  async forget(txHashes: readonly Uint8Array[]): Promise<void> {
    if (txHashes.length === 0) return;
    await this.store.batch(txHashes.map((h) => ({ key: this.prefix + toHex(h), value: null })));
  }

  async *all(): AsyncIterable<StoredSettlement> {
    for await (const [key, value] of this.store.scan(this.prefix)) {
      yield { txHash: fromHex(key.slice(this.prefix.length), 32), snapshot: decodeTagged(value) };
    }
  }
}
