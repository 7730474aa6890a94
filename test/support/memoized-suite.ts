import type { CryptoSuite } from '../../src/protocol/crypto/suite.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/**
 * The real suite with its expensive answers remembered: Ed25519 signatures are deterministic and recovery is a pure
 * function, so a property test that replays the same payments thousands of times pays for each once.
 */
export function memoizedSuite(real: CryptoSuite): CryptoSuite {
  const recovered = new Map<string, Uint8Array | undefined>();
  const verified = new Map<string, boolean>();
  return {
    ...real,
    name: `${real.name}+memo`,
    recoverAddress(hash, signature, recoveryId) {
      const key = `${hex(hash)}${hex(signature)}${recoveryId}`;
      if (!recovered.has(key)) recovered.set(key, real.recoverAddress(hash, signature, recoveryId));
      return recovered.get(key);
    },
    ed25519: {
      name: real.ed25519.name,
      signer(seed) {
        const inner = real.ed25519.signer(seed);
        const signed = new Map<string, Uint8Array>();
        return {
          publicKey: inner.publicKey,
          sign(message) {
            const key = hex(message);
            let sig = signed.get(key);
            if (!sig) {
              sig = inner.sign(message);
              signed.set(key, sig);
            }
            return sig;
          },
        };
      },
      verify(publicKey, message, signature) {
        const key = `${hex(publicKey)}${hex(message)}${hex(signature)}`;
        let ok = verified.get(key);
        if (ok === undefined) {
          ok = real.ed25519.verify(publicKey, message, signature);
          verified.set(key, ok);
        }
        return ok;
      },
    },
  };
}
