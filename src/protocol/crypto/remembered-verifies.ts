import { byteKey } from '../bytes.ts';
import { LruMap } from '../lru-map.ts';
import type { CryptoSuite } from './suite.ts';

/** Longest message remembered (certificate digests are 32 bytes). */
const MAX_MESSAGE = 256;

/**
 * `suite` with an Ed25519 `verify` that remembers the last `capacity` signatures it found valid. A sidecar meets
 * each peer certificate twice: when gossip brings it, and again inside the parent QC of the payment that spends
 * it; the second check becomes a lookup. Only successes are remembered, keyed by the public key, the message and
 * the signature together (fixed lengths, so the key is unambiguous), so every answer is exactly what verification would return.
 */
export function rememberingVerifies(
  suite: CryptoSuite,
  capacity: number,
): CryptoSuite & { readonly remembered: { readonly size: number; readonly capacity: number } } {
  const valid = new LruMap<string, true>(capacity);
  const { ed25519 } = suite;
  return {
    ...suite,
    remembered: {
      get size() {
        return valid.size;
      },
      capacity,
    },
    ed25519: {
      name: ed25519.name,
      signer: (seed) => ed25519.signer(seed),
      verify(publicKey, message, signature) {
        if (publicKey.length !== 32 || signature.length !== 64 || message.length > MAX_MESSAGE) {
          return ed25519.verify(publicKey, message, signature);
        }
        const key = byteKey(signature) + byteKey(publicKey) + byteKey(message);
        if (valid.get(key)) return true;
        const ok = ed25519.verify(publicKey, message, signature);
        if (ok) valid.set(key, true);
        return ok;
      },
    },
  };
}
