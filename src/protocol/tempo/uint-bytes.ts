/** Bytes per chunk when converting: 6 bytes (48 bits) are exact in a double. */
const CHUNK = 6;

/** Big-endian unsigned integer of `bytes` (0 for no bytes), read directly in 48-bit chunks (no hex round trip). */
export function uintFromBytes(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = 0; i < bytes.length; ) {
    const take = Math.min(CHUNK, bytes.length - i);
    let chunk = 0;
    for (const end = i + take; i < end; i++) chunk = chunk * 256 + bytes[i]!;
    value = take === CHUNK ? (value << 48n) | BigInt(chunk) : (value << BigInt(8 * take)) | BigInt(chunk);
  }
  return value;
}

/** Big-endian unsigned `bytes` (at most 32, leading zeros allowed) left-padded to 32 bytes, as a fresh array. */
export function padUintTo32(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(32);
  out.set(bytes, 32 - bytes.length);
  return out;
}
