import { secp256k1 } from '@noble/curves/secp256k1.js';
import { byteKey, compareBytes, concatBytes } from '../bytes.ts';
import type { CryptoSuite } from '../crypto/suite.ts';

/** Length of an escrow signature: r ‖ s ‖ v with v = 27 or 28 (what the contract's ecrecover takes). */
export const ESCROW_SIGNATURE_LENGTH = 65;

/**
 * Signs a 32-byte escrow digest (payment id, settlement or rotation digest) with a secp256k1 key: RFC 6979,
 * low s, returned as the 65-byte r ‖ s ‖ v the contract verifies.
 */
export function signEscrowDigest(digest: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const recovered = secp256k1.sign(digest, privateKey, { prehash: false, format: 'recovered' });
  return concatBytes(recovered.subarray(1), Uint8Array.of(27 + recovered[0]!));
}

/** The 20-byte address that signed `digest`, or undefined for a malformed or non-recovering signature. */
export function recoverEscrowSigner(
  suite: CryptoSuite,
  digest: Uint8Array,
  signature: Uint8Array,
): Uint8Array | undefined {
  if (signature.length !== ESCROW_SIGNATURE_LENGTH) return undefined;
  const v = signature[64]!;
  const recoveryId = v >= 27 ? v - 27 : v;
  return suite.recoverAddress(digest, signature.subarray(0, 64), recoveryId);
}

/**
 * Orders settlement signatures as the contract requires: by strictly ascending signer address, one per signer
 * (later duplicates dropped), signatures that do not recover dropped. Membership and threshold stay the
 * contract's (and the QC verifier's) to check.
 */
export function orderEscrowSignatures(
  suite: CryptoSuite,
  digest: Uint8Array,
  signatures: readonly Uint8Array[],
): Uint8Array[] {
  const bySigner = new Map<string, { signer: Uint8Array; signature: Uint8Array }>();
  for (const signature of signatures) {
    const signer = recoverEscrowSigner(suite, digest, signature);
    if (!signer) continue;
    const key = byteKey(signer);
    if (!bySigner.has(key)) bySigner.set(key, { signer, signature });
  }
  return [...bySigner.values()].sort((a, b) => compareBytes(a.signer, b.signer)).map((e) => e.signature);
}
