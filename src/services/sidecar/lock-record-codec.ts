import { decodeTagged } from '../../protocol/tagged-json.ts';
import { StoreError } from '../../store/store.ts';

/** The first byte of a binary safety record: its format version. */
export const SAFETY_RECORD_VERSION = 1;

/** The first byte of a safety record written as tagged JSON by earlier versions (`{`): still read on restore. */
const LEGACY_JSON_FIRST_BYTE = 0x7b;

/**
 * Field names written as one byte (their index). Append only: a record names its fields by these indexes for
 * ever; a name not listed is written inline.
 */
const FIELD_NAMES = [
  'delta',
  'cert',
  'txHash',
  'effects',
  'sender',
  'recipient',
  'amount',
  'asset',
  'nonce',
  'nonceKey',
  'seq',
  'debits',
  'account',
  'credit',
  'inclusionDeadlineMs',
  'parent',
  'signedTx',
  'confirms',
  'pool',
  'paymentId',
  'qcHash',
  'effectsHash',
  'signer',
  'name',
  'id',
  'pubkey',
  'signature',
  'createdUnixMillis',
  'settlementSignature',
  'parentTxHash',
  'parentEffectsHash',
  'parentSender',
  'parentNonceKey',
  'parentSeq',
  'deadline',
  'kind',
  'value',
] as const;
const FIELD_INDEX = new Map<string, number>(FIELD_NAMES.map((name, i) => [name, i]));
const INLINE_FIELD = 0xff;

enum Tag {
  Null = 0,
  False = 1,
  True = 2,
  Bytes = 3,
  BigInt = 4,
  NegativeBigInt = 5,
  String = 6,
  Number = 7,
  Array = 8,
  Object = 9,
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A lock or credit record (plain objects of bytes, bigints, strings, numbers and booleans) as compact bytes:
 * the version byte, then each value as a tag byte and its payload (lengths as LEB128 varints, bigints as
 * big-endian magnitudes, known field names as one byte). `undefined` fields are left out, as in JSON.
 */
export function encodeSafetyRecord(record: object): Uint8Array {
  const w = new Writer();
  w.byte(SAFETY_RECORD_VERSION);
  w.value(record);
  return w.finish();
}

/**
 * Reads a record written by `encodeSafetyRecord`, or by earlier versions as tagged JSON. Anything else (another
 * version byte, truncated or damaged bytes) is STORE_CORRUPT: the sidecar refuses to start rather than lose a
 * lock.
 */
export function decodeSafetyRecord<T>(bytes: Uint8Array, key: string): T {
  const first = bytes[0];
  try {
    if (first === LEGACY_JSON_FIRST_BYTE) return decodeTagged<T>(bytes);
    if (first === SAFETY_RECORD_VERSION) {
      const r = new Reader(bytes, 1);
      const value = r.value();
      if (r.offset !== bytes.length) throw new Error(`${bytes.length - r.offset} bytes after the record`);
      return value as T;
    }
  } catch (err) {
    throw new StoreError('STORE_CORRUPT', `safety record ${key} does not decode: ${(err as Error).message}`);
  }
  throw new StoreError(
    'STORE_CORRUPT',
    `safety record ${key} has format byte ${first === undefined ? 'none (empty)' : `0x${first.toString(16).padStart(2, '0')}`}; this version reads ${SAFETY_RECORD_VERSION} and tagged JSON`,
  );
}

class Writer {
  #buf = new Uint8Array(512);
  #at = 0;

