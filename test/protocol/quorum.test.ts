import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes, repeatByte } from '../../src/protocol/bytes.ts';
import { certificateSigner, signCertificate } from '../../src/protocol/certificate.ts';
import { createNodeCryptoSuite } from '../../src/protocol/crypto/node-suite.ts';
import { REFERENCE_QC_CERTS, REFERENCE_QC_THRESHOLD } from '../../src/protocol/hash-vector.ts';
import { type CertContext, effectsHash, qcHash } from '../../src/protocol/hashing.ts';
import {
  assembleQuorumCertificate,
  quorumCertificateHash,
  verifyQuorumCertificate,
} from '../../src/protocol/quorum.ts';
import type { Effects, QuorumCertificate, ValidatorCertificate } from '../../src/protocol/types.ts';
import { goldenContext, goldenEffects, goldenExpected } from '../support/golden-vector.ts';
import { committeeOf, type TestValidator, testValidators } from '../support/test-committee.ts';

const suite = createNodeCryptoSuite();
const validators = testValidators(suite, 5);
const pair = committeeOf(validators.slice(0, 2), goldenContext);
const four = committeeOf(validators.slice(0, 4), goldenContext);
const { txHash } = goldenExpected;

function cert(
  v: TestValidator,
  options: { effects?: Effects; created?: bigint; ctx?: CertContext } = {},
): ValidatorCertificate {
  const effects = options.effects ?? goldenEffects;
  const fx = effectsHash(suite, effects);
  const ctx = options.ctx ?? goldenContext;
  return signCertificate(suite, v.signer, v, ctx, effects, txHash, fx, options.created ?? 1000n);
}

function qcOf(certs: readonly ValidatorCertificate[], threshold = 2): QuorumCertificate {
  return { txHash, effectsHash: goldenExpected.effectsHash, certs, threshold, qcHash: new Uint8Array() };
}

function expectFailure(qc: QuorumCertificate, committee = pair): string {
  const result = verifyQuorumCertificate(suite, committee, qc);
  if (result.ok) throw new Error('expected the qc to fail verification');
  return result.message;
}

const [v0, v1, v2, v3, v4] = validators as [
  TestValidator,
  TestValidator,
  TestValidator,
  TestValidator,
  TestValidator,
];

