/**
 * Byte helpers for canonical encodings. Hex at the edges is `0x`-lowercase (ARCHITECTURE.md, conventions).
 */

/** Error raised for malformed hex or wrong-length byte strings at a parsing edge. */
export class ByteFormatError extends Error {
  readonly code = 'BYTE_FORMAT';
}

const HEX = /^[0-9a-fA-F]*$/;

const HEX_BYTE = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * `0x`-prefixed lowercase hex of `bytes` (pure JS: this module runs in browsers too). Joined, not appended: `+=`
 * leaves a rope of one node per byte, which a long-lived map key keeps (about 1 KB for a 32-byte hash).
 */
export function toHex(bytes: Uint8Array): `0x${string}` {
  const parts = new Array<string>(bytes.length + 1);
  parts[0] = '0x';
  for (let i = 0; i < bytes.length; i++) parts[i + 1] = HEX_BYTE[bytes[i]!]!;
  return parts.join('') as `0x${string}`;
}

/**
 * A compact string with one character per byte, for map keys: distinct byte strings give distinct keys. Not for
 * display or for the wire.
 */
export function byteKey(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/** Parses hex with or without `0x`; throws ByteFormatError on odd length or a non-hex character. */
export function fromHex(hex: string, expectedLength?: number): Uint8Array {
  const body = hex.startsWith('0x') || hex.startsWith('0X') ? hex.slice(2) : hex;
  if (body.length % 2 !== 0 || !HEX.test(body)) throw new ByteFormatError(`invalid hex: ${truncate(hex)}`);
  const out = new Uint8Array(body.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(body.slice(2 * i, 2 * i + 2), 16);
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new ByteFormatError(`expected ${expectedLength} bytes, got ${out.length}`);
  }
  return out;
}

function truncate(s: string): string {
  return s.length > 24 ? `${s.slice(0, 24)}…` : s;
}

/** Concatenation of byte strings. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Byte-wise equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic comparison of byte strings (shorter prefix first), for deterministic orderings. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** `n` copies of `byte`, e.g. the reference's `0x5b*32` test keys. */
export function repeatByte(byte: number, n: number): Uint8Array {
  return new Uint8Array(n).fill(byte);
}

export const U64_MAX = (1n << 64n) - 1n;

/** True if `v` is an integer in [0, 2^64). */
export function isU64(v: bigint): boolean {
  return v >= 0n && v <= U64_MAX;
}
