import { compareBytes, fromHex } from '../bytes.ts';
import type { CryptoSuite } from '../crypto/suite.ts';
import { type Reject, RejectCode, reject } from '../reject.ts';
import { padUintTo32 } from './uint-bytes.ts';

/** A secp256k1 signature as big-endian unsigned byte strings (any length, leading zeros allowed). */
export interface Secp256k1Signature {
  readonly r: Uint8Array;
  readonly s: Uint8Array;
  readonly yParity: number;
}

const SECP256K1_N = fromHex('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141');
const SECP256K1_HALF_N = fromHex('7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0');
const ZERO = new Uint8Array(32);

/**
 * The address that produced the secp256k1 signature (r, s, yParity) over `hash`, through the suite's recovery
 * (native libsecp256k1 in Node). The signature must be canonical as Ethereum and Tempo require (EIP-2: 0 < r < n,
 * 0 < s ≤ n/2, yParity 0 or 1): a high-s twin would be a second encoding of the same tx that the chain refuses.
 * The bounds are compared on the bytes, so no bigint is built. Reference §6.2 A11 / §7.1 step 9.
 */
export function recoverSecp256k1Sender(
  suite: CryptoSuite,
  hash: Uint8Array,
  { r, s, yParity }: Secp256k1Signature,
): Uint8Array | Reject {
  const rWord = word32(r);
  const sWord = word32(s);
  if (!isScalar(rWord) || !isScalar(sWord) || (yParity !== 0 && yParity !== 1)) {
    return reject(RejectCode.INVALID_FORMAT, 'invalid secp256k1 signature values');
  }
  if (compareBytes(sWord, SECP256K1_HALF_N) > 0) {
    return reject(RejectCode.INVALID_FORMAT, 'secp256k1 signature s is not low (EIP-2)');
  }
  const compact = new Uint8Array(64);
  compact.set(rWord, 0);
  compact.set(sWord, 32);
  const sender = suite.recoverAddress(hash, compact, yParity);
  return sender ?? reject(RejectCode.INVALID_FORMAT, 'unable to recover tx signer');
}

/** `value` as exactly 32 bytes (extra leading zeros dropped), or undefined when it does not fit. */
function word32(value: Uint8Array): Uint8Array | undefined {
  let first = 0;
  for (; value.length - first > 32; first++) if (value[first] !== 0) return undefined;
  return padUintTo32(value.subarray(first));
}

/** 0 < word < n, compared as 32-byte big-endian strings. */
function isScalar(word: Uint8Array | undefined): word is Uint8Array {
  return word !== undefined && compareBytes(word, ZERO) > 0 && compareBytes(word, SECP256K1_N) < 0;
}
