import { describe, expect, it } from 'vitest';
import { repeatByte } from '../../src/protocol/bytes.ts';
import { encodeSubblockNonceKey, partialValidatorKey } from '../../src/protocol/tempo/subblock-nonce-key.ts';
import { settlementRoute } from '../../src/services/sidecar/settlement-route.ts';
import { DAVE, EDGAR } from '../support/demo-keys.ts';
import { suite } from '../support/validator-harness.ts';

const daveKey = suite.ed25519.signer(DAVE.seed).publicKey;
const edgarKey = suite.ed25519.signer(EDGAR.seed).publicKey;
const routedToDave = encodeSubblockNonceKey(partialValidatorKey(daveKey), repeatByte(7, 16));
const ordinaryKey = Uint8Array.of(...repeatByte(0, 31), 1);

describe('settlementRoute', () => {
  it('sub-block lanes: the validator the key routes to forwards at once, the others step in after the delay', () => {
    expect(settlementRoute('subblock', routedToDave, daveKey, 2)).toEqual({ primary: true, delayBlocks: 0 });
    expect(settlementRoute('subblock', routedToDave, edgarKey, 2)).toEqual({
      primary: false,
      delayBlocks: 2,
    });
    expect(settlementRoute('subblock', routedToDave, edgarKey, 5).delayBlocks).toBe(5);
  });

  it('matches only the 15-byte prefix of the validator key', () => {
    const sameprefix = Uint8Array.of(...daveKey.slice(0, 15), ...repeatByte(0xff, 17));
    expect(settlementRoute('subblock', routedToDave, sameprefix, 2).primary).toBe(true);
    const otherPrefix = Uint8Array.of(daveKey[0]! ^ 1, ...daveKey.slice(1));
    expect(settlementRoute('subblock', routedToDave, otherPrefix, 2).primary).toBe(false);
  });

  it('sub-block lanes: a key without the 0x5b prefix is forwarded by everyone at once', () => {
    expect(settlementRoute('subblock', ordinaryKey, edgarKey, 2)).toEqual({ primary: true, delayBlocks: 0 });
  });

  it('default lanes: everyone forwards at once, even a 0x5b key', () => {
    expect(settlementRoute('default', routedToDave, edgarKey, 2)).toEqual({ primary: true, delayBlocks: 0 });
    expect(settlementRoute('default', ordinaryKey, daveKey, 2)).toEqual({ primary: true, delayBlocks: 0 });
  });
});
