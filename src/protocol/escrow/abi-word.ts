import { ByteFormatError } from '../bytes.ts';

/** One 32-byte ABI word: the static-type encoding of Solidity's `abi.encode`. */
export type AbiWord = Uint8Array;

/** `uint256` (or a narrower uint) as a big-endian 32-byte word; throws unless 0 ≤ value < 2^256. */
export function uintWord(value: bigint): AbiWord {
  if (value < 0n || value >= 1n << 256n) throw new ByteFormatError(`not a uint256: ${value}`);
  const out = new Uint8Array(32);
  for (let i = 31, v = value; v > 0n; i--, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

/** A 20-byte `address` left-padded to a word; a 32-byte `bytes32` or uint256 big-endian value as is. */
export function bytesWord(bytes: Uint8Array): AbiWord {
  if (bytes.length !== 20 && bytes.length !== 32) {
    throw new ByteFormatError(`expected an address (20 bytes) or a word (32 bytes), got ${bytes.length}`);
  }
  const out = new Uint8Array(32);
  out.set(bytes, 32 - bytes.length);
  return out;
}
