import { sha256 } from '@noble/hashes/sha2.js';
import { keccak_256 } from '@noble/hashes/sha3.js';
import { createNobleEd25519 } from './ed25519-noble.ts';
import { nobleAddressOf, nobleRecoverAddress, nobleSignRecoverable } from './secp256k1-noble.ts';
import type { CryptoSuite } from './suite.ts';

/** The pure-JS suite for browsers (and a parity reference for the Node suite). */
export function createBrowserCryptoSuite(): CryptoSuite {
  return {
    name: 'browser',
    sha256: (data) => sha256(data),
    keccak256: (data) => keccak_256(data),
    ed25519: createNobleEd25519(),
    recoverAddress: nobleRecoverAddress,
    signRecoverable: nobleSignRecoverable,
    addressOf: nobleAddressOf,
  };
}
