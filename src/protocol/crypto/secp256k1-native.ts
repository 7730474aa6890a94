import { createRequire } from 'node:module';
import type { RecoverableSignature } from './suite.ts';

interface Secp256k1Native {
  ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean): Uint8Array;
  ecdsaSign(msg32: Uint8Array, seckey: Uint8Array): { signature: Uint8Array; recid: number };
  publicKeyCreate(seckey: Uint8Array, compressed: boolean): Uint8Array;
}

/** Error thrown when the libsecp256k1 binding is missing: we never fall back to 30× slower JS silently. */
export class NativeSecp256k1Unavailable extends Error {
  readonly code = 'NATIVE_SECP256K1_UNAVAILABLE';
}

/**
 * Loads the `secp256k1` package's native libsecp256k1 binding directly (`secp256k1/bindings`), bypassing its
 * index.js, which silently falls back to the elliptic JS implementation (TOOLCHAIN.md gotcha 21).
 */
export function loadNativeSecp256k1(): Secp256k1Native {
  try {
    return createRequire(import.meta.url)('secp256k1/bindings') as Secp256k1Native;
  } catch (err) {
    throw new NativeSecp256k1Unavailable(
      `native libsecp256k1 binding did not load (${(err as Error).message}); reinstall the "secp256k1" package`,
    );
  }
}

/** Address recovery through libsecp256k1 (~19k recoveries/s per core); the address is `keccak256(pub)[12..]`. */
export function nativeRecoverAddress(binding: Secp256k1Native, keccak256: (data: Uint8Array) => Uint8Array) {
  return (hash: Uint8Array, signature: Uint8Array, recoveryId: number): Uint8Array | undefined => {
    if (hash.length !== 32 || signature.length !== 64 || (recoveryId !== 0 && recoveryId !== 1))
      return undefined;
    try {
      const pub = binding.ecdsaRecover(signature, recoveryId, hash, false);
      return keccak256(pub.subarray(1)).subarray(12);
    } catch {
      return undefined;
    }
  };
}

/** libsecp256k1 signing (its default nonces are RFC 6979, and s is low), about 20× @noble/curves. */
export function nativeSignRecoverable(binding: Secp256k1Native) {
  return (hash: Uint8Array, privateKey: Uint8Array): RecoverableSignature => {
    const { signature, recid } = binding.ecdsaSign(hash, privateKey);
    return { signature, recoveryId: recid };
  };
}

/** The Ethereum address of a private key through libsecp256k1. */
export function nativeAddressOf(binding: Secp256k1Native, keccak256: (data: Uint8Array) => Uint8Array) {
  return (privateKey: Uint8Array): Uint8Array =>
    keccak256(binding.publicKeyCreate(privateKey, false).subarray(1)).subarray(12);
}
