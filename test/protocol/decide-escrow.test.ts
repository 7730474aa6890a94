import { numberToBytes } from 'viem';
import { describe, expect, it } from 'vitest';
import { repeatByte } from '../../src/protocol/bytes.ts';
import { assembleQuorumCertificate } from '../../src/protocol/quorum.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import type { QuorumCertificate, SubmitRequest } from '../../src/protocol/types.ts';
import type { ChainView } from '../../src/protocol/validation/chain-view.ts';
import { DEFAULT_LANDABILITY, DEFAULT_RULES } from '../../src/protocol/validation/decision-rules.ts';
import { ALICE, ALICE_KEY, ALPHA_USD, BOB, BOB_KEY, CAROL, DAVE, EDGAR } from '../support/demo-keys.ts';
import { escrowChainView, escrowPayment } from '../support/escrow-fixtures.ts';
import { buildPayment } from '../support/payment-builder.ts';
import { committeeOf, HarnessValidator, suite } from '../support/validator-harness.ts';

const committee = committeeOf([DAVE, EDGAR]);
const NOW_S = BigInt(Math.floor(Date.now() / 1000));
const DEADLINE = NOW_S + 600n;
const HEAD = { height: 10n, timestampMs: NOW_S * 1000n };
const LANE = numberToBytes(1n, { size: 32 });

const demoEscrow = (over: Partial<Parameters<typeof escrowChainView>[0]> = {}): ChainView =>
  escrowChainView({
    head: HEAD,
    escrow: [
      { account: ALICE, amount: 15n },
      { account: BOB, amount: 5n },
      { account: CAROL, amount: 5n },
    ],
    ...over,
  });
const validator = (chain = demoEscrow()) => new HarnessValidator(DAVE, committee, chain);
const req = (
  tx: SubmitRequest['tx'],
  parentQcs: QuorumCertificate[] = [],
  parentTxs = [] as NonNullable<SubmitRequest['tx']>[],
): SubmitRequest => ({
  tx,
  parentQcs,
  parentTxs,
});
const alicePays = (amount: bigint, over: { seq?: bigint } = {}) =>
  escrowPayment({ key: ALICE_KEY, to: BOB, amount, deadline: DEADLINE, ...over });

function rejectOf(v: HarnessValidator, r: SubmitRequest) {
  const { decision } = v.submit(r);
  if (decision.kind !== 'reject') throw new Error(`expected a reject, got ${decision.kind}`);
  return decision.reject;
}

function certifyAll(validators: HarnessValidator[], r: SubmitRequest): QuorumCertificate {
  const certs = validators.map((v) => {
    const { cert, decision } = v.submit(r);
    if (!cert)
      throw new Error(
        `not certified: ${JSON.stringify(decision, (_, x) => (typeof x === 'bigint' ? String(x) : x))}`,
      );
    return cert;
  });
  const qc = assembleQuorumCertificate(suite, committee, certs);
  if (!qc) throw new Error('no QC');
  return qc;
}

