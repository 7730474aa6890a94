import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex } from '../../src/protocol/bytes.ts';
import { createNodeCryptoSuite } from '../../src/protocol/crypto/node-suite.ts';
import type { CryptoSuite } from '../../src/protocol/crypto/suite.ts';
import { recoverSecp256k1Sender } from '../../src/protocol/tempo/secp256k1-sender.ts';
import { SECP256K1_N } from '../support/tempo-tx-fixtures.ts';

const ADDRESS = new Uint8Array(20).fill(0xaa);
const calls: Uint8Array[] = [];
const stub: CryptoSuite = {
  ...createNodeCryptoSuite(),
  recoverAddress: (_hash, signature) => {
    calls.push(signature);
    return ADDRESS;
  },
};
const HASH = new Uint8Array(32).fill(1);

function word(value: bigint, size = 32): Uint8Array {
  return fromHex(value.toString(16).padStart(size * 2, '0'));
}

function recover(r: Uint8Array, s: Uint8Array, yParity = 0) {
  return recoverSecp256k1Sender(stub, HASH, { r, s, yParity });
}

describe('recoverSecp256k1Sender: EIP-2 bounds compared on bytes', () => {
  it('accepts exactly 0 < r < n, 0 < s ≤ n/2 and yParity 0 or 1, as the bigint rule does', () => {
    const halfN = SECP256K1_N >> 1n;
    const interesting = [0n, 1n, halfN, halfN + 1n, SECP256K1_N - 1n, SECP256K1_N, (1n << 256n) - 1n];
    const value = fc.oneof(fc.constantFrom(...interesting), fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }));
    fc.assert(
      fc.property(value, value, fc.integer({ min: -1, max: 2 }), (r, s, yParity) => {
        const ok = r > 0n && r < SECP256K1_N && s > 0n && s <= halfN && (yParity === 0 || yParity === 1);
        const result = recover(word(r), word(s), yParity);
        expect(result instanceof Uint8Array).toBe(ok);
      }),
      { numRuns: 2000 },
    );
  });

  it('takes r and s of any width with leading zeros, and passes the 64-byte r‖s to the suite', () => {
    calls.length = 0;
    expect(recover(Uint8Array.of(5), concatBytes(new Uint8Array(8), word(7n)))).toEqual(ADDRESS);
    expect(calls[0]).toEqual(concatBytes(word(5n), word(7n)));
    expect(recover(concatBytes(Uint8Array.of(1), word(5n)), word(7n))).toMatchObject({
      message: 'invalid secp256k1 signature values',
    });
    expect(recover(new Uint8Array(), word(7n))).toMatchObject({
      message: 'invalid secp256k1 signature values',
    });
    expect(recover(word(5n), word(SECP256K1_N - 1n))).toMatchObject({
      message: 'secp256k1 signature s is not low (EIP-2)',
    });
  });
});
