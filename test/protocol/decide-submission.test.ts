import { beforeAll, describe, expect, it } from 'vitest';
import { fromHex, repeatByte } from '../../src/protocol/bytes.ts';
import { assembleQuorumCertificate } from '../../src/protocol/quorum.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import { decodeTempoTx } from '../../src/protocol/tempo/decode-tempo-tx.ts';
import type { FastPayTx, QuorumCertificate, SubmitRequest } from '../../src/protocol/types.ts';
import type { ChainView } from '../../src/protocol/validation/chain-view.ts';
import { createStaticChainView } from '../../src/protocol/validation/static-chain-view.ts';
import { wrapSignedPayment } from '../../src/protocol/wrap-signed-payment.ts';
import {
  ALICE,
  ALICE_KEY,
  ALPHA_USD,
  BOB,
  BOB_KEY,
  CAROL,
  DAVE,
  EDGAR,
  PATH_USD,
} from '../support/demo-keys.ts';
import { buildPayment, type PaymentSpec } from '../support/payment-builder.ts';
import { signTempo, tempoEnvelope } from '../support/tempo-tx-fixtures.ts';
import { committeeOf, HarnessValidator, suite } from '../support/validator-harness.ts';

const committee = committeeOf([DAVE, EDGAR]);
const NOW_S = BigInt(Math.floor(Date.now() / 1000));
/** One deadline for every payment here, so a child never outlives its parent by a second of build time. */
const VB = NOW_S + 600n;
const pay = (spec: PaymentSpec) => buildPayment({ validBefore: VB, ...spec });
const HEAD = { height: 10n, timestampMs: NOW_S * 1000n };
const demoBalances = (): ChainView =>
  createStaticChainView({
    head: HEAD,
    balances: [
      { account: ALICE, asset: ALPHA_USD, amount: 15_000_000n },
      { account: BOB, asset: ALPHA_USD, amount: 5_000_000n },
      { account: CAROL, asset: ALPHA_USD, amount: 5_000_000n },
    ],
  });

const dave = () => new HarnessValidator(DAVE, committee, demoBalances());
const req = (tx: FastPayTx | undefined, parentQcs: QuorumCertificate[] = []): SubmitRequest => ({
  tx,
  parentQcs,
});
const alice = (over: Partial<PaymentSpec> = {}) =>
  pay({ key: ALICE_KEY, to: BOB, amount: 10_000_000n, ...over });

function rejectOf(v: HarnessValidator, r: SubmitRequest) {
  const { decision } = v.submit(r);
  if (decision.kind !== 'reject') throw new Error(`expected a reject, got ${decision.kind}`);
  return decision.reject;
}

/** Certifies `tx` on every validator and assembles the QC. */
function certifyAll(validators: HarnessValidator[], r: SubmitRequest): QuorumCertificate {
  const certs = validators.map((v) => {
    const { cert, decision } = v.submit(r);
    if (!cert) throw new Error(`not certified: ${JSON.stringify(decision)}`);
    return cert;
  });
  const qc = assembleQuorumCertificate(suite, committee, certs);
  if (!qc) throw new Error('no QC');
  return qc;
}

let base: FastPayTx;
beforeAll(async () => {
  base = await alice();
});

