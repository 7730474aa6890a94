import { fromHex, toHex } from '../bytes.ts';

/** Big-endian unsigned integer of `bytes` (0 for no bytes). */
export function uintFromBytes(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(toHex(bytes));
}

/** `value` (0 ≤ value < 2^256) as 32 big-endian bytes. */
export function uintToBytes32(value: bigint): Uint8Array {
  return fromHex(value.toString(16).padStart(64, '0'), 32);
}
