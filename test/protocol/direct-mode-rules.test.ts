import { beforeAll, describe, expect, it } from 'vitest';
import { repeatByte, toHex } from '../../src/protocol/bytes.ts';
import { assembleQuorumCertificate } from '../../src/protocol/quorum.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import { decodeTempoTx } from '../../src/protocol/tempo/decode-tempo-tx.ts';
import type { FastPayTx, QuorumCertificate, SubmitRequest } from '../../src/protocol/types.ts';
import type { ChainView } from '../../src/protocol/validation/chain-view.ts';
import {
  DEFAULT_LANDABILITY,
  DEFAULT_RULES,
  type DecisionRules,
} from '../../src/protocol/validation/decision-rules.ts';
import { createStaticChainView } from '../../src/protocol/validation/static-chain-view.ts';
import { wrapSignedPayment } from '../../src/protocol/wrap-signed-payment.ts';
import {
  ALICE,
  ALICE_KEY,
  ALPHA_USD,
  BOB,
  BOB_KEY,
  CAROL,
  CAROL_KEY,
  DAVE,
  EDGAR,
  PATH_USD,
} from '../support/demo-keys.ts';
import { buildPayment, type PaymentSpec } from '../support/payment-builder.ts';
import { signSponsoredTempo, signTempo, tempoEnvelope, transferCall } from '../support/tempo-tx-fixtures.ts';
import { committeeOf, HarnessValidator, suite } from '../support/validator-harness.ts';

/** The direct mode's certification rules (audit findings of the money issue), one behaviour per test. */
const committee = committeeOf([DAVE, EDGAR]);
const NOW_S = BigInt(Math.floor(Date.now() / 1000));
const HEAD = { height: 10n, timestampMs: NOW_S * 1000n, baseFeePerGas: 10_000_000_000n };
const VB = NOW_S + 600n;
const CHAIN_RULES: DecisionRules = { ...DEFAULT_RULES, landability: DEFAULT_LANDABILITY };

/** A chain-following view: fees charged in pathUSD, everyone funded, every fee token usable but 0x…0fff. */
const following = (over: Partial<ChainView> = {}): ChainView => ({
  ...createStaticChainView({
    head: HEAD,
    balances: [ALICE, BOB, CAROL].flatMap((account) => [
      { account, asset: ALPHA_USD, amount: 15_000_000n },
      { account, asset: PATH_USD, amount: 10_000_000n },
    ]),
  }),
  head: HEAD,
  chargesFees: true,
  defaultFeeToken: () => PATH_USD,
  feeTokenUsable: (t) => !toHex(t).endsWith('fff'),
  ...over,
});
const validator = (rules: DecisionRules = CHAIN_RULES, view = following()) =>
  new HarnessValidator(DAVE, committee, view, { rules });
const pair = (rules: DecisionRules = CHAIN_RULES) => [
  validator(rules),
  new HarnessValidator(EDGAR, committee, following(), { rules }),
];
const pay = (spec: Partial<PaymentSpec> & Pick<PaymentSpec, 'key' | 'to'>) =>
  buildPayment({ amount: 1_000_000n, validBefore: VB, ...spec });
const req = (
  tx: FastPayTx,
  parentQcs: QuorumCertificate[] = [],
  parentTxs: FastPayTx[] = [],
): SubmitRequest => ({
  tx,
  parentQcs,
  parentTxs,
});

function rejectOf(v: HarnessValidator, r: SubmitRequest) {
  const { decision } = v.submit(r);
  if (decision.kind !== 'reject') throw new Error(`expected a reject, got ${decision.kind}`);
  return decision.reject;
}

function qcOf(validators: HarnessValidator[], r: SubmitRequest): QuorumCertificate {
  const certs = validators.map((v) => {
    const { cert, decision } = v.submit(r);
    if (!cert)
      throw new Error(
        `not certified: ${JSON.stringify(decision, (_, x) => (typeof x === 'bigint' ? `${x}` : x))}`,
      );
    return cert;
  });
  return assembleQuorumCertificate(suite, committee, certs)!;
}

/** A signed 0x76 transfer with envelope overrides, wrapped canonically. */
function envelopeTx(
  overrides: Parameters<typeof tempoEnvelope>[0],
  key = ALICE_KEY,
  sponsor?: `0x${string}`,
): FastPayTx {
  const envelope = tempoEnvelope({
    nonceKey: 3n,
    nonce: 0n,
    validBefore: Number(VB),
    feeToken: toHex(PATH_USD),
    ...overrides,
  });
  const raw = sponsor ? signSponsoredTempo(envelope, sponsor, key) : signTempo(envelope, key);
  const decoded = decodeTempoTx(suite, 2, raw);
  if (!decoded.ok) throw new Error(decoded.reject.message);
  return wrapSignedPayment(raw, decoded.tx)!;
}

