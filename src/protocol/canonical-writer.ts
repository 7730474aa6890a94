import { concatBytes, isU64 } from './bytes.ts';

const ASCII = new TextEncoder();

/**
 * Byte writer for the canonical encodings of reference §3: raw ASCII tags, fixed-width big-endian
 * integers, u32-length-prefixed variable bytes and raw fixed-size ids. A value that does not fit its
 * field is a caller bug (inputs are validated before hashing), so it throws RangeError instead of
 * producing a hash of something the reference could never encode.
 */
export class CanonicalWriter {
  private readonly parts: Uint8Array[] = [];

  /** A domain tag: raw ASCII bytes, no length prefix (§3 "Tags"). */
  tag(ascii: string): this {
    return this.push(ASCII.encode(ascii));
  }

  u8(value: number): this {
    return this.uint(value, 1);
  }

  u16(value: number): this {
    return this.uint(value, 2);
  }

  u32(value: number): this {
    return this.uint(value, 4);
  }

  u64(value: bigint): this {
    if (!isU64(value)) throw new RangeError(`u64 out of range: ${value}`);
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, value);
    return this.push(out);
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

  /** The concatenation of everything written so far. */
  finish(): Uint8Array {
    return concatBytes(...this.parts);
  }

  private uint(value: number, width: 1 | 2 | 4): this {
    const max = 2 ** (8 * width) - 1;
    if (!Number.isInteger(value) || value < 0 || value > max) {
      throw new RangeError(`u${8 * width} out of range: ${value}`);
    }
    const out = new Uint8Array(width);
    for (let i = width - 1, v = value; i >= 0; i--, v = Math.floor(v / 256)) out[i] = v % 256;
    return this.push(out);
  }

  private push(part: Uint8Array): this {
    this.parts.push(part);
    return this;
  }
}