describe('verifyQuorumCertificate (reference §5.1, threshold from the committee per §14)', () => {
  it('accepts a QC of both members of a 2-member committee and returns its §3.4 qc_hash and effects', () => {
    const certs = [cert(v1), cert(v0)];
    const result = verifyQuorumCertificate(suite, pair, qcOf(certs));
    const expectedHash = qcHash(suite, {
      txHash,
      effectsHash: goldenExpected.effectsHash,
      threshold: 2,
      certs: certs.map((c) => ({ ...c, signerId: certificateSigner(c)! })),
    });
    expect(result).toEqual({ ok: true, qcHash: expectedHash, effects: goldenEffects });
    expect(verifyQuorumCertificate(suite, pair, { ...qcOf(certs), qcHash: expectedHash }).ok).toBe(true);
  });

  it('rejects a QC declaring threshold 1 with one certificate in a 2-member committee', () => {
    expect(expectFailure(qcOf([cert(v0)], 1))).toBe('qc has 1 valid certificates, committee needs 2');
  });

  it('ignores the declared threshold for acceptance but hashes it (§3.4)', () => {
    const certs = [cert(v0), cert(v1)];
    const declared7 = verifyQuorumCertificate(suite, pair, qcOf(certs, 7));
    const declared2 = verifyQuorumCertificate(suite, pair, qcOf(certs, 2));
    if (!declared7.ok || !declared2.ok) throw new Error('both should verify');
    expect(declared7.qcHash).not.toEqual(declared2.qcHash);
  });

  it('rejects zero certificates', () => {
    expect(expectFailure(qcOf([]))).toBe('qc has 0 valid certificates, committee needs 2');
  });

  it('rejects a duplicate signer, even with a different creation time', () => {
    expect(expectFailure(qcOf([cert(v0), cert(v0, { created: 2000n })]))).toMatch(/duplicate signer/);
  });

  it('rejects a certificate by a non-member', () => {
    expect(expectFailure(qcOf([cert(v0), cert(v1), cert(v2)]))).toMatch(/is not a committee member/);
  });

  it('rejects a declared qc_hash that is not the recomputed one', () => {
    const qc = qcOf([cert(v0), cert(v1)]);
    const result = verifyQuorumCertificate(suite, pair, qc);
    if (!result.ok) throw new Error(result.message);
    const wrong = Uint8Array.from(result.qcHash);
    wrong[0]! ^= 1;
    expect(expectFailure({ ...qc, qcHash: wrong })).toMatch(/qc hash mismatch/);
  });

  it('rejects a certificate for another effects hash or another tx', () => {
    const other = cert(v1, { effects: { ...goldenEffects, amount: 11n } });
    expect(expectFailure(qcOf([cert(v0), other]))).toMatch(/effects hash differs/);
    const otherTx = { ...cert(v1), txHash: repeatByte(7, 32) };
    expect(expectFailure(qcOf([cert(v0), otherTx]))).toMatch(/tx hash differs/);
  });

  it('rejects the whole QC when one certificate is invalid, even if the rest reach quorum', () => {
    const bad = cert(v3);
    const signature = Uint8Array.from(bad.signature);
    signature[0]! ^= 1;
    const certs = [cert(v0), cert(v1), cert(v2), { ...bad, signature }];
    expect(expectFailure(qcOf(certs, 3), four)).toMatch(/qc certificate 3: .*invalid signature/);
  });

  it('rejects certificates signed for another epoch', () => {
    const ctx = { ...goldenContext, epoch: 43n };
    expect(expectFailure(qcOf([cert(v0, { ctx }), cert(v1, { ctx })]))).toMatch(/invalid signature/);
  });

  it.each([
    ['a short tx hash', { txHash: new Uint8Array(31) }, /qc tx hash must be 32 bytes/],
    ['a long effects hash', { effectsHash: new Uint8Array(33) }, /qc effects hash must be 32 bytes/],
    ['a negative threshold', { threshold: -1 }, /threshold must be a u32/],
    ['a fractional threshold', { threshold: 1.5 }, /threshold must be a u32/],
  ])('rejects malformed QC fields without throwing: %s', (_, change, problem) => {
    expect(expectFailure({ ...qcOf([cert(v0), cert(v1)]), ...change })).toMatch(problem);
  });

  it('reports no effects when no certificate carries a summary matching the effects hash', () => {
    const certs = [cert(v0), cert(v1)].map((c) => ({ ...c, effects: { ...goldenEffects, amount: 11n } }));
    expect(verifyQuorumCertificate(suite, pair, qcOf(certs))).toMatchObject({ ok: true, effects: undefined });
    const bare = [cert(v0), cert(v1)].map((c) => ({ ...c, effects: undefined }));
    expect(verifyQuorumCertificate(suite, pair, qcOf(bare))).toMatchObject({ ok: true, effects: undefined });
  });
});

