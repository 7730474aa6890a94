import { toHex } from '../../protocol/bytes.ts';
import { LruMap } from '../../protocol/lru-map.ts';
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

/**
 * PaymentRecords in the Store under `aggregator/payment/<tx hash>`. Records of open payments are held in memory
 * (`hold`); a finished payment's record leaves memory (`release`) for a small recent cache and is read back from
 * the store on demand (`read`), so memory follows open payments, not history.
 */
export class PaymentRecords {
  readonly #open = new Map<string, PaymentRecord>();
  readonly #recent: LruMap<string, PaymentRecord>;

  /** `recent`: records of finished payments kept in memory at most (recently finished or read). */
  constructor(
    private readonly store: Store,
    recent = 1_000,
  ) {
    this.#recent = new LruMap(recent);
  }

  /** The record from memory, when held there. */
  get(txHash: string): PaymentRecord | undefined {
    return this.#open.get(txHash) ?? this.#recent.get(txHash);
  }

  /** The record from memory, or read from the store (then kept in the recent cache). */
  async read(txHash: string): Promise<PaymentRecord | undefined> {
    const held = this.get(txHash);
    if (held) return held;
    const bytes = await this.store.get(PREFIX + txHash);
    if (!bytes) return undefined;
    const record = decodeTagged<PaymentRecord>(bytes);
    if (!this.#open.has(txHash)) this.#recent.set(txHash, record);
    return record;
  }

  /** Keeps the record of an open payment in memory. */
  hold(record: PaymentRecord): void {
    const key = toHex(record.txHash);
    this.#recent.delete(key);
    this.#open.set(key, record);
  }

  /** The payment finished: its record leaves memory but for the recent cache. */
  release(txHash: string): void {
    const record = this.#open.get(txHash);
    if (!record) return;
    this.#open.delete(txHash);
    this.#recent.set(txHash, record);
  }

  /** Writes the record, merging fields over what is stored (a request or QC is never dropped). */
  async save(record: PaymentRecord): Promise<PaymentRecord> {
    const key = toHex(record.txHash);
    const merged = { ...(await this.read(key)), ...record };
    if (this.#open.has(key)) this.#open.set(key, merged);
    else this.#recent.set(key, merged);
    await this.store.put(`${PREFIX}${key}`, encodeTagged(merged));
    return merged;
  }
}
