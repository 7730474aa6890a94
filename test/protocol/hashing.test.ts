import { describe, expect, it } from 'vitest';
import { fromHex, repeatByte } from '../../src/protocol/bytes.ts';
import { createBrowserCryptoSuite } from '../../src/protocol/crypto/browser-suite.ts';
import { createNodeCryptoSuite } from '../../src/protocol/crypto/node-suite.ts';
import { REFERENCE_QC_CERTS, REFERENCE_QC_THRESHOLD } from '../../src/protocol/hash-vector.ts';
import { certDigest, certPreimage, effectsHash, qcHash, txHash } from '../../src/protocol/hashing.ts';
import { goldenContext, goldenEffects, goldenExpected, goldenTx } from '../support/golden-vector.ts';

/** Appendix A: the TxBuilder legacy tx Alice→Bob 10 on chain 1337 (reference §10.1, §12.1). */
const LEGACY_TX = fromHex(
  'f8a78001830138809420c000000000000000000000aaaaaaaaaaaaaaaa80b844a9059cbb0000000000000000000000001563915e194d8cfba1943570603f7606a3115508000000000000000000000000000000000000000000000000000000000000000a820a96a005eb1be0e2928d88c0aa681f31abe32eaba156f31cc797a57722f2091bf2ecd5a02beb436c9a38495eff1cfed91171c4b0de766663d2ede996885cb5159996d4ae',
);
const LEGACY_NONCE = { nonceKey: repeatByte(0x5b, 32), seq: 0n };

describe.each([
  ['node', createNodeCryptoSuite()],
  ['browser', createBrowserCryptoSuite()],
])('canonical hashing with the %s suite (reference §3)', (_, suite) => {
  it('reproduces the golden tx_hash and effects_hash (§3.5)', () => {
    expect(txHash(suite, goldenTx)).toEqual(goldenExpected.txHash);
    expect(effectsHash(suite, goldenEffects)).toEqual(goldenExpected.effectsHash);
  });

  it('reproduces the golden cert preimage byte for byte and its digest (§3.3)', () => {
    const { txHash: tx, effectsHash: fx } = goldenExpected;
    expect(certPreimage(goldenContext, tx, fx)).toEqual(goldenExpected.certPreimage);
    expect(certDigest(suite, goldenContext, tx, fx)).toEqual(goldenExpected.certDigest);
  });

  it('reproduces the golden qc_hash whatever the order of the certificates (§3.4)', () => {
    const qc = { ...goldenExpected, threshold: REFERENCE_QC_THRESHOLD };
    expect(qcHash(suite, { ...qc, certs: REFERENCE_QC_CERTS })).toEqual(goldenExpected.qcHash);
    expect(qcHash(suite, { ...qc, certs: [...REFERENCE_QC_CERTS].reverse() })).toEqual(goldenExpected.qcHash);
  });

  it('reproduces the Appendix A legacy tx_hash (no parent encodes as one 0x00 byte) and effects_hash', () => {
    const tx = {
      chainId: 1337n,
      tempoTx: LEGACY_TX,
      nonce: LEGACY_NONCE,
      expiry: { kind: 'maxBlockHeight', value: 100n } as const,
      parentQcHash: new Uint8Array(),
    };
    expect(txHash(suite, tx)).toEqual(
      fromHex('e3f15bb9eb5d50ab44f6a7a22a106f2fcfa7115448737809b8e22ed8f444d85c'),
    );
    const effects = {
      sender: fromHex('19e7e376e7c213b7e7e7e46cc70a5dd086daff2a'),
      recipient: fromHex('1563915e194d8cfba1943570603f7606a3115508'),
      amount: 10n,
      asset: fromHex('20c000000000000000000000aaaaaaaaaaaaaaaa'),
      nonce: LEGACY_NONCE,
    };
    expect(effectsHash(suite, effects)).toEqual(
      fromHex('6f455e6450df96ba460d0a8b32a3f12344a7eb5722e93fc0222c9cbb7f92ffee'),
    );
  });

  it('binds tx_hash to the expiry kind, the parent and the chain', () => {
    const golden = txHash(suite, goldenTx);
    const unixMillis = { ...goldenTx, expiry: { kind: 'unixMillis', value: 99n } as const };
    expect(txHash(suite, unixMillis)).not.toEqual(golden);
    expect(txHash(suite, { ...goldenTx, parentQcHash: new Uint8Array() })).not.toEqual(golden);
    expect(txHash(suite, { ...goldenTx, chainId: 1338n })).not.toEqual(golden);
  });

  it('refuses to hash a parent qc hash that is neither empty nor 32 bytes (§3.1)', () => {
    expect(() => txHash(suite, { ...goldenTx, parentQcHash: new Uint8Array(31) })).toThrow(RangeError);
  });
});
