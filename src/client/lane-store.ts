import { toHex } from '../protocol/bytes.ts';
import { decodeTagged, encodeTagged } from '../protocol/tagged-json.ts';
import type { QuorumCertificate, SubmitRequest } from '../protocol/types.ts';
import type { Store } from '../store/store.ts';
import { AllegroClientError } from './errors.ts';
import type { Lane } from './lane.ts';

/** A signed payment whose sequence is reserved: resubmitted unchanged until it is finished or released. */
export interface PendingPayment {
  /** The tx and the parent QCs, exactly as first sent (a retry of the same request is always safe). */
  readonly request: SubmitRequest;
  readonly txHash: Uint8Array;
  readonly effectsHash: Uint8Array;
  /** Unix millis from which the signed tx can be neither certified nor included (its validBefore). */
  readonly expiresAtMs: bigint;
}

/** The durable state of one lane. A pending payment always holds sequence `next`. */
export interface LaneRecord {
  /** The sequence the lane's next payment uses. */
  readonly next: bigint;
  readonly pending?: PendingPayment;
  /**
   * The QC of the payment at `next − 1`: sidecars certify `next` while that payment is unsettled only when they
   * are shown it (FastPay's confirmation order), so every request of the lane carries it.
   */
  readonly previousQc?: QuorumCertificate;
}

/** A lane record as read, with the stored bytes a later write must still find (compare-and-set). */
export interface LaneSnapshot {
  readonly record: LaneRecord;
  readonly stored: Uint8Array | undefined;
}

const VERSION = 1;

/**
 * The lane's sequence state in the Store, written durably (fixes reference §14 "the journal and snapshot are never
 * persisted"): a payer restarted on the same store resumes the lane where it was. Writes are compare-and-set
 * against the snapshot they start from, so two clients sharing a store cannot both take one sequence.
 */
export class LaneStore {
  readonly #store: Store;
  readonly #key: string;

  /** `escrow`: the lane of escrow payments, whose sequence is the escrow's, kept apart from the wallet lane. */
  constructor(store: Store, sender: Uint8Array, lane: Lane, escrow?: Uint8Array) {
    this.#store = store;
    const pool = escrow ? `/escrow/${toHex(escrow)}` : '';
    this.#key = `allegro/client/lane/${toHex(sender)}/${toHex(lane.nonceKey)}${pool}`;
  }

  async read(): Promise<LaneSnapshot> {
    const stored = await this.#store.get(this.#key);
    return { record: stored ? decodeRecord(stored) : { next: 0n }, stored };
  }

  /** Replaces `from` with `record`, durably; LANE_CONFLICT when another writer changed the lane since `from`. */
  async write(from: LaneSnapshot, record: LaneRecord): Promise<LaneSnapshot> {
    const stored = encodeTagged({ version: VERSION, ...record });
    if (!(await this.#store.compareAndSet(this.#key, from.stored, stored, { durable: true }))) {
      throw new AllegroClientError('LANE_CONFLICT', `lane ${this.#key} was changed by another client`);
    }
    return { record, stored };
  }
}

function decodeRecord(stored: Uint8Array): LaneRecord {
  const value = decodeTagged<{ version?: unknown } & LaneRecord>(stored);
  if (value.version !== VERSION || typeof value.next !== 'bigint') {
    throw new AllegroClientError('CONFIG', `unreadable lane record (version ${String(value.version)})`);
  }
  const { version: _, ...record } = value;
  return record;
}
