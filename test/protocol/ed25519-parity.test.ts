import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex, repeatByte } from '../../src/protocol/bytes.ts';
import { createNobleEd25519 } from '../../src/protocol/crypto/ed25519-noble.ts';
import { createNodeEd25519 } from '../../src/protocol/crypto/ed25519-node.ts';
import { goldenExpected } from '../support/golden-vector.ts';

const node = createNodeEd25519();
const noble = createNobleEd25519();

/** Appendix A pubkeys (reference §12.1 seeds). */
const APPENDIX_A_PUBKEYS = [
  { seed: '41', pubkey: 'db995fe25169d141cab9bbba92baa01f9f2e1ece7df4cb2ac05190f37fcc1f9d' },
  { seed: '42', pubkey: '2152f8d19b791d24453242e15f2eab6cb7cffa7b6a5ed30097960e069881db12' },
  { seed: '07', pubkey: 'ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c' },
  { seed: '08', pubkey: '1398f62c6d1a457c51ba6a4b5f3dbd2f69fca93216218dc8997e416bd17d93ca' },
];

/** Appendix A: the signature by seed `0x41*32` over the golden cert_digest. */
const APPENDIX_A_SIGNATURE = fromHex(
  '0dbd7bfc248a390e1e21bca4d0ee977072393a82cc91363ce88fdd4910afe57a561afc67939514db2b28c0cbe4d04579ba8583e423178b11aa803ff4c630bb0e',
);

describe.each([
  ['node:crypto', node],
  ['noble', noble],
])('Ed25519 with %s matches Appendix A (reference §4)', (_, backend) => {
  it.each(APPENDIX_A_PUBKEYS)('derives the public key of seed 0x$seed*32', ({ seed, pubkey }) => {
    expect(backend.signer(fromHex(seed.repeat(32))).publicKey).toEqual(fromHex(pubkey));
  });

  it('signs the golden cert digest with seed 0x41*32 exactly as Appendix A, and verifies it', () => {
    const signer = backend.signer(repeatByte(0x41, 32));
    expect(signer.sign(goldenExpected.certDigest)).toEqual(APPENDIX_A_SIGNATURE);
    expect(backend.verify(signer.publicKey, goldenExpected.certDigest, APPENDIX_A_SIGNATURE)).toBe(true);
  });

  it('rejects the Appendix A signature over another message or with a wrong-length key', () => {
    const signer = backend.signer(repeatByte(0x41, 32));
    expect(backend.verify(signer.publicKey, goldenExpected.txHash, APPENDIX_A_SIGNATURE)).toBe(false);
    expect(
      backend.verify(signer.publicKey.subarray(1), goldenExpected.certDigest, APPENDIX_A_SIGNATURE),
    ).toBe(false);
  });
});

describe('Ed25519 backend parity', () => {
  it('node:crypto and noble derive the same keys and signatures, and each verifies the other', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 96 }),
        (seed, message) => {
          const a = node.signer(seed);
          const b = noble.signer(seed);
          expect(a.publicKey).toEqual(b.publicKey);
          const sigA = a.sign(message);
          const sigB = b.sign(message);
          expect(sigA).toEqual(sigB);
          expect(noble.verify(a.publicKey, message, sigA)).toBe(true);
          expect(node.verify(b.publicKey, message, sigB)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('both backends reject the same tampered signatures', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 64 }),
        fc.nat(63),
        (seed, message, flip) => {
          const signer = node.signer(seed);
          const sig = signer.sign(message);
          sig[flip]! ^= 0x01;
          expect(node.verify(signer.publicKey, message, sig)).toBe(false);
          expect(noble.verify(signer.publicKey, message, sig)).toBe(false);
        },
      ),
      { numRuns: 100 },
    );
  });
});