let base: FastPayTx;
beforeAll(async () => {
  base = await pay({ key: ALICE_KEY, to: BOB });
});

describe('landability (a chain-following validator certifies only what its node would include now)', () => {
  it.each([
    ['validBefore 2 s ahead', { validBefore: Number(NOW_S) + 2 }, 'too soon'],
    ['validAfter not passed', { validAfter: Number(NOW_S) + 30 }, 'validAfter'],
    [
      'fee cap below 2× base fee',
      { maxFeePerGas: 15_000_000_000n, maxPriorityFeePerGas: 0n },
      'below 20000000000',
    ],
    ['fee cap 0', { maxFeePerGas: 0n, maxPriorityFeePerGas: 0n }, 'maxFeePerGas 0'],
    ['gas below a transfer', { nonce: 1n, gas: 60_000n }, 'short by 20000'],
    ['gas below opening a nonce key', { gas: 90_000n }, 'short by 10000'],
    [
      'an unusable fee token',
      { feeToken: '0x20c0000000000000000000000000000000000fff' },
      'not usable for fees',
    ],
  ] as const)('refuses %s with NOT_LANDABLE and the amount', (_, overrides, message) => {
    const r = rejectOf(validator(), req(envelopeTx(overrides)));
    expect(r.code).toBe(RejectCode.NOT_LANDABLE);
    expect(r.message).toContain(message);
  });

  it('certifies the same tx shapes on a standalone validator, which has no node to land on', () => {
    const { decision } = validator(
      DEFAULT_RULES,
      createStaticChainView({ head: HEAD, balances: [{ account: ALICE, asset: ALPHA_USD, amount: 100n }] }),
    ).submit(req(envelopeTx({ gas: 30_000n })));
    expect(decision.kind).toBe('accept');
  });

  it('refuses a deadline further ahead than the bound, in both modes', async () => {
    const far = await pay({ key: ALICE_KEY, to: BOB, validBefore: NOW_S + 7_200n });
    for (const rules of [CHAIN_RULES, DEFAULT_RULES]) {
      const r = rejectOf(validator(rules), req(far));
      expect(r.message).toContain('expiry too far ahead');
    }
  });

  it('refuses recipients a transfer reverts for: the zero address and any TIP-20 token', async () => {
    for (const to of [new Uint8Array(20), ALPHA_USD, PATH_USD]) {
      expect(rejectOf(validator(), req(await pay({ key: ALICE_KEY, to }))).code).toBe(
        RejectCode.INVALID_RECIPIENT,
      );
    }
  });

  it("debits a sponsor's fee token like a sender's, and refuses when the sponsor cannot pay it", () => {
    const tx = envelopeTx({ calls: [transferCall(BOB, 1n)] }, ALICE_KEY, CAROL_KEY);
    const { decision } = validator().submit(req(tx));
    if (decision.kind !== 'accept') throw new Error(decision.kind);
    expect(decision.delta.debits.map((d) => [toHex(d.account), toHex(d.asset)])).toContainEqual([
      toHex(CAROL),
      toHex(PATH_USD),
    ]);
    const broke = validator(
      CHAIN_RULES,
      following({
        balanceOf: (a, t) => (toHex(a) === toHex(CAROL) && toHex(t) === toHex(PATH_USD) ? 0n : 15_000_000n),
      }),
    );
    expect(rejectOf(broke, req(tx)).message).toContain('insufficient fee token balance');
  });
});

