import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { type PaymentInput, paymentMachine, STAGE_OF_STATE } from '../../src/actors/payment.machine.ts';

const input: PaymentInput = {
  txHash: '0xaa',
  sender: '0x01',
  recipient: '0x02',
  asset: '0x20c0',
  amount: '10000000',
  threshold: 3,
  faultTolerance: 1,
  blockAtSubmit: '7',
  submittedAt: 1000,
};
const cert = (id: string, at: number) =>
  ({
    type: 'CERTIFICATE',
    at,
    validatorId: id,
    validator: id,
    signature: '0x00',
    createdUnixMillis: String(at),
  }) as const;
const reject = (id: string, permanent: boolean) =>
  ({
    type: 'REJECT',
    at: 5,
    validatorId: id,
    validator: id,
    code: 8,
    message: 'insufficient funds',
    permanent,
  }) as const;

describe('payment machine', () => {
  it('walks submitted → certified → qcFormed → queued → included → finalized, stamping each stage', () => {
    const actor = createActor(paymentMachine, { input }).start();
    actor.send(cert('a', 1001));
    expect(actor.getSnapshot().value).toBe('certified');
    actor.send(cert('b', 1002));
    actor.send({ type: 'QC_FORMED', at: 1003, qcHash: '0xqc', blockHeight: '7' });
    actor.send({ type: 'QUEUED_ONCHAIN', at: 1004, blockHeight: '7' });
    actor.send({ type: 'INCLUDED', at: 1005, blockNumber: '8', blockHash: '0xbb' });
    actor.send({ type: 'FINALIZED', at: 1006, blockNumber: '9' });
    const s = actor.getSnapshot();
    expect(s.value).toBe('finalized');
    expect(s.status).toBe('done');
    expect(Object.keys(s.context.certificates)).toEqual(['a', 'b']);
    expect(s.context.blockAtQc).toBe('7');
    expect(s.context.inclusion).toEqual({ blockNumber: '8', blockHash: '0xbb' });
    expect(s.context.stageTimes).toEqual({
      SUBMITTED: 1000,
      CERTIFIED: 1001,
      QC_FORMED: 1003,
      QUEUED_ONCHAIN: 1004,
      INCLUDED: 1005,
      FINALIZED: 1006,
    });
  });

  it('is rejected once more than f validators refused permanently, not before', () => {
    const actor = createActor(paymentMachine, { input }).start();
    actor.send(reject('a', true));
    actor.send(reject('b', false));
    expect(actor.getSnapshot().value).toBe('submitted');
    actor.send(reject('c', true));
    expect(actor.getSnapshot().value).toBe('rejected');
    expect(STAGE_OF_STATE.rejected).toBe('REJECTED');
  });

  it('skips forward when inclusion is reported first and never moves back', () => {
    const actor = createActor(paymentMachine, { input }).start();
    actor.send({ type: 'INCLUDED', at: 2000, blockNumber: '9', blockHash: '0xcc' });
    actor.send({ type: 'QC_FORMED', at: 2001, qcHash: '0xqc', blockHeight: '8' });
    expect(actor.getSnapshot().value).toBe('included');
  });

  it('restores from a JSON snapshot and continues to its final stage', () => {
    const first = createActor(paymentMachine, { input }).start();
    first.send(cert('a', 1001));
    first.send({ type: 'QC_FORMED', at: 1003, qcHash: '0xqc', blockHeight: '7' });
    first.send({ type: 'QUEUED_ONCHAIN', at: 1004, blockHeight: '7' });
    const saved = JSON.parse(JSON.stringify(first.getPersistedSnapshot()));
    first.stop();
    const restored = createActor(paymentMachine, { snapshot: saved, input }).start();
    expect(restored.getSnapshot().value).toBe('queuedOnchain');
    restored.send({ type: 'INCLUDED', at: 1005, blockNumber: '8', blockHash: '0xbb' });
    expect(restored.getSnapshot().value).toBe('included');
    expect(restored.getSnapshot().context.certificates.a?.createdUnixMillis).toBe('1001');
  });

  it('fails on chain from any stage before finality', () => {
    const actor = createActor(paymentMachine, { input }).start();
    actor.send({ type: 'QC_FORMED', at: 1003, qcHash: '0xqc', blockHeight: '7' });
    actor.send({ type: 'FAILED', at: 1010, message: 'reverted' });
    expect(actor.getSnapshot().value).toBe('failedOnchain');
    expect(actor.getSnapshot().context.failure).toBe('reverted');
  });

  it('records the QC that arrives after the sidecars reported queueing, without moving back', () => {
    const actor = createActor(paymentMachine, { input }).start();
    actor.send(cert('a', 1001));
    actor.send({ type: 'QUEUED_ONCHAIN', at: 1002, blockHeight: '7' });
    actor.send({ type: 'QC_FORMED', at: 1003, qcHash: '0xqc', blockHeight: '7' });
    actor.send({ type: 'QC_FORMED', at: 1004, qcHash: '0xother', blockHeight: '8' });
    const s = actor.getSnapshot();
    expect(s.value).toBe('queuedOnchain');
    expect(s.context).toMatchObject({ qcHash: '0xqc', blockAtQc: '7' });
    expect(s.context.stageTimes).toMatchObject({ QUEUED_ONCHAIN: 1002, QC_FORMED: 1003 });
  });

  it('records a refusal that arrives after the QC without leaving qcFormed', () => {
    const actor = createActor(paymentMachine, { input }).start();
    actor.send({ type: 'QC_FORMED', at: 1003, qcHash: '0xqc', blockHeight: '7' });
    actor.send(reject('c', true));
    actor.send(reject('d', true));
    expect(actor.getSnapshot().value).toBe('qcFormed');
    expect(Object.keys(actor.getSnapshot().context.rejects)).toEqual(['c', 'd']);
  });

  it('a lone sidecar report of QUEUED_ONCHAIN, INCLUDED, FAILED or EXPIRED does not move the payment (f = 1)', () => {
    const actor = createActor(paymentMachine, { input }).start();
    actor.send({ type: 'QC_FORMED', at: 1003, qcHash: '0xqc', blockHeight: '7' });
    const report = { validatorId: 'liar', blockNumber: '9', blockHash: '0x99' };
    actor.send({ type: 'QUEUED_ONCHAIN', at: 1004, blockHeight: '9', report });
    actor.send({ type: 'INCLUDED', at: 1005, blockNumber: '9', blockHash: '0x99', report });
    actor.send({ type: 'FAILED', at: 1006, message: 'lie', report });
    actor.send({ type: 'EXPIRED', at: 1007, report });
    actor.send({ type: 'INCLUDED', at: 1008, blockNumber: '9', blockHash: '0x99', report });
    expect(actor.getSnapshot().value).toBe('qcFormed');
    expect(actor.getSnapshot().context.stageReports).toMatchObject({ 'INCLUDED:9:0x99': ['liar'] });
  });

  it('f+1 sidecars reporting the same stage at the same block and hash move it; another block does not count', () => {
    const actor = createActor(paymentMachine, { input }).start();
    actor.send({ type: 'QC_FORMED', at: 1003, qcHash: '0xqc', blockHeight: '7' });
    const at = (validatorId: string, blockHash: string) => ({ validatorId, blockNumber: '9', blockHash });
    actor.send({ type: 'INCLUDED', at: 1005, blockNumber: '9', blockHash: '0x99', report: at('a', '0x99') });
    actor.send({ type: 'INCLUDED', at: 1006, blockNumber: '9', blockHash: '0x98', report: at('b', '0x98') });
    expect(actor.getSnapshot().value).toBe('qcFormed');
    actor.send({ type: 'INCLUDED', at: 1007, blockNumber: '9', blockHash: '0x99', report: at('c', '0x99') });
    expect(actor.getSnapshot().value).toBe('included');
    expect(actor.getSnapshot().context.inclusion).toEqual({ blockNumber: '9', blockHash: '0x99' });
    expect(actor.getSnapshot().context.stageTimes.INCLUDED).toBe(1007);
  });

  it("the observer's own chain read (no report) moves it at once", () => {
    const actor = createActor(paymentMachine, { input }).start();
    actor.send({ type: 'QC_FORMED', at: 1003, qcHash: '0xqc', blockHeight: '7' });
    actor.send({ type: 'FAILED', at: 1004, message: 'sequence taken' });
    expect(actor.getSnapshot().value).toBe('failedOnchain');
  });

  it('a lost inclusion (own chain read) takes an included payment back to queuedOnchain and it can land again', () => {
    const actor = createActor(paymentMachine, { input }).start();
    actor.send({ type: 'QC_FORMED', at: 1003, qcHash: '0xqc', blockHeight: '7' });
    actor.send({ type: 'QUEUED_ONCHAIN', at: 1004, blockHeight: '7' });
    actor.send({ type: 'INCLUDED', at: 1005, blockNumber: '8', blockHash: '0xbb' });
    actor.send({ type: 'INCLUSION_LOST', at: 1006, message: 'reorg' });
    let s = actor.getSnapshot();
    expect(s.value).toBe('queuedOnchain');
    expect(s.context.inclusion).toBeUndefined();
    expect(s.context.stageTimes.INCLUDED).toBeUndefined();
    expect(s.context.lostInclusions).toEqual([
      { blockNumber: '8', blockHash: '0xbb', message: 'reorg', at: 1006 },
    ]);
    actor.send({ type: 'FINALIZED', at: 1007, blockNumber: '8' });
    expect(actor.getSnapshot().value).toBe('queuedOnchain');
    actor.send({ type: 'INCLUDED', at: 1008, blockNumber: '9', blockHash: '0xcc' });
    actor.send({ type: 'FINALIZED', at: 1009, blockNumber: '9' });
    s = actor.getSnapshot();
    expect(s.value).toBe('finalized');
    expect(s.context.inclusion).toEqual({ blockNumber: '9', blockHash: '0xcc' });
  });

  it('a lost inclusion without queueing goes back to qcFormed, and sidecar votes for the lost block are dropped', () => {
    const actor = createActor(paymentMachine, { input }).start();
    actor.send({ type: 'QC_FORMED', at: 1003, qcHash: '0xqc', blockHeight: '7' });
    const report = (validatorId: string) => ({ validatorId, blockNumber: '8', blockHash: '0xbb' });
    actor.send({ type: 'INCLUDED', at: 1005, blockNumber: '8', blockHash: '0xbb', report: report('a') });
    actor.send({ type: 'INCLUDED', at: 1006, blockNumber: '8', blockHash: '0xbb', report: report('b') });
    expect(actor.getSnapshot().value).toBe('included');
    actor.send({ type: 'INCLUSION_LOST', at: 1007, message: 'reset' });
    expect(actor.getSnapshot().value).toBe('qcFormed');
    actor.send({ type: 'INCLUDED', at: 1008, blockNumber: '8', blockHash: '0xbb', report: report('a') });
    expect(actor.getSnapshot().value).toBe('qcFormed');
    expect(actor.getSnapshot().context.stageReports).toEqual({ 'INCLUDED:8:0xbb': ['a'] });
  });

  it('a lost inclusion does not reopen a finalized payment', () => {
    const actor = createActor(paymentMachine, { input }).start();
    actor.send({ type: 'INCLUDED', at: 1005, blockNumber: '8', blockHash: '0xbb' });
    actor.send({ type: 'FINALIZED', at: 1006, blockNumber: '8' });
    actor.send({ type: 'INCLUSION_LOST', at: 1007, message: 'too late' });
    expect(actor.getSnapshot().value).toBe('finalized');
  });
});
