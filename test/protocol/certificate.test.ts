import { describe, expect, it } from 'vitest';
import { fromHex, repeatByte } from '../../src/protocol/bytes.ts';
import { certificateSigner, signCertificate, verifyCertificate } from '../../src/protocol/certificate.ts';
import { createBrowserCryptoSuite } from '../../src/protocol/crypto/browser-suite.ts';
import { createNodeCryptoSuite } from '../../src/protocol/crypto/node-suite.ts';
import type { ValidatorCertificate } from '../../src/protocol/types.ts';
import { goldenContext, goldenEffects, goldenExpected } from '../support/golden-vector.ts';
import { committeeOf, type TestValidator, testValidators } from '../support/test-committee.ts';

const suite = createNodeCryptoSuite();
const validators = testValidators(suite, 3);
const dave = validators[0]!;
const edgar = validators[1]!;
const outsider = validators[2]!;
const committee = committeeOf([dave, edgar], goldenContext);

function signBy(v: TestValidator, ctx = goldenContext): ValidatorCertificate {
  const { txHash, effectsHash } = goldenExpected;
  return signCertificate(suite, v.signer, v, ctx, goldenEffects, txHash, effectsHash, 1000n);
}

describe('certificateSigner (reference §2.3 conversion rule)', () => {
  const cert = signBy(dave);
  const signer = cert.signer!;

  it('uses signer.id when it is non-empty', () => {
    expect(certificateSigner(cert)).toEqual(dave.id);
  });

  it('falls back to signer.pubkey when the id is empty', () => {
    expect(certificateSigner({ ...cert, signer: { ...signer, id: new Uint8Array() } })).toEqual(
      dave.signer.publicKey,
    );
  });

  it('gives undefined for a chosen field that is not 32 bytes, or no signer at all', () => {
    expect(certificateSigner({ ...cert, signer: { ...signer, id: new Uint8Array(31) } })).toBeUndefined();
    const neither = { ...signer, id: new Uint8Array(), pubkey: new Uint8Array() };
    expect(certificateSigner({ ...cert, signer: neither })).toBeUndefined();
    expect(certificateSigner({ ...cert, signer: undefined })).toBeUndefined();
  });
});

describe('signCertificate (reference §4)', () => {
  it('signs the golden cert digest: seed 0x41*32 gives the Appendix A signature', () => {
    expect(signBy(dave).signature).toEqual(
      fromHex(
        '0dbd7bfc248a390e1e21bca4d0ee977072393a82cc91363ce88fdd4910afe57a561afc67939514db2b28c0cbe4d04579ba8583e423178b11aa803ff4c630bb0e',
      ),
    );
  });

  it('carries the signer name, id and public key and the effects summary', () => {
    const cert = signBy(dave);
    expect(cert.signer).toEqual({ name: dave.name, id: dave.id, pubkey: dave.signer.publicKey });
    expect(cert.effects).toEqual(goldenEffects);
    expect(cert.createdUnixMillis).toBe(1000n);
  });
});

describe('verifyCertificate (reference §4, stricter)', () => {
  it('accepts a member certificate with either crypto backend', () => {
    expect(verifyCertificate(suite, committee, signBy(dave))).toBeUndefined();
    expect(verifyCertificate(createBrowserCryptoSuite(), committee, signBy(edgar))).toBeUndefined();
  });

  it('accepts a certificate that names its signer by pubkey only when the committee id is that key', () => {
    const byKey = {
      ...committee,
      members: [{ name: 'k', id: dave.signer.publicKey, publicKey: dave.signer.publicKey }],
    };
    const cert = signBy(dave);
    expect(
      verifyCertificate(suite, byKey, { ...cert, signer: { ...cert.signer!, id: new Uint8Array() } }),
    ).toBeUndefined();
  });

  it('rejects a signer outside the committee', () => {
    expect(verifyCertificate(suite, committee, signBy(outsider))).toMatch(/is not a committee member/);
  });

  it('rejects a certificate signed for another epoch', () => {
    const cert = signBy(dave, { ...goldenContext, epoch: goldenContext.epoch + 1n });
    expect(verifyCertificate(suite, committee, cert)).toMatch(/invalid signature/);
  });

  it('rejects a certificate signed for another chain', () => {
    const cert = signBy(dave, { ...goldenContext, chainId: goldenContext.chainId + 1n });
    expect(verifyCertificate(suite, committee, cert)).toMatch(/invalid signature/);
  });

  it('rejects a committee with another epoch than the one signed', () => {
    const next = { ...committee, epoch: committee.epoch + 1n };
    expect(verifyCertificate(suite, next, signBy(dave))).toMatch(/invalid signature/);
  });

  it('rejects a tampered signature', () => {
    const cert = signBy(dave);
    const signature = Uint8Array.from(cert.signature);
    signature[10]! ^= 0x40;
    expect(verifyCertificate(suite, committee, { ...cert, signature })).toMatch(/invalid signature/);
  });

  it("rejects a certificate carrying a public key other than the member's", () => {
    const cert = signBy(dave);
    const forged = { ...cert, signer: { ...cert.signer!, pubkey: edgar.signer.publicKey } };
    expect(verifyCertificate(suite, committee, forged)).toMatch(/is not the committee's key/);
  });

  it("rejects a valid signature by another member's key under this member's id", () => {
    const cert = signBy(edgar);
    const impostor = { ...cert, signer: { ...cert.signer!, id: dave.id, pubkey: new Uint8Array() } };
    expect(verifyCertificate(suite, committee, impostor)).toMatch(/invalid signature/);
  });

  it('rejects a tampered tx hash or effects hash', () => {
    const cert = signBy(dave);
    expect(verifyCertificate(suite, committee, { ...cert, txHash: repeatByte(1, 32) })).toMatch(
      /invalid signature/,
    );
    expect(verifyCertificate(suite, committee, { ...cert, effectsHash: repeatByte(1, 32) })).toMatch(
      /invalid signature/,
    );
  });

  it.each([
    ['a 31-byte tx hash', { txHash: new Uint8Array(31) }, /tx hash must be 32 bytes/],
    ['a 33-byte effects hash', { effectsHash: new Uint8Array(33) }, /effects hash must be 32 bytes/],
    ['a 63-byte signature', { signature: new Uint8Array(63) }, /signature must be 64 bytes/],
    ['a negative creation time', { createdUnixMillis: -1n }, /created_unix_millis must be a u64/],
    ['no signer', { signer: undefined }, /signer id must be 32 bytes/],
  ])('rejects malformed fields without throwing: %s', (_, change, problem) => {
    expect(verifyCertificate(suite, committee, { ...signBy(dave), ...change })).toMatch(problem);
  });
});
