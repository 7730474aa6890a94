import { keccak_256 } from '@noble/hashes/sha3.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadNativeKeccak256 } from '../../src/protocol/crypto/keccak-native.ts';
import { createNodeCryptoSuite } from '../../src/protocol/crypto/node-suite.ts';

describe('native Keccak-256', () => {
  const native = loadNativeKeccak256();

  it('loads here (the keccak package ships a linux-x64 prebuild)', () => {
    expect(native).toBeDefined();
  });

  it('equals @noble/hashes on any input, across block boundaries and on reuse of its sponge', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (data) => {
        expect(native!(data)).toEqual(keccak_256(data));
      }),
      { numRuns: 500 },
    );
  });

  it('is the Node suite keccak256 and gives the known empty-input digest', () => {
    expect(Buffer.from(createNodeCryptoSuite().keccak256(new Uint8Array())).toString('hex')).toBe(
      'c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    );
  });
});