describe('assembleQuorumCertificate (reference §5.3 with verified certificates)', () => {
  const honest = [cert(v3), cert(v1), cert(v0), cert(v2)];

  it('with n=4 (f=1) takes the 3 lowest signer ids, declares threshold 3 and a valid qc_hash', () => {
    const forged = { ...cert(v4), signer: { ...cert(v4).signer!, id: v0.id } };
    const qc = assembleQuorumCertificate(suite, four, [forged, ...honest, cert(v4)]);
    expect(qc?.certs.map((c) => c.signer?.name)).toEqual(['v0', 'v1', 'v2']);
    expect(qc?.threshold).toBe(3);
    const verified = verifyQuorumCertificate(suite, four, qc!);
    expect(verified).toMatchObject({ ok: true, qcHash: qc!.qcHash });
  });

  it('builds the same QC whatever the order of the certificates', () => {
    const reference = assembleQuorumCertificate(suite, four, honest)!.qcHash;
    const withRepeats = [...honest, cert(v0, { created: 5000n }), cert(v2, { created: 4000n })];
    fc.assert(
      fc.property(fc.shuffledSubarray(withRepeats, { minLength: withRepeats.length }), (shuffled) => {
        expect(assembleQuorumCertificate(suite, four, shuffled)?.qcHash).toEqual(reference);
      }),
      { numRuns: 25 },
    );
  });

  it("keeps each signer's earliest certificate", () => {
    const qc = assembleQuorumCertificate(suite, pair, [cert(v0, { created: 2000n }), cert(v1), cert(v0)]);
    expect(qc?.certs.map((c) => c.createdUnixMillis)).toEqual([1000n, 1000n]);
  });

  it('returns undefined below the committee threshold, counting each signer once', () => {
    const certs = [cert(v0), cert(v1), cert(v0, { created: 2000n }), cert(v4)];
    expect(assembleQuorumCertificate(suite, four, certs)).toBeUndefined();
  });

  it('ignores certificates for another epoch', () => {
    const ctx = { ...goldenContext, epoch: 43n };
    expect(assembleQuorumCertificate(suite, pair, [cert(v0, { ctx }), cert(v1, { ctx })])).toBeUndefined();
  });

  describe('with two effects groups', () => {
    const a = goldenEffects;
    const b = { ...goldenEffects, amount: 11n };
    const aFirst = compareBytes(effectsHash(suite, a), effectsHash(suite, b)) < 0;
    const [smaller, larger] = aFirst ? [a, b] : [b, a];
    const group = (effects: Effects, members: TestValidator[]) => members.map((v) => cert(v, { effects }));

    it('picks the group with the most signers even when its effects hash is larger', () => {
      const certs = [...group(smaller, [v0, v1, v2]), ...group(larger, [v0, v1, v2, v3])];
      expect(assembleQuorumCertificate(suite, four, certs)?.effectsHash).toEqual(effectsHash(suite, larger));
    });

    it('breaks a tie by the lexicographically smallest effects hash', () => {
      const certs = [...group(larger, [v1, v2, v3]), ...group(smaller, [v0, v1, v2])];
      expect(assembleQuorumCertificate(suite, four, certs)?.effectsHash).toEqual(effectsHash(suite, smaller));
    });
  });
});

describe('quorumCertificateHash (reference §3.4, as sent)', () => {
  const goldenCerts: ValidatorCertificate[] = REFERENCE_QC_CERTS.map((c, i) => ({
    signer: { name: `golden${i}`, id: c.signerId, pubkey: new Uint8Array() },
    txHash,
    effectsHash: goldenExpected.effectsHash,
    signature: c.signature,
    createdUnixMillis: c.createdUnixMillis,
  }));

  it('reproduces the golden qc_hash from the two fixed certificates in either order', () => {
    for (const certs of [goldenCerts, [...goldenCerts].reverse()]) {
      expect(quorumCertificateHash(suite, qcOf(certs, REFERENCE_QC_THRESHOLD))).toEqual(
        goldenExpected.qcHash,
      );
    }
  });

  it('names the signer by pubkey when the id is empty (§2.3), giving the same golden hash', () => {
    const byKey = goldenCerts.map((c) => ({
      ...c,
      signer: { name: 'k', id: new Uint8Array(), pubkey: c.signer!.id },
    }));
    expect(quorumCertificateHash(suite, qcOf(byKey, REFERENCE_QC_THRESHOLD))).toEqual(goldenExpected.qcHash);
  });

  it('gives undefined instead of throwing for a malformed signer id, creation time, hash or threshold', () => {
    const [a, b] = goldenCerts as [ValidatorCertificate, ValidatorCertificate];
    const shortId = { ...a, signer: { ...a.signer!, id: new Uint8Array(31) } };
    expect(quorumCertificateHash(suite, qcOf([shortId, b]))).toBeUndefined();
    expect(quorumCertificateHash(suite, qcOf([{ ...a, createdUnixMillis: -1n }, b]))).toBeUndefined();
    expect(quorumCertificateHash(suite, { ...qcOf([a, b]), txHash: new Uint8Array(3) })).toBeUndefined();
    expect(quorumCertificateHash(suite, qcOf([a, b], 2 ** 32))).toBeUndefined();
  });
});
