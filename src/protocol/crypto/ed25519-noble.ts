import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import type { Ed25519Backend } from './suite.ts';

/** Ed25519 in pure JS (@noble/ed25519, sync API with @noble/hashes sha512), for browsers. */
export function createNobleEd25519(): Ed25519Backend {
  ed.hashes.sha512 = sha512;
  return {
    name: '@noble/ed25519',
    signer(seed) {
      if (seed.length !== 32) throw new RangeError('Ed25519 seed must be 32 bytes');
      const s = Uint8Array.from(seed);
      return { publicKey: ed.getPublicKey(s), sign: (message) => ed.sign(message, s) };
    },
    verify(publicKey, message, signature) {
      if (publicKey.length !== 32 || signature.length !== 64) return false;
      try {
        return ed.verify(signature, message, publicKey);
      } catch {
        return false;
      }
    },
  };
}
