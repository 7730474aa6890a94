import { secp256k1 } from '@noble/curves/secp256k1.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import type { RecoverableSignature } from './suite.ts';

/** Address recovery in pure JS (@noble/curves), for browsers: ~780 recoveries/s. */
export function nobleRecoverAddress(
  hash: Uint8Array,
  signature: Uint8Array,
  recoveryId: number,
): Uint8Array | undefined {
  if (hash.length !== 32 || signature.length !== 64 || (recoveryId !== 0 && recoveryId !== 1))
    return undefined;
  try {
    const point = secp256k1.Signature.fromBytes(signature, 'compact')
      .addRecoveryBit(recoveryId)
      .recoverPublicKey(hash);
    return keccak_256(point.toBytes(false).subarray(1)).subarray(12);
  } catch {
    return undefined;
  }
}

/** RFC 6979 secp256k1 signing in pure JS (@noble/curves), for browsers. */
export function nobleSignRecoverable(hash: Uint8Array, privateKey: Uint8Array): RecoverableSignature {
  const recovered = secp256k1.sign(hash, privateKey, { prehash: false, format: 'recovered' });
  return { signature: recovered.slice(1), recoveryId: recovered[0]! };
}

/** The Ethereum address of a private key in pure JS. */
export function nobleAddressOf(privateKey: Uint8Array): Uint8Array {
  return keccak_256(secp256k1.getPublicKey(privateKey, false).subarray(1)).subarray(12);
}
