import { isU64 } from './bytes.ts';

const ASCII = new TextEncoder();
const TAG_CACHE = new Map<string, Uint8Array>();

/** The ASCII bytes of a domain tag; tags are a handful of constants, so they are encoded once. */
function tagBytes(ascii: string): Uint8Array {
  let bytes = TAG_CACHE.get(ascii);
  if (!bytes) {
    bytes = ASCII.encode(ascii);
    if (TAG_CACHE.size < 64) TAG_CACHE.set(ascii, bytes);
  }
  return bytes;
}

/**
 * Byte writer for the canonical encodings of reference §3: raw ASCII tags, fixed-width big-endian
 * integers, u32-length-prefixed variable bytes and raw fixed-size ids. A value that does not fit its
 * field is a caller bug (inputs are validated before hashing), so it throws RangeError instead of
 * producing a hash of something the reference could never encode. Writes go into one growing buffer, which
 * `reset` keeps for the next encoding.
 */
export class CanonicalWriter {
  private buffer = new Uint8Array(256);
  private view = new DataView(this.buffer.buffer);
  private length = 0;

  /** A domain tag: raw ASCII bytes, no length prefix (§3 "Tags"). */
  tag(ascii: string): this {
    return this.push(tagBytes(ascii));
  }

  u8(value: number): this {
    this.checkUint(value, 1);
    this.reserve(1).setUint8(this.length, value);
    this.length += 1;
    return this;
  }

  u16(value: number): this {
    this.checkUint(value, 2);
    this.reserve(2).setUint16(this.length, value);
    this.length += 2;
    return this;
  }

  u32(value: number): this {
    this.checkUint(value, 4);
    this.reserve(4).setUint32(this.length, value);
    this.length += 4;
    return this;
  }

  u64(value: bigint): this {
    if (!isU64(value)) throw new RangeError(`u64 out of range: ${value}`);
    this.reserve(8).setBigUint64(this.length, value);
    this.length += 8;
    return this;
  }

  /** Variable-length bytes: u32 big-endian length, then the bytes (§3). */
  bytes(value: Uint8Array): this {
    return this.u32(value.length).push(value);
  }

  /** A fixed-size id written raw; its length must be exactly `length` (§3 "Fixed-size ids"). */
  fixed(value: Uint8Array, length: number): this {
    if (value.length !== length) throw new RangeError(`expected ${length} bytes, got ${value.length}`);
    return this.push(value);
  }

  /** Everything written so far, as a copy. */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }

  /** Starts over, keeping the buffer: a writer reused for many encodings allocates only when one outgrows it. */
  reset(): this {
    this.length = 0;
    return this;
  }

  /** Everything written so far, without a copy: valid only until the next write or `reset`. */
  written(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }

  private checkUint(value: number, width: 1 | 2 | 4): void {
    const max = 2 ** (8 * width) - 1;
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new RangeError(`u${8 * width} out of range: ${value}`);
    }
  }

  private push(part: Uint8Array): this {
    this.reserve(part.length);
    this.buffer.set(part, this.length);
    this.length += part.length;
    return this;
  }

  /** Ensures room for `n` more bytes; returns the view to write through. */
  private reserve(n: number): DataView {
    if (this.length + n > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + n));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
      this.view = new DataView(grown.buffer);
    }
    return this.view;
  }
}
