import { toHex } from '../../protocol/bytes.ts';
import { decodeTagged, encodeTagged } from '../../protocol/tagged-json.ts';
import type { Effects, QuorumCertificate, SubmitRequest } from '../../protocol/types.ts';
import type { Store } from '../../store/store.ts';

/**
 * What the aggregator knows of a payment beyond its actor's context: the certified effects (with the nonce the
 * context lacks), the signed request when it was submitted through this aggregator (so a restart can resume the
 * collection and find the receipt), and the QC exactly as formed (its certificate choice fixes its qc_hash).
 */
export interface PaymentRecord {
  readonly txHash: Uint8Array;
  readonly effectsHash: Uint8Array;
  readonly effects: Effects;
  readonly request?: SubmitRequest;
  /** keccak256 of the signed Tempo tx: the chain's tx hash. */
  readonly chainTxHash?: Uint8Array;
  /** The wrapper's unix-millis expiry: validators certify it only before then. */
  readonly expiresAtMs?: bigint;
  /** The signed tx's validBefore in unix millis: the chain's own deadline, from which it can no longer land. */
  readonly validBeforeMs?: bigint;
  readonly qc?: QuorumCertificate;
}

const PREFIX = 'aggregator/payment/';

/** PaymentRecords in the Store under `aggregator/payment/<tx hash>`, cached in memory. */
export class PaymentRecords {
  readonly #cache = new Map<string, PaymentRecord>();

  constructor(private readonly store: Store) {}

  /** Loads every record (at start). */
  async load(): Promise<PaymentRecord[]> {
    for await (const [, value] of this.store.scan(PREFIX)) {
      const record = decodeTagged<PaymentRecord>(value);
      this.#cache.set(toHex(record.txHash), record);
    }
    return [...this.#cache.values()];
  }

  get(txHash: string): PaymentRecord | undefined {
    return this.#cache.get(txHash);
  }

  /** Writes the record, merging fields over what is held (a request or QC is never dropped). */
  async save(record: PaymentRecord): Promise<PaymentRecord> {
    const key = toHex(record.txHash);
    const merged = { ...this.#cache.get(key), ...record };
    this.#cache.set(key, merged);
    await this.store.put(`${PREFIX}${key}`, encodeTagged(merged));
    return merged;
  }
}