  #room(n: number): void {
    if (this.#at + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#at + n));
    next.set(this.#buf.subarray(0, this.#at));
    this.#buf = next;
  }

  byte(b: number): void {
    this.#room(1);
    this.#buf[this.#at++] = b;
  }

  varint(n: number): void {
    this.#room(5);
    while (n >= 0x80) {
      this.#buf[this.#at++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.#buf[this.#at++] = n;
  }

  raw(bytes: Uint8Array): void {
    this.varint(bytes.length);
    this.#room(bytes.length);
    this.#buf.set(bytes, this.#at);
    this.#at += bytes.length;
  }

  value(v: unknown): void {
    if (v === null || v === undefined) this.byte(Tag.Null);
    else if (typeof v === 'boolean') this.byte(v ? Tag.True : Tag.False);
    else if (typeof v === 'string') this.#tagged(Tag.String, encoder.encode(v));
    else if (typeof v === 'bigint')
      this.#tagged(v < 0n ? Tag.NegativeBigInt : Tag.BigInt, magnitude(v < 0n ? -v : v));
    else if (typeof v === 'number') this.#number(v);
    else if (v instanceof Uint8Array) this.#tagged(Tag.Bytes, v);
    else if (Array.isArray(v)) this.#array(v);
    else if (typeof v === 'object') this.#object(v);
    else throw new TypeError(`a safety record cannot hold a ${typeof v}`);
  }

  #tagged(tag: number, bytes: Uint8Array): void {
    this.byte(tag);
    this.raw(bytes);
  }

  #number(v: number): void {
    this.byte(Tag.Number);
    this.#room(8);
    new DataView(this.#buf.buffer).setFloat64(this.#at, v, true);
    this.#at += 8;
  }

  #array(v: readonly unknown[]): void {
    this.byte(Tag.Array);
    this.varint(v.length);
    for (const item of v) this.value(item);
  }

  #object(v: object): void {
    const record = v as Record<string, unknown>;
    const names = Object.keys(record).filter((name) => record[name] !== undefined);
    this.byte(Tag.Object);
    this.varint(names.length);
    for (const name of names) {
      const field = record[name];
      const index = FIELD_INDEX.get(name);
      if (index === undefined) this.#tagged(INLINE_FIELD, encoder.encode(name));
      else this.byte(index);
      this.value(field);
    }
  }

  finish(): Uint8Array {
    return this.#buf.slice(0, this.#at);
  }
}

class Reader {
  constructor(
    private readonly bytes: Uint8Array,
    public offset: number,
  ) {}

  #byte(): number {
    const b = this.bytes[this.offset++];
    if (b === undefined) throw new Error('truncated');
    return b;
  }

  #varint(): number {
    let n = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.#byte();
      n += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return n;
    }
    throw new Error('varint too long');
  }

  #raw(): Uint8Array {
    const length = this.#varint();
    if (this.offset + length > this.bytes.length) throw new Error('truncated');
    const out = this.bytes.slice(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  value(): unknown {
    const tag = this.#byte();
    switch (tag) {
      case Tag.Null:
        return null;
      case Tag.False:
        return false;
      case Tag.True:
        return true;
      case Tag.Bytes:
        return this.#raw();
      case Tag.BigInt:
        return fromMagnitude(this.#raw());
      case Tag.NegativeBigInt:
        return -fromMagnitude(this.#raw());
      case Tag.String:
        return decoder.decode(this.#raw());
      case Tag.Number: {
        if (this.offset + 8 > this.bytes.length) throw new Error('truncated');
        const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.offset, 8);
        this.offset += 8;
        return view.getFloat64(0, true);
      }
      case Tag.Array:
        return Array.from({ length: this.#count() }, () => this.value());
      case Tag.Object: {
        const out: Record<string, unknown> = {};
        for (let n = this.#count(); n > 0; n--) {
          const index = this.#byte();
          const name = index === INLINE_FIELD ? decoder.decode(this.#raw()) : FIELD_NAMES[index];
          if (name === undefined) throw new Error(`unknown field index ${index}`);
          const value = this.value();
          if (name === '__proto__') {
            Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
          } else out[name] = value;
        }
        return out;
      }
      default:
        throw new Error(`unknown value tag ${tag}`);
    }
  }

  /** An element count, bounded by the bytes left (each element takes at least one byte). */
  #count(): number {
    const n = this.#varint();
    if (n > this.bytes.length - this.offset) throw new Error('count beyond the record');
    return n;
  }
}

/** The big-endian bytes of a non-negative bigint, none for zero (number arithmetic below 2^53, the usual case). */
function magnitude(v: bigint): Uint8Array {
  if (v <= SAFE) {
    let n = Number(v);
    let length = 0;
    for (let m = n; m > 0; m = Math.floor(m / 256)) length++;
    const out = new Uint8Array(length);
    for (let i = length - 1; i >= 0; i--) {
      out[i] = n % 256;
      n = Math.floor(n / 256);
    }
    return out;
  }
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function fromMagnitude(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}
