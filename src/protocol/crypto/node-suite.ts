import { hash } from 'node:crypto';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { createNodeEd25519 } from './ed25519-node.ts';
import { loadNativeKeccak256 } from './keccak-native.ts';
import {
  loadNativeSecp256k1,
  nativeAddressOf,
  nativeRecoverAddress,
  nativeSignRecoverable,
} from './secp256k1-native.ts';
import type { CryptoSuite } from './suite.ts';

/**
 * The Node suite: node:crypto SHA-256 and Ed25519, native libsecp256k1 recovery and signing, native Keccak-256 when the
 * `keccak` binding loads (else @noble/hashes). Throws
 * NativeSecp256k1Unavailable when the binding is missing (ARCHITECTURE.md "fail loudly").
 */
export function createNodeCryptoSuite(): CryptoSuite {
  const keccak256 = loadNativeKeccak256() ?? ((data: Uint8Array) => keccak_256(data));
  const secp256k1 = loadNativeSecp256k1();
  const recoverAddress = nativeRecoverAddress(secp256k1, keccak256);
  return {
    name: 'node',
    sha256: (data) => new Uint8Array(hash('sha256', data, 'buffer')),
    keccak256,
    ed25519: createNodeEd25519(),
    recoverAddress,
    signRecoverable: nativeSignRecoverable(secp256k1),
    addressOf: nativeAddressOf(secp256k1, keccak256),
  };
}