describe('wrapper, quotas and cool-off', () => {
  it('answers a re-wrap of an already locked signed tx with the existing certificate, not EQUIVOCATION', () => {
    const v = validator(DEFAULT_RULES);
    const { cert } = v.submit(req(base));
    const rewrapped: FastPayTx = { ...base, parentQcHash: repeatByte(7, 32) };
    const { decision } = v.submit(req(rewrapped));
    expect(decision.kind).toBe('existing');
    expect(decision.kind === 'existing' && decision.cert).toEqual(cert);
  });

  it('one live lane per sender: another nonce key is RATE_LIMITED until the first settles', async () => {
    const v = validator(DEFAULT_RULES);
    expect(v.submit(req(base)).decision.kind).toBe('accept');
    const other = await pay({ key: ALICE_KEY, to: BOB, nonceKey: 2n });
    const r = rejectOf(v, req(other));
    expect(r.code).toBe(RejectCode.RATE_LIMITED);
    expect(r.message).toContain('one lane at a time');
    v.ledger.releaseThroughNonce(ALICE, base.nonce!.nonceKey, 1n);
    expect(v.submit(req(other)).decision.kind).toBe('accept');
  });

  it('a lane quota: past maxPendingPerLane the next payment is RATE_LIMITED', async () => {
    const rules = { ...DEFAULT_RULES, maxPendingPerLane: 1 };
    const validators = pair(rules);
    const qc = qcOf(validators, req(base));
    const next = await pay({ key: ALICE_KEY, to: BOB, seq: 1n });
    const r = rejectOf(validators[0]!, req(next, [qc]));
    expect(r).toEqual({ code: RejectCode.RATE_LIMITED, message: 'lane quota full: 1 pending (max 1)' });
  });

  it('a sender in cool-off is RATE_LIMITED until the chain time passes it', () => {
    const v = validator(DEFAULT_RULES);
    v.ledger.coolOff(ALICE, HEAD.timestampMs + 1_000n);
    expect(rejectOf(v, req(base)).code).toBe(RejectCode.RATE_LIMITED);
    v.chain = { ...following(), head: { ...HEAD, timestampMs: HEAD.timestampMs + 1_000n } };
    expect(v.submit(req(base)).decision.kind).toBe('accept');
  });
});

describe('confirmation order and credit lifetime', () => {
  it('seq k needs the QC of seq k−1 while it is unsettled, and only the QC of the tx this validator holds', async () => {
    const validators = pair(DEFAULT_RULES);
    const qc0 = qcOf(validators, req(base));
    const next = await pay({ key: ALICE_KEY, to: BOB, seq: 1n });
    expect(rejectOf(validators[0]!, req(next)).code).toBe(RejectCode.MISSING_PARENT_QC);
    const variant = await pay({ key: ALICE_KEY, to: CAROL });
    const elsewhere = new HarnessValidator(DAVE, committee, following(), { rules: DEFAULT_RULES });
    elsewhere.submit(req(variant));
    expect(rejectOf(elsewhere, req(next, [qc0])).code).toBe(RejectCode.MISSING_PARENT_QC);
    expect(validators[0]!.submit(req(next, [qc0])).decision.kind).toBe('accept');
  });

  it('ends a credit at its parent deadline even where the parent was never locked', async () => {
    const parentVb = NOW_S + 60n;
    const parent = await pay({ key: ALICE_KEY, to: BOB, amount: 10_000_000n, validBefore: parentVb });
    const qc = qcOf(pair(DEFAULT_RULES), req(parent));
    const fresh = validator(
      DEFAULT_RULES,
      following({
        balanceOf: (a, t) => (toHex(a) === toHex(BOB) && toHex(t) === toHex(ALPHA_USD) ? 0n : 15_000_000n),
      }),
    );
    const child = await buildPayment({
      key: BOB_KEY,
      to: CAROL,
      amount: 10_000_000n,
      validBefore: parentVb,
      parentQcHash: qc.qcHash,
    });
    const { decision } = fresh.submit(req(child, [qc], [parent]));
    expect(decision.kind === 'reject' ? decision.reject.message : decision.kind).toBe('accept');
    expect(fresh.ledger.creditOf(BOB, ALPHA_USD)).toBe(10_000_000n);
    fresh.ledger.releaseExpired(parentVb * 1000n);
    expect(fresh.ledger.creditOf(BOB, ALPHA_USD)).toBe(0n);
    expect(fresh.ledger.hasCredit(qc.txHash)).toBe(false);
  });

  it('refuses a child that would outlive its parent, and a parent too close to its deadline', async () => {
    const parent = await pay({ key: ALICE_KEY, to: BOB, amount: 10_000_000n, validBefore: NOW_S + 60n });
    const qc = qcOf(pair(DEFAULT_RULES), req(parent));
    const late = await buildPayment({
      key: BOB_KEY,
      to: CAROL,
      amount: 1n,
      validBefore: NOW_S + 61n,
      parentQcHash: qc.qcHash,
    });
    expect(rejectOf(validator(DEFAULT_RULES), req(late, [qc], [parent])).message).toContain(
      'later than its parent',
    );
    const soon = validator(CHAIN_RULES, following({ head: { ...HEAD, timestampMs: (NOW_S + 55n) * 1000n } }));
    const child = await buildPayment({
      key: BOB_KEY,
      to: CAROL,
      amount: 1n,
      validBefore: NOW_S + 60n,
      parentQcHash: qc.qcHash,
    });
    expect(rejectOf(soon, req(child, [qc], [parent])).code).toBe(RejectCode.NOT_LANDABLE);
  });
});
