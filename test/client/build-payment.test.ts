import { describe, expect, it } from 'vitest';
import { PATH_USD } from '../../src/chain/tempo-tokens.ts';
import { buildPayment, type PaymentSpec } from '../../src/client/build-payment.ts';
import { DEFAULT_LANE } from '../../src/client/lane.ts';
import { bytesEqual } from '../../src/protocol/bytes.ts';
import { assembleQuorumCertificate, quorumCertificateHash } from '../../src/protocol/quorum.ts';
import { prepareSubmission } from '../../src/protocol/validation/prepare-submission.ts';
import { ALICE, ALICE_KEY, ALPHA_USD, BOB, BOB_KEY, CAROL, DAVE, EDGAR } from '../support/demo-keys.ts';
import { demoChainView, harnessAnswer } from '../support/harness-sidecar.ts';
import { committeeOf, HarnessValidator, suite } from '../support/validator-harness.ts';

const committee = committeeOf([DAVE, EDGAR]);
const VALID_BEFORE = BigInt(Math.floor(Date.now() / 1000) + 600);
const spec: PaymentSpec = {
  suite,
  account: ALICE_KEY,
  to: BOB,
  amount: 10_000_000n,
  asset: ALPHA_USD,
  chainId: 1337n,
  lane: DEFAULT_LANE,
  seq: 3n,
  validBefore: VALID_BEFORE,
};

describe('buildPayment', () => {
  it('wraps a signed 0x76 transfer exactly as the sidecar requires, with the hashes the sidecar computes', () => {
    const built = buildPayment(spec);
    const prepared = prepareSubmission(suite, committee, built.tx);
    if (!prepared.ok) throw new Error(prepared.reject.message);
    const { decoded } = prepared.value;
    expect(bytesEqual(decoded.sender, ALICE)).toBe(true);
    expect(bytesEqual(decoded.nonceKey, DEFAULT_LANE.nonceKey)).toBe(true);
    expect(decoded.nonce).toBe(3n);
    expect(decoded.validBefore).toBe(VALID_BEFORE);
    expect(decoded.feeToken && bytesEqual(decoded.feeToken, PATH_USD)).toBe(true);
    expect(built.tx.expiry).toEqual({ kind: 'unixMillis', value: VALID_BEFORE * 1000n });
    expect(built.tx.intent).toEqual(built.tx.overlay?.payment);
    expect(bytesEqual(prepared.value.txHash, built.txHash)).toBe(true);
    expect(bytesEqual(prepared.value.effectsHash, built.effectsHash)).toBe(true);
    expect(built.effects).toEqual(prepared.value.effects);
  });

  it("cites the parent QC's qc_hash for a chained spend", () => {
    const parent = buildPayment({ ...spec, seq: 0n });
    const certs = [DAVE, EDGAR].map((id) => {
      const answer = harnessAnswer(new HarnessValidator(id, committee, demoChainView()), {
        tx: parent.tx,
        parentQcs: [],
      });
      if (!('cert' in answer)) throw new Error(answer.reject.message);
      return answer.cert;
    });
    const qc = assembleQuorumCertificate(suite, committee, certs)!;
    const child = buildPayment({ ...spec, account: BOB_KEY, to: CAROL, seq: 0n, parentQc: qc });
    expect(bytesEqual(child.tx.parentQcHash, quorumCertificateHash(suite, qc)!)).toBe(true);
    const orphan = buildPayment({ ...spec, account: BOB_KEY, to: CAROL, seq: 0n });
    expect(orphan.tx.parentQcHash).toHaveLength(0);
    expect(bytesEqual(child.txHash, orphan.txHash)).toBe(false);
  });
});
