import { concatBytes } from '../bytes.ts';
import type { CryptoSuite } from '../crypto/suite.ts';
import { type Reject, RejectCode, reject } from '../reject.ts';
import { uintToBytes32 } from './uint-bytes.ts';

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
const SECP256K1_HALF_N = SECP256K1_N >> 1n;

/**
 * The address that produced the secp256k1 signature (r, s, yParity) over `hash`, through the suite's recovery
 * (native libsecp256k1 in Node). The signature must be canonical as Ethereum and Tempo require (EIP-2: 0 < r < n,
 * 0 < s ≤ n/2, yParity 0 or 1): a high-s twin would be a second encoding of the same tx that the chain refuses.
 * Reference §6.2 A11 / §7.1 step 9.
 */
export function recoverSecp256k1Sender(
  suite: CryptoSuite,
  hash: Uint8Array,
  r: bigint,
  s: bigint,
  yParity: number,
): Uint8Array | Reject {
  if (r <= 0n || r >= SECP256K1_N || s <= 0n || s >= SECP256K1_N || (yParity !== 0 && yParity !== 1)) {
    return reject(RejectCode.INVALID_FORMAT, 'invalid secp256k1 signature values');
  }
  if (s > SECP256K1_HALF_N)
    return reject(RejectCode.INVALID_FORMAT, 'secp256k1 signature s is not low (EIP-2)');
  const compact = concatBytes(uintToBytes32(r), uintToBytes32(s));
  const sender = suite.recoverAddress(hash, compact, yParity);
  return sender ?? reject(RejectCode.INVALID_FORMAT, 'unable to recover tx signer');
}
