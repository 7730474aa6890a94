import { randomBytes } from 'node:crypto';
import { toHex } from '../../protocol/bytes.ts';
import { certificateSigner } from '../../protocol/certificate.ts';
import type { ValidatorCertificate } from '../../protocol/types.ts';
import { SeqQueue } from './seq-queue.ts';

/** Limits of a board (reference §6.1 `SidecarLimits`, CLI `--max-total-certs`, `--max-bulletin-board-response`). */
export interface BulletinBoardLimits {
  /** Certificates held at most; the oldest inserted is evicted to make room. Default 10 000. */
  readonly maxTotalCerts?: number;
  /** Certificates per page at most, whatever the request's limit. Default 1 000. */
  readonly maxResponse?: number;
}

/** A GetBulletinBoard request (reference §6.6 plus Allegro's `cursor`). */
export interface BulletinBoardQuery {
  /** Only certificates for exactly this tx hash. */
  readonly txHash?: Uint8Array;
  /** Only certificates whose effects' sender or recipient is this address. */
  readonly address?: Uint8Array;
  /** Only certificates with `createdUnixMillis >= sinceUnixMillis`. */
  readonly sinceUnixMillis?: bigint;
  /** A `nextCursor` from an earlier page of this board; empty or absent for the first page. */
  readonly cursor?: string;
  /** Page size; 0 means the board's `maxResponse`, larger values are capped to it. */
  readonly limit: number;
}

/** One page, or the reason the cursor was refused (the gRPC layer answers INVALID_ARGUMENT). */
export type BulletinBoardPage =
  | {
      readonly ok: true;
      readonly certs: readonly ValidatorCertificate[];
      /** Resumes after this page's last certificate; empty when the page is empty. */
      readonly nextCursor: string;
    }
  | { readonly ok: false; readonly message: string };

interface Entry {
  readonly seq: number;
  readonly cert: ValidatorCertificate;
  readonly key: string;
  readonly txKey: string;
  readonly addressKeys: readonly string[];
}

const CURSOR = /^([0-9a-f]{12})\.([0-9]{1,15})$/;

/**
 * The certificates a validator publishes: its own and verified gossiped ones, one per (tx hash, signer id).
 * Every insertion gets a strictly increasing sequence number and pages follow that order, so a client
 * resuming with `nextCursor` never skips or repeats a certificate, however many share one millisecond
 * (fixes reference §6.6/§14: empty next_cursor, ties in HashMap order, since-based paging). Memory is bounded:
 * when full the oldest inserted certificate is evicted (the reference stopped accepting new ones, §14).
 * Cursors carry a random id of this board instance, so a cursor from before a restart is refused, not misread.
 */
export class BulletinBoard {
  readonly maxTotalCerts: number;
  readonly maxResponse: number;
  readonly #instance = randomBytes(6).toString('hex');
  readonly #log = new SeqQueue<Entry>();
  readonly #byKey = new Map<string, Entry>();
  readonly #byTx = new Map<string, SeqQueue<Entry>>();
  readonly #byAddress = new Map<string, SeqQueue<Entry>>();
  #lastSeq = 0;

  constructor(limits: BulletinBoardLimits = {}) {
    this.maxTotalCerts = positiveInteger('maxTotalCerts', limits.maxTotalCerts ?? 10_000);
    this.maxResponse = positiveInteger('maxResponse', limits.maxResponse ?? 1_000);
  }

  get size(): number {
    return this.#log.length;
  }

  /** Whether the board holds a certificate by this signer for this tx (reference §6.9 dedup key). */
  has(cert: ValidatorCertificate): boolean {
    const key = entryKey(cert);
    return key !== undefined && this.#byKey.has(key);
  }

  /**
   * Inserts `cert` unless one by the same signer for the same tx is held; evicts the oldest when full.
   * Returns whether it was inserted. A certificate without a 32-byte signer id is never inserted.
   */
  add(cert: ValidatorCertificate): boolean {
    const key = entryKey(cert);
    if (key === undefined || this.#byKey.has(key)) return false;
    if (this.#log.length >= this.maxTotalCerts) this.#evictOldest();
    const addressKeys = [cert.effects?.sender, cert.effects?.recipient].flatMap((a) =>
      a === undefined ? [] : [toHex(a)],
    );
    const entry: Entry = {
      seq: ++this.#lastSeq,
      cert,
      key,
      txKey: toHex(cert.txHash),
      addressKeys: [...new Set(addressKeys)],
    };
    this.#log.push(entry);
    this.#byKey.set(key, entry);
    indexAdd(this.#byTx, entry.txKey, entry);
    for (const a of entry.addressKeys) indexAdd(this.#byAddress, a, entry);
    return true;
  }

  /** A page of certificates in insertion order after `query.cursor`, filtered as reference §6.6. */
  query(query: BulletinBoardQuery): BulletinBoardPage {
    const after = this.#cursorSeq(query.cursor ?? '');
    if (typeof after === 'string') return { ok: false, message: after };
    const limit = query.limit > 0 ? Math.min(query.limit, this.maxResponse) : this.maxResponse;
    const since = query.sinceUnixMillis ?? 0n;
    const source = query.txHash
      ? this.#byTx.get(toHex(query.txHash))
      : query.address
        ? this.#byAddress.get(toHex(query.address))
        : this.#log;
    const certs: ValidatorCertificate[] = [];
    let last: number | undefined;
    for (const entry of source?.after(after) ?? []) {
      if (entry.cert.createdUnixMillis < since) continue;
      certs.push(entry.cert);
      last = entry.seq;
      if (certs.length === limit) break;
    }
    return { ok: true, certs, nextCursor: last === undefined ? '' : `${this.#instance}.${last}` };
  }

  /** The seq a cursor resumes after, or why it is refused. */
  #cursorSeq(cursor: string): number | string {
    if (cursor === '') return 0;
    const match = CURSOR.exec(cursor);
    if (!match) return `malformed bulletin board cursor "${cursor.slice(0, 40)}"`;
    if (match[1] !== this.#instance) {
      return 'bulletin board cursor is from an earlier run of this validator: page again from the start';
    }
    const seq = Number(match[2]);
    if (seq > this.#lastSeq) return 'bulletin board cursor is ahead of this board';
    return seq;
  }

  #evictOldest(): void {
    const oldest = this.#log.shift();
    if (!oldest) return;
    this.#byKey.delete(oldest.key);
    indexEvict(this.#byTx, oldest.txKey);
    for (const a of oldest.addressKeys) indexEvict(this.#byAddress, a);
  }
}

/** `txHash:signerId` in hex, or undefined when the certificate names no 32-byte signer. */
function entryKey(cert: ValidatorCertificate): string | undefined {
  const signer = certificateSigner(cert);
  return signer && `${toHex(cert.txHash)}:${toHex(signer)}`;
}

function indexAdd(index: Map<string, SeqQueue<Entry>>, key: string, entry: Entry): void {
  let queue = index.get(key);
  if (!queue) {
    queue = new SeqQueue();
    index.set(key, queue);
  }
  queue.push(entry);
}

/** Drops the oldest entry under `key`: the globally oldest entry is also the oldest in each of its indexes. */
function indexEvict(index: Map<string, SeqQueue<Entry>>, key: string): void {
  const queue = index.get(key);
  queue?.shift();
  if (queue?.length === 0) index.delete(key);
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}