describe('decideSubmission: escrow payments', () => {
  it('certifies from the escrow balance, never from the wallet, and debits the escrow pool only', () => {
    const v = validator(
      demoEscrow({ wallet: [{ account: ALICE, amount: 1_000n }], escrow: [{ account: ALICE, amount: 15n }] }),
    );
    const { decision } = v.submit(req(alicePays(10n).tx));
    expect(decision.kind).toBe('accept');
    if (decision.kind !== 'accept') return;
    expect(decision.delta.pool).toBe('escrow');
    expect(decision.delta.paymentId).toEqual(alicePays(10n).paymentId);
    expect(v.ledger.debitOf(ALICE, ALPHA_USD, 'escrow')).toBe(10n);
    expect(v.ledger.debitOf(ALICE, ALPHA_USD)).toBe(0n);

    const poor = validator(demoEscrow({ wallet: [{ account: ALICE, amount: 1_000n }], escrow: [] }));
    const refused = rejectOf(poor, req(alicePays(10n).tx));
    expect(refused.code).toBe(RejectCode.INSUFFICIENT_FUNDS);
    expect(refused.message).toMatch(/^insufficient escrow balance: available 0, needed 10/);
  });

  it('counts only what the escrow view leaves after announced withdrawals', () => {
    // The follower answers balance − announced: 15 deposited, 10 announced.
    const v = validator(demoEscrow({ escrow: [{ account: ALICE, amount: 5n }] }));
    expect(rejectOf(v, req(alicePays(10n).tx)).code).toBe(RejectCode.INSUFFICIENT_FUNDS);
    expect(v.submit(req(alicePays(5n).tx)).decision.kind).toBe('accept');
  });

  it('refuses a payment on another escrow, or at a validator serving none, as NOT_LANDABLE', () => {
    const other = validator(demoEscrow({ serves: repeatByte(0xee, 20) }));
    const r = rejectOf(other, req(alicePays(10n).tx));
    expect(r.code).toBe(RejectCode.NOT_LANDABLE);
    expect(r.message).toMatch(/is not the one this validator serves/);
    const { escrow: _escrow, ...noEscrow } = demoEscrow();
    expect(rejectOf(validator(noEscrow), req(alicePays(10n).tx)).message).toBe(
      'tx: this validator serves no escrow',
    );
  });

  it('takes the lane sequence from the escrow nextSeq and refuses a second payment on the same seq', () => {
    const behind = validator(demoEscrow({ nextSeq: [{ account: ALICE, lane: LANE, seq: 2n }] }));
    expect(rejectOf(behind, req(alicePays(1n).tx)).code).toBe(RejectCode.NONCE_SEQ_TOO_LOW);
    expect(behind.submit(req(alicePays(1n, { seq: 2n }).tx)).decision.kind).toBe('accept');

    const v = validator();
    expect(v.submit(req(alicePays(10n).tx)).decision.kind).toBe('accept');
    expect(rejectOf(v, req(alicePays(4n).tx)).code).toBe(RejectCode.EQUIVOCATION);
  });

  it('applies landability to the deadline: too close to B is NOT_LANDABLE', () => {
    const rules = { ...DEFAULT_RULES, landability: DEFAULT_LANDABILITY };
    const v = new HarnessValidator(DAVE, committee, demoEscrow(), { rules });
    const soon = escrowPayment({ key: ALICE_KEY, to: BOB, amount: 1n, deadline: NOW_S + 4n });
    expect(rejectOf(v, req(soon.tx)).message).toMatch(/validBefore .* ms too soon/);
    expect(v.submit(req(alicePays(1n).tx)).decision.kind).toBe('accept');
  });

  it('lets an escrow child spend its escrow parent credit, naming the parent payment id', () => {
    const validators = [validator(), new HarnessValidator(EDGAR, committee, demoEscrow())];
    const parent = alicePays(10n);
    const qc1 = certifyAll(validators, req(parent.tx));
    const child = escrowPayment({
      key: BOB_KEY,
      to: CAROL,
      amount: 10n,
      deadline: DEADLINE,
      parent: { qc: qc1, paymentId: parent.paymentId },
    });
    certifyAll(validators, req(child.tx, [qc1]));
    expect(validators[0]!.ledger.creditOf(BOB, ALPHA_USD, 'escrow')).toBe(10n);
    expect(validators[0]!.ledger.creditOf(BOB, ALPHA_USD)).toBe(0n);

    const fresh = validator();
    expect(fresh.submit(req(child.tx, [qc1], [parent.tx])).decision.kind).toBe('accept');
  });

  it('refuses an escrow child naming another parent id, and mixing escrow and wallet parents', async () => {
    const validators = [validator(), new HarnessValidator(EDGAR, committee, demoEscrow())];
    const parent = alicePays(10n);
    const qc1 = certifyAll(validators, req(parent.tx));
    const wrongId = escrowPayment({
      key: BOB_KEY,
      to: CAROL,
      amount: 10n,
      deadline: DEADLINE,
      parent: { qc: qc1, paymentId: repeatByte(9, 32) },
    });
    expect(rejectOf(validators[0]!, req(wrongId.tx, [qc1])).message).toBe(
      "the escrow payment's parent is not the cited QC's payment",
    );

    const walletChild = await buildPayment({
      key: BOB_KEY,
      to: CAROL,
      amount: 10n,
      validBefore: DEADLINE,
      parentQcHash: qc1.qcHash,
    });
    expect(rejectOf(validators[0]!, req(walletChild, [qc1])).message).toBe(
      'an escrow parent credits the escrow: spend it with an escrow payment',
    );

    // Alice's escrow lane is live at these validators: her wallet parent goes to a fresh pair.
    const walletChain = () =>
      escrowChainView({ head: HEAD, wallet: [{ account: ALICE, amount: 15n }], escrow: [] });
    const walletValidators = [
      validator(walletChain()),
      new HarnessValidator(EDGAR, committee, walletChain()),
    ];
    const walletParent = await buildPayment({
      key: ALICE_KEY,
      to: BOB,
      amount: 10n,
      validBefore: DEADLINE,
      nonceKey: 2n,
    });
    const qcWallet = certifyAll(walletValidators, req(walletParent));
    const escrowChild = escrowPayment({
      key: BOB_KEY,
      to: CAROL,
      amount: 10n,
      deadline: DEADLINE,
      parent: { qc: qcWallet, paymentId: repeatByte(1, 32) },
    });
    expect(rejectOf(walletValidators[0]!, req(escrowChild.tx, [qcWallet])).message).toBe(
      'an escrow payment may cite only an escrow parent',
    );
  });

  it('releases escrow locks when the escrow nextSeq passes them, not when a wallet nonce does', () => {
    const v = validator();
    v.submit(req(alicePays(10n).tx));
    expect(v.ledger.releaseThroughNonce(ALICE, LANE, 1n)).toHaveLength(0);
    expect(v.ledger.debitOf(ALICE, ALPHA_USD, 'escrow')).toBe(10n);
    expect(v.ledger.lanes()).toEqual([{ sender: ALICE, nonceKey: LANE, pool: 'escrow' }]);
    expect(v.ledger.releaseThroughNonce(ALICE, LANE, 1n, 'escrow')).toHaveLength(1);
    expect(v.ledger.debitOf(ALICE, ALPHA_USD, 'escrow')).toBe(0n);
  });
});
