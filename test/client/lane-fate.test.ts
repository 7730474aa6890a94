import { describe, expect, it } from 'vitest';
import { laneAfterFailure } from '../../src/client/lane-fate.ts';
import type { ValidatorAnswer, ValidatorReport } from '../../src/client/validator-answer.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import type { ValidatorCertificate } from '../../src/protocol/types.ts';

const SEQ = 4n;
const report = (answer: ValidatorAnswer, over: Partial<ValidatorReport> = {}): ValidatorReport => ({
  validator: 'v',
  answer,
  final: true,
  inFlight: false,
  ...over,
});
const rejected = (code: RejectCode, message = 'no') => report({ kind: 'reject', code, message });
const funds = () => rejected(RejectCode.INSUFFICIENT_FUNDS);
const tooLow = (n: bigint) => rejected(RejectCode.NONCE_SEQ_TOO_LOW, `nonce sequence too low: expected ${n}`);
const tooHigh = (n: bigint) =>
  rejected(RejectCode.NONCE_SEQ_TOO_HIGH, `nonce sequence too high: expected ${n}`);
const equivocation = () => rejected(RejectCode.EQUIVOCATION);
const fate = (...reports: ValidatorReport[]) => laneAfterFailure(reports, 3, SEQ);

describe('laneAfterFailure (4 validators, quorum 3, failed at seq 4)', () => {
  it('releases the sequence when every validator refused with a reject that proves it holds no lock', () => {
    expect(
      fate(funds(), funds(), rejected(RejectCode.INVALID_PARENT_QC), rejected(RejectCode.WRONG_CHAIN)),
    ).toEqual({
      kind: 'release',
    });
  });

  it('keeps the payment pending when any validator certified it', () => {
    const cert = { kind: 'certificate', cert: {} as ValidatorCertificate } as const;
    expect(fate(funds(), funds(), funds(), report(cert))).toEqual({ kind: 'keep' });
  });

  it('keeps the payment pending while a request is still in flight', () => {
    expect(
      fate(funds(), funds(), funds(), report({ kind: 'none' }, { inFlight: true, final: false })),
    ).toEqual({
      kind: 'keep',
    });
  });

  it('keeps the payment pending when a validator was not reached or sent a forged certificate', () => {
    const unreachable = report(
      { kind: 'transportError', message: 'down', transient: true },
      { final: false },
    );
    expect(fate(funds(), funds(), funds(), unreachable)).toEqual({ kind: 'keep' });
    expect(
      fate(funds(), funds(), funds(), report({ kind: 'invalidCertificate', message: 'forged' })),
    ).toEqual({
      kind: 'keep',
    });
  });

  it('keeps the payment pending on EXPIRED, which a validator holding the tx also answers', () => {
    expect(fate(funds(), funds(), funds(), rejected(RejectCode.EXPIRED))).toEqual({ kind: 'keep' });
  });

  it('resyncs forward to the largest sequence a quorum expects at least', () => {
    expect(fate(tooLow(9n), tooLow(7n), tooLow(7n), tooLow(6n))).toEqual({ kind: 'resync', next: 7n });
    expect(fate(equivocation(), tooLow(8n), equivocation(), funds())).toEqual({ kind: 'resync', next: 5n });
  });

  it('does not move forward on fewer than a quorum of "taken" answers', () => {
    expect(fate(tooLow(9n), tooLow(9n), funds(), funds())).toEqual({ kind: 'keep' });
  });

  it('resyncs back only to a sequence a quorum expects exactly', () => {
    expect(fate(tooHigh(2n), tooHigh(2n), tooHigh(2n), funds())).toEqual({ kind: 'resync', next: 2n });
    expect(fate(tooHigh(2n), tooHigh(2n), tooHigh(3n), funds())).toEqual({ kind: 'release' });
  });
});
