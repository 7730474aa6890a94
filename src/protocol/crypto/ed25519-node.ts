import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import type { Ed25519Backend, Ed25519Signer } from './suite.ts';

/** DER prefixes that wrap a raw 32-byte Ed25519 seed (PKCS#8) or public key (SPKI). */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** Public keys parsed for verification; bounded because committees are small. */
const MAX_CACHED_KEYS = 1024;

function publicKeyObject(cache: Map<string, KeyObject>, publicKey: Uint8Array): KeyObject {
  const hex = Buffer.from(publicKey).toString('hex');
  let key = cache.get(hex);
  if (!key) {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    if (cache.size >= MAX_CACHED_KEYS) cache.clear();
    cache.set(hex, key);
  }
  return key;
}

/** Ed25519 over node:crypto (OpenSSL): ~35k signs/s and ~12k verifies/s per core (CRYPTO-CEILINGS.md). */
export function createNodeEd25519(): Ed25519Backend {
  const cache = new Map<string, KeyObject>();
  return {
    name: 'node:crypto',
    signer(seed: Uint8Array): Ed25519Signer {
      if (seed.length !== 32) throw new RangeError('Ed25519 seed must be 32 bytes');
      const privateKey = createPrivateKey({
        key: Buffer.concat([PKCS8_PREFIX, seed]),
        format: 'der',
        type: 'pkcs8',
      });
      const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
      const publicKey = new Uint8Array(spki.subarray(spki.length - 32));
      return { publicKey, sign: (message) => new Uint8Array(sign(null, message, privateKey)) };
    },
    verify(publicKey, message, signature) {
      if (publicKey.length !== 32 || signature.length !== 64) return false;
      try {
        return verify(null, message, publicKeyObject(cache, publicKey), signature);
      } catch {
        return false;
      }
    },
  };
}
