import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteFormatError, fromHex } from '../../src/protocol/bytes.ts';
import {
  decodeSubblockNonceKey,
  encodeSubblockNonceKey,
  isSubblockNonceKey,
  partialValidatorKey,
} from '../../src/protocol/tempo/subblock-nonce-key.ts';

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

describe('sub-block nonce key codec', () => {
  it('lays out 0x5b ‖ 15-byte partial validator key ‖ 16 bytes of app data', () => {
    const key = encodeSubblockNonceKey(new Uint8Array(15).fill(0xaa), new Uint8Array(16).fill(0xbb));
    expect(key).toEqual(fromHex(`0x5b${'aa'.repeat(15)}${'bb'.repeat(16)}`));
  });

  it('decode inverts encode for every partial key and app data', () => {
    fc.assert(
      fc.property(bytes(15), bytes(16), (partial, appData) => {
        const key = encodeSubblockNonceKey(partial, appData);
        expect(key).toHaveLength(32);
        expect(isSubblockNonceKey(key)).toBe(true);
        expect(decodeSubblockNonceKey(key)).toEqual({ partialValidatorKey: partial, appData });
      }),
    );
  });

  it('encode inverts decode for every 32-byte key with the 0x5b prefix', () => {
    fc.assert(
      fc.property(bytes(31), (rest) => {
        const key = Uint8Array.of(0x5b, ...rest);
        const parts = decodeSubblockNonceKey(key)!;
        expect(encodeSubblockNonceKey(parts.partialValidatorKey, parts.appData)).toEqual(key);
      }),
    );
  });

  it('is not a sub-block key without the 0x5b prefix or without exactly 32 bytes', () => {
    fc.assert(
      fc.property(bytes(32), (key) => {
        fc.pre(key[0] !== 0x5b);
        expect(isSubblockNonceKey(key)).toBe(false);
        expect(decodeSubblockNonceKey(key)).toBeUndefined();
      }),
    );
    expect(decodeSubblockNonceKey(new Uint8Array(31).fill(0x5b))).toBeUndefined();
    expect(decodeSubblockNonceKey(new Uint8Array(33).fill(0x5b))).toBeUndefined();
    expect(decodeSubblockNonceKey(fromHex(`0x${'5b'.repeat(24)}`))).toBeUndefined();
  });

  it('rejects wrongly sized parts as a caller bug', () => {
    expect(() => encodeSubblockNonceKey(new Uint8Array(14), new Uint8Array(16))).toThrow(ByteFormatError);
    expect(() => encodeSubblockNonceKey(new Uint8Array(15), new Uint8Array(17))).toThrow(ByteFormatError);
  });

  it('the partial validator key is the first 15 bytes of the 32-byte validator key (Tempo matches by prefix)', () => {
    fc.assert(
      fc.property(bytes(32), (publicKey) => {
        expect(partialValidatorKey(publicKey)).toEqual(publicKey.subarray(0, 15));
      }),
    );
    expect(() => partialValidatorKey(new Uint8Array(33))).toThrow(ByteFormatError);
  });
});