describe('decideSubmission accepts', () => {
  it('certifies a funded payment and reports effects, digest and the debit', () => {
    const { decision, cert } = dave().submit(req(base));
    expect(decision.kind).toBe('accept');
    if (decision.kind !== 'accept') return;
    expect(decision.delta.debits).toEqual([{ account: ALICE, asset: ALPHA_USD, amount: 10_000_000n }]);
    expect(decision.digest).toHaveLength(32);
    expect(decision.delta.inclusionDeadlineMs).toBe((base.expiry as { value: bigint }).value);
    expect(cert?.txHash).toEqual(decision.txHash);
  });

  it('returns the identical certificate for a resubmission, with or without a request id', async () => {
    const v = dave();
    const withId = await alice({ requestId: 'r-1' });
    const first = v.submit(req(withId)).cert;
    const again = v.submit(req(withId));
    expect(again.decision.kind).toBe('existing');
    expect(again.cert).toEqual(first);
    const plain = v.submit(req({ ...withId, clientRequestId: '' }));
    expect(plain.decision.kind).toBe('existing');
    expect(plain.cert).toEqual(first);
  });

  it('returns the certificate of a payment that already landed instead of NONCE_SEQ_TOO_LOW', () => {
    const v = dave();
    const { cert } = v.submit(req(base));
    v.ledger.releaseThroughNonce(ALICE, base.nonce!.nonceKey, 1n);
    v.chain = createStaticChainView({
      head: HEAD,
      balances: [{ account: ALICE, asset: ALPHA_USD, amount: 5_000_000n }],
      nonces: [{ account: ALICE, nonceKey: base.nonce!.nonceKey, nonce: 1n }],
    });
    const again = v.submit(req(base));
    expect(again.decision.kind).toBe('existing');
    expect(again.cert).toEqual(cert);
  });

  it('asks to fetch chain values it has not loaded instead of guessing', () => {
    const empty: ChainView = {
      head: HEAD,
      chargesFees: false,
      balanceOf: () => undefined,
      nonceOf: () => undefined,
      defaultFeeToken: () => undefined,
      feeTokenUsable: () => undefined,
    };
    const v = new HarnessValidator(DAVE, committee, empty);
    const { decision } = v.submit(req(base));
    expect(decision.kind).toBe('fetch');
    if (decision.kind !== 'fetch') return;
    expect(decision.reads.map((r) => r.kind).sort()).toEqual(['balance', 'nonce']);
  });
});

describe('decideSubmission rejects malformed submissions with INVALID_FORMAT', () => {
  const cases: [string, (tx: FastPayTx) => FastPayTx | undefined, string][] = [
    ['missing tx', () => undefined, 'missing tx'],
    ['missing chain id', ({ chainId: _, ...tx }) => tx, 'missing chain_id'],
    ['missing tempo_tx', ({ tempoTx: _, ...tx }) => tx, 'missing tempo_tx'],
    ['empty tempo_tx', (tx) => ({ ...tx, tempoTx: new Uint8Array() }), 'empty tempo_tx'],
    [
      'oversized tempo_tx',
      (tx) => ({ ...tx, tempoTx: new Uint8Array(128 * 1024 + 1) }),
      'exceeds maximum size',
    ],
    ['format unspecified', (tx) => ({ ...tx, format: 0 }), 'must be specified'],
    ['unknown format', (tx) => ({ ...tx, format: 99 }), 'unknown tempo_tx_format'],
    ['no payment metadata', ({ intent: _, overlay: __, ...tx }) => tx, 'missing overlay payment metadata'],
    [
      'short sender',
      (tx) => ({ ...tx, overlay: { payment: { ...tx.overlay!.payment!, sender: new Uint8Array(19) } } }),
      'overlay.payment.sender',
    ],
    [
      'claimed sender is not the signer',
      (tx) => ({ ...tx, overlay: { payment: { ...tx.overlay!.payment!, sender: CAROL } } }),
      'does not match tx signer',
    ],
    [
      'claimed amount differs',
      (tx) => ({ ...tx, overlay: { payment: { ...tx.overlay!.payment!, amount: 1n } } }),
      'overlay payment does not match',
    ],
    [
      'intent differs from overlay',
      (tx) => ({ ...tx, intent: { ...tx.intent!, recipient: CAROL } }),
      'intent does not match',
    ],
    ['missing expiry', ({ expiry: _, ...tx }) => tx, 'missing expiry'],
    ['expiry without kind', (tx) => ({ ...tx, expiry: null }), 'missing expiry kind'],
    [
      'expiry other than validBefore (a re-wrap)',
      (tx) => ({ ...tx, expiry: { kind: 'unixMillis', value: (tx.expiry as { value: bigint }).value - 1n } }),
      'must equal the signed tx validBefore',
    ],
    [
      'height expiry on a tx with validBefore',
      (tx) => ({ ...tx, expiry: { kind: 'maxBlockHeight', value: 100n } }),
      'must be unix millis',
    ],
    ['missing nonce', ({ nonce: _, ...tx }) => tx, 'missing nonce'],
    [
      'short nonce key',
      (tx) => ({ ...tx, nonce: { nonceKey: new Uint8Array(31), seq: 0n } }),
      'nonce_key must be 32 bytes',
    ],
    [
      'wrapper sequence differs from the signed nonce',
      (tx) => ({ ...tx, nonce: { ...tx.nonce!, seq: 1n } }),
      'wrapper nonce does not match',
    ],
    [
      'wrapper nonce key differs',
      (tx) => ({ ...tx, nonce: { nonceKey: repeatByte(0x5b, 32), seq: 0n } }),
      'wrapper nonce does not match',
    ],
    [
      'parent hash of 31 bytes',
      (tx) => ({ ...tx, parentQcHash: new Uint8Array(31) }),
      'parent_qc_hash must be 32 bytes',
    ],
    ['garbage tempo_tx', (tx) => ({ ...tx, tempoTx: fromHex('0x76deadbeef') }), ''],
  ];
  for (const [name, mutate, message] of cases) {
    it(`rejects ${name}`, () => {
      const r = rejectOf(dave(), req(mutate(base)));
      expect(r.code).toBe(RejectCode.INVALID_FORMAT);
      expect(r.message).toContain(message);
    });
  }

  it('rejects a zero amount and a payment to oneself', async () => {
    expect(rejectOf(dave(), req(await alice({ amount: 0n }))).message).toContain(
      'amount must be greater than zero',
    );
    const self = await pay({ key: ALICE_KEY, to: ALICE, amount: 1n });
    expect(rejectOf(dave(), req(self)).message).toContain('sender and recipient must differ');
  });

  it('rejects a request id reused for a different tx', async () => {
    const v = dave();
    v.submit(req(await alice({ requestId: 'same' })));
    const r = rejectOf(v, req(await alice({ requestId: 'same', seq: 1n, amount: 1n })));
    expect(r).toEqual({
      code: RejectCode.INVALID_FORMAT,
      message: 'client_request_id reused for different tx',
    });
  });
});

