import { toHex } from '../../protocol/bytes.ts';
import type { Committee } from '../../protocol/committee.ts';
import type { CryptoSuite } from '../../protocol/crypto/suite.ts';
import { LruMap } from '../../protocol/lru-map.ts';
import { decodeTagged, encodeTagged } from '../../protocol/tagged-json.ts';
import type { Effects, QuorumCertificate, SubmitRequest } from '../../protocol/types.ts';
import type { Store } from '../../store/store.ts';
import {
  restoredQuorumCertificate,
  type StoredQuorumCertificate,
  storedQuorumCertificate,
} from './stored-quorum-certificate.ts';

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

/** A record as stored: its QC in the compact form (records of earlier versions hold the QC in full). */
type StoredRecord = Omit<PaymentRecord, 'qc'> & { readonly qc?: StoredQuorumCertificate | QuorumCertificate };

export interface PaymentRecordsOptions {
  readonly store: Store;
  /** Rebuilds stored QCs: signers' names and keys, and the QC hash checked again. */
  readonly committee: Committee;
  readonly suite: CryptoSuite;
  /** Records of finished payments kept in memory at most (recently finished or read); default 1 000. */
  readonly recent?: number;
}

/**
 * PaymentRecords in the Store under `aggregator/payment/<tx hash>`. Records of open payments are held in memory
 * (`hold`); a finished payment's record leaves memory (`release`) for a small recent cache and is read back from
 * the store on demand (`read`), so memory follows open payments, not history.
 */
export class PaymentRecords {
  readonly #open = new Map<string, PaymentRecord>();
  readonly #recent: LruMap<string, PaymentRecord>;

  readonly #o: PaymentRecordsOptions;

  constructor(options: PaymentRecordsOptions) {
    this.#o = options;
    this.#recent = new LruMap(options.recent ?? 1_000);
  }

  /** The record from memory, when held there. */
  get(txHash: string): PaymentRecord | undefined {
    return this.#open.get(txHash) ?? this.#recent.get(txHash);
  }

  /** The record from memory, or read from the store (then kept in the recent cache). */
  async read(txHash: string): Promise<PaymentRecord | undefined> {
    const held = this.get(txHash);
    if (held) return held;
    const bytes = await this.#o.store.get(PREFIX + txHash);
    if (!bytes) return undefined;
    const record = this.#restored(decodeTagged<StoredRecord>(bytes));
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
    const { qc, ...rest } = merged;
    const stored: StoredRecord = { ...rest, ...(qc ? { qc: storedQuorumCertificate(qc) } : {}) };
    await this.#o.store.put(`${PREFIX}${key}`, encodeTagged(stored));
    return merged;
  }

  #restored(stored: StoredRecord): PaymentRecord {
    const { qc, ...rest } = stored;
    if (!qc || 'txHash' in qc) return stored as PaymentRecord;
    return { ...rest, qc: restoredQuorumCertificate(qc, rest, this.#o.committee, this.#o.suite) };
  }
}
