import fc from 'fast-check';
import { Secp256k1 } from 'ox';
import { bytesToBigInt } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { describe, expect, it } from 'vitest';
import { signTempoTransfer } from '../../src/chain/tempo-transfer.ts';
import { fromHex, toHex } from '../../src/protocol/bytes.ts';
import { createBrowserCryptoSuite } from '../../src/protocol/crypto/browser-suite.ts';
import { createNodeCryptoSuite } from '../../src/protocol/crypto/node-suite.ts';
import { SECP256K1_N } from '../support/tempo-tx-fixtures.ts';

const node = createNodeCryptoSuite();
const browser = createBrowserCryptoSuite();

/** A valid secp256k1 private key: 1 ≤ k < n. */
const privateKey = fc
  .bigInt({ min: 1n, max: SECP256K1_N - 1n })
  .map((k) => fromHex(`0x${k.toString(16).padStart(64, '0')}`));
const hash = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe('secp256k1 signing: native and pure JS give the bytes an Ethereum signer gives', () => {
  it('signs like ox (RFC 6979, low s) and the signature recovers the key’s address, in both suites', () => {
    fc.assert(
      fc.property(privateKey, hash, (key, h) => {
        const expected = Secp256k1.sign({ payload: toHex(h), privateKey: toHex(key) });
        for (const suite of [node, browser]) {
          const { signature, recoveryId } = suite.signRecoverable(h, key);
          expect(bytesToBigInt(signature.subarray(0, 32))).toBe(expected.r);
          expect(bytesToBigInt(signature.subarray(32))).toBe(expected.s);
          expect(recoveryId).toBe(expected.yParity);
          expect(node.recoverAddress(h, signature, recoveryId)).toEqual(suite.addressOf(key));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('derives the address viem derives', () => {
    fc.assert(
      fc.property(privateKey, (key) => {
        const expected = fromHex(privateKeyToAddress(toHex(key)));
        expect(node.addressOf(key)).toEqual(expected);
        expect(browser.addressOf(key)).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('a Tempo transfer signed through the suite is byte for byte the one ox signs', () => {
    const transfer = {
      chainId: 1337n,
      senderKey: fromHex(`0x${'11'.repeat(32)}`),
      recipient: fromHex(`0x${'22'.repeat(20)}`),
      amount: 5n,
      nonceKey: new Uint8Array(32),
      nonce: 3n,
      feeToken: fromHex(`0x20c0${'0'.repeat(36)}`),
      validBefore: 2_000_000_000n,
    };
    expect(signTempoTransfer({ ...transfer, sign: node.signRecoverable })).toEqual(
      signTempoTransfer(transfer),
    );
  });

  it('refuses an invalid private key instead of signing with it', () => {
    for (const suite of [node, browser]) {
      expect(() => suite.signRecoverable(new Uint8Array(32).fill(1), new Uint8Array(32))).toThrow();
    }
  });
});