describe('decideSubmission rejects with the specific code', () => {
  it('WRONG_CHAIN for a wrapper chain id that is not the committee chain', () => {
    expect(rejectOf(dave(), req({ ...base, chainId: 1338n })).code).toBe(RejectCode.WRONG_CHAIN);
  });

  it('WRONG_CHAIN for a signed tx of another chain inside a wrapper of ours', async () => {
    const foreign = await alice({ chainId: 1338n });
    const r = rejectOf(dave(), req({ ...foreign, chainId: 1337n }));
    expect(r).toEqual({
      code: RejectCode.WRONG_CHAIN,
      message: 'signed tx chain id does not match chain_id',
    });
  });

  it('NOT_PAYMENT_TX for a transfer on a token without the TIP-20 prefix', async () => {
    const tx = await alice({ asset: fromHex('0x1111111111111111111111111111111111111111') });
    expect(rejectOf(dave(), req(tx)).code).toBe(RejectCode.NOT_PAYMENT_TX);
  });

  it('EXPIRED once the head timestamp reaches the expiry (bound exclusive)', async () => {
    const tx = await alice({ validBefore: NOW_S });
    const r = rejectOf(dave(), req(tx));
    expect(r).toEqual({ code: RejectCode.EXPIRED, message: 'transaction expired' });
  });

  it('EQUIVOCATION for a second tx on a signed contention key', async () => {
    const v = dave();
    v.submit(req(base));
    const r = rejectOf(v, req(await alice({ to: CAROL })));
    expect(r).toEqual({ code: RejectCode.EQUIVOCATION, message: 'equivocation detected' });
  });

  it('NONCE_SEQ_TOO_HIGH for a gap and NONCE_SEQ_TOO_LOW below the chain nonce', async () => {
    expect(rejectOf(dave(), req(await alice({ seq: 1n }))).code).toBe(RejectCode.NONCE_SEQ_TOO_HIGH);
    const chain = createStaticChainView({
      head: HEAD,
      balances: [{ account: ALICE, asset: ALPHA_USD, amount: 15_000_000n }],
      nonces: [{ account: ALICE, nonceKey: base.nonce!.nonceKey, nonce: 2n }],
    });
    const v = new HarnessValidator(DAVE, committee, chain);
    const r = rejectOf(v, req(await alice({ seq: 1n })));
    expect(r).toEqual({ code: RejectCode.NONCE_SEQ_TOO_LOW, message: 'nonce sequence too low: expected 2' });
  });

  it('INSUFFICIENT_FUNDS for a plain overspend (the reference said MISSING_PARENT_QC)', async () => {
    const r = rejectOf(dave(), req(await alice({ amount: 16_000_000n })));
    expect(r.code).toBe(RejectCode.INSUFFICIENT_FUNDS);
    expect(r.message).toContain('available 15000000, needed 16000000');
  });

  it('INSUFFICIENT_FUNDS counts earlier certified debits', async () => {
    const validators = [dave(), new HarnessValidator(EDGAR, committee, demoBalances())];
    const qc = certifyAll(validators, req(base));
    const r = rejectOf(validators[0]!, req(await alice({ seq: 1n, amount: 6_000_000n }), [qc]));
    expect(r.message).toContain('available 5000000');
  });

  it('reserves the maximum fee when the fee token is the payment asset', async () => {
    const feeChain: ChainView = { ...demoBalances(), chargesFees: true, defaultFeeToken: () => PATH_USD };
    const v = new HarnessValidator(DAVE, committee, feeChain);
    const allIn = await alice({ amount: 15_000_000n, feeToken: ALPHA_USD });
    const r = rejectOf(v, req(allIn));
    expect(r.code).toBe(RejectCode.INSUFFICIENT_FUNDS);
    const withRoom = await alice({ amount: 14_000_000n, feeToken: ALPHA_USD });
    const { decision } = v.submit(req(withRoom));
    expect(decision.kind).toBe('accept');
    if (decision.kind !== 'accept') return;
    expect(decision.delta.debits).toHaveLength(1);
    expect(decision.delta.debits[0]!.amount).toBe(14_000_000n + decision.decoded.maxFee);
  });

  it('checks a fee in another token against that token', async () => {
    const feeChain: ChainView = { ...demoBalances(), chargesFees: true, defaultFeeToken: () => PATH_USD };
    const r = rejectOf(new HarnessValidator(DAVE, committee, feeChain), req(base));
    expect(r.code).toBe(RejectCode.INSUFFICIENT_FUNDS);
    expect(r.message).toContain('insufficient fee token balance');
  });

  it('refuses a tx naming no fee token when the chain cannot tell which token it would charge', () => {
    const raw = signTempo(tempoEnvelope({ nonceKey: 1n, nonce: 0n, validBefore: Number(VB) }));
    const decoded = decodeTempoTx(suite, 2, raw);
    if (!decoded.ok) throw new Error(decoded.reject.message);
    const tx = wrapSignedPayment(raw, decoded.tx)!;
    const unknownFeeToken: ChainView = { ...demoBalances(), chargesFees: true, defaultFeeToken: () => null };
    const r = rejectOf(new HarnessValidator(DAVE, committee, unknownFeeToken), req(tx));
    expect(r.code).toBe(RejectCode.INVALID_FORMAT);
    expect(r.message).toContain('must name its fee token');
  });

  it('MISSING_PARENT_QC when the cited parent QC is not attached', async () => {
    const child = await pay({
      key: BOB_KEY,
      to: CAROL,
      amount: 10_000_000n,
      parentQcHash: repeatByte(7, 32),
    });
    expect(rejectOf(dave(), req(child)).code).toBe(RejectCode.MISSING_PARENT_QC);
  });
});

describe('chained payments', () => {
  it('credits a verified parent QC once, however many children cite it', async () => {
    const validators = [dave(), new HarnessValidator(EDGAR, committee, demoBalances())];
    const qc1 = certifyAll(validators, req(base));
    const child = await pay({
      key: BOB_KEY,
      to: CAROL,
      amount: 10_000_000n,
      parentQcHash: qc1.qcHash,
    });
    const qc2 = certifyAll(validators, req(child, [qc1]));
    expect(qc2.certs).toHaveLength(2);
    const second = await pay({
      key: BOB_KEY,
      to: CAROL,
      amount: 6_000_000n,
      seq: 1n,
      parentQcHash: qc1.qcHash,
    });
    const r = rejectOf(validators[0]!, req(second, [qc1, qc2]));
    expect(r.code).toBe(RejectCode.INSUFFICIENT_FUNDS);
    expect(r.message).toContain('available 5000000');
  });

  it('remembers a parent QC it verified, so a later child need not attach it again', async () => {
    const validators = [dave(), new HarnessValidator(EDGAR, committee, demoBalances())];
    const qc1 = certifyAll(validators, req(base));
    const first = await pay({
      key: BOB_KEY,
      to: CAROL,
      amount: 1_000_000n,
      parentQcHash: qc1.qcHash,
    });
    const qcFirst = certifyAll(validators, req(first, [qc1]));
    const second = await pay({
      key: BOB_KEY,
      to: CAROL,
      amount: 1_000_000n,
      seq: 1n,
      parentQcHash: qc1.qcHash,
    });
    expect(validators[0]!.submit(req(second, [qcFirst])).decision.kind).toBe('accept');
    expect(rejectOf(dave(), req(second)).code).toBe(RejectCode.MISSING_PARENT_QC);
  });

  it('credits a parent this validator never signed when the QC verifies against the committee', async () => {
    const signers = [dave(), new HarnessValidator(EDGAR, committee, demoBalances())];
    const qc1 = certifyAll(signers, req(base));
    const fresh = dave();
    const child = await pay({
      key: BOB_KEY,
      to: CAROL,
      amount: 10_000_000n,
      parentQcHash: qc1.qcHash,
    });
    const blind = rejectOf(fresh, req(child, [qc1]));
    expect(blind.code).toBe(RejectCode.MISSING_PARENT_QC);
    expect(blind.message).toContain('has not seen the parent payment');
    expect(fresh.submit({ ...req(child, [qc1]), parentTxs: [base] }).decision.kind).toBe('accept');
  });

  it('INVALID_PARENT_QC for a QC below the committee quorum, whatever threshold it declares', async () => {
    const v = dave();
    const { cert } = v.submit(req(base));
    const lone: QuorumCertificate = {
      txHash: cert!.txHash,
      effectsHash: cert!.effectsHash,
      certs: [cert!],
      threshold: 1,
      qcHash: new Uint8Array(),
    };
    const { qcHash } = await import('../../src/protocol/hashing.ts');
    const hash = qcHash(suite, {
      ...lone,
      certs: [{ signerId: DAVE.id, signature: cert!.signature, createdUnixMillis: cert!.createdUnixMillis }],
    });
    const child = await pay({ key: BOB_KEY, to: CAROL, amount: 10_000_000n, parentQcHash: hash });
    const r = rejectOf(v, req(child, [lone]));
    expect(r.code).toBe(RejectCode.INVALID_PARENT_QC);
  });

  it('INVALID_PARENT_QC for a parent that pays someone else', async () => {
    const validators = [dave(), new HarnessValidator(EDGAR, committee, demoBalances())];
    const qc1 = certifyAll(validators, req(base));
    const carolSpends = await pay({
      key: ALICE_KEY,
      to: CAROL,
      amount: 1n,
      seq: 1n,
      parentQcHash: qc1.qcHash,
    });
    const r = rejectOf(validators[0]!, req(carolSpends, [qc1]));
    expect(r).toEqual({
      code: RejectCode.INVALID_PARENT_QC,
      message: 'parent qc does not pay the sender in this asset',
    });
  });
});

describe('request cache', () => {
  it('never caches a transient reject: the same request succeeds once funds arrive', async () => {
    const v = dave();
    const big = await alice({ amount: 20_000_000n, requestId: 'retry-me' });
    expect(rejectOf(v, req(big)).code).toBe(RejectCode.INSUFFICIENT_FUNDS);
    v.chain = createStaticChainView({
      head: HEAD,
      balances: [{ account: ALICE, asset: ALPHA_USD, amount: 25_000_000n }],
    });
    expect(v.submit(req(big)).decision.kind).toBe('accept');
  });

  it('replays a permanent reject for the same request id', async () => {
    const v = dave();
    v.submit(req(base));
    const conflicting = await alice({ to: CAROL, requestId: 'perm' });
    expect(rejectOf(v, req(conflicting)).code).toBe(RejectCode.EQUIVOCATION);
    expect(rejectOf(v, req(conflicting)).code).toBe(RejectCode.EQUIVOCATION);
  });
});
