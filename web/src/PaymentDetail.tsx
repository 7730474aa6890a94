import { useMemo } from 'react';
import { STAGE_OF_STATE } from '../../src/actors/payment.machine.ts';
import type { Committee } from '../../src/protocol/committee.ts';
import { formatAmount, formatTime, short } from './format.ts';
import { type NamedAccount, nameOf } from './names.ts';
import { GUARANTEE_MEANING, type PaymentDetailFields, stageTime } from './nodes.ts';
import { checkQc } from './qc-check.ts';

interface Props {
  readonly payment: PaymentDetailFields | undefined;
  readonly error: string | undefined;
  readonly committee: Committee;
  readonly accounts: readonly NamedAccount[];
  /** Chain timestamps of the blocks this page saw, by height. */
  readonly blockTimes: Readonly<Record<string, number>>;
}

const STAGES = Object.values(STAGE_OF_STATE);

/**
 * One payment: its certificates per validator, its QC checked here against the committee, what it guarantees, the
 * server's stage times, and the proof that the QC came before the next block.
 */
export function PaymentDetail({ payment: p, error, committee, accounts, blockTimes }: Props) {
  const check = useMemo(
    () => (p?.quorumCertificate ? checkQc(committee, p.quorumCertificate) : undefined),
    [committee, p?.quorumCertificate],
  );
  if (error) return <p className="error">{error}</p>;
  if (!p) return <p className="empty">Select a payment to see its certificates, QC and timing.</p>;
  const qcAt = stageTime(p, 'QC_FORMED');
  const nextHeight = p.blockAtQc ? (BigInt(p.blockAtQc) + 1n).toString() : undefined;
  const nextAt = nextHeight ? blockTimes[nextHeight] : undefined;
  return (
    <article className="detail" data-testid="payment-detail" data-tx-hash={p.txHash}>
      <h3>
        {nameOf(accounts, p.sender)} → {nameOf(accounts, p.recipient)} · {formatAmount(p.amount, p.asset)}
      </h3>
      <dl>
        <dt>stage</dt>
        <dd>
          <span className={`stage ${p.stage}`}>{p.stage}</span>
          {p.failure && <span className="error"> {p.failure}</span>}
        </dd>
        <dt>guarantee</dt>
        <dd data-testid="detail-guarantee">
          <span className={`guarantee ${p.guarantee}`}>{p.guarantee}</span> {GUARANTEE_MEANING[p.guarantee]}
        </dd>
        <dt>tx</dt>
        <dd className="mono">{p.txHash}</dd>
        <dt>lane</dt>
        <dd className="mono">
          {short(p.nonceKey)} seq {p.sequence}
        </dd>
        {p.parentQcHash && (
          <>
            <dt>spends from</dt>
            <dd className="mono">QC {short(p.parentQcHash)}</dd>
          </>
        )}
        {p.expiresAtMs && (
          <>
            <dt>deadline</dt>
            <dd>{formatTime(p.expiresAtMs)}</dd>
          </>
        )}
      </dl>
      <h4>Certificates</h4>
      <ul className="certs">
        {committee.members.map((m) => {
          const cert = p.certificates.find((c) => c.validator.name === m.name);
          const refusal = p.rejections.find((r) => r.validator.name === m.name);
          return (
            <li key={m.name}>
              <strong>{m.name}</strong>{' '}
              {cert ? (
                `signed at ${formatTime(cert.createdUnixMillis)}`
              ) : refusal ? (
                <span className="error">
                  refused {refusal.code}: {refusal.message}
                </span>
              ) : (
                'no certificate'
              )}
            </li>
          );
        })}
      </ul>
      <h4>Quorum certificate</h4>
      {!p.quorumCertificate ? (
        <p className="empty">
          No QC yet ({p.certificates.length} of {p.threshold} certificates).
        </p>
      ) : check?.ok ? (
        <p className="ok" data-testid="qc-verified">
          verified in this browser: {check.verifiedBy.join(', ')} ({check.verifiedBy.length} of{' '}
          {committee.members.length}, quorum {p.threshold})
        </p>
      ) : (
        <p className="error" data-testid="qc-invalid">
          QC does not verify against the committee: {check?.message}
        </p>
      )}
      <h4>Timing (server clocks)</h4>
      <ol className="stage-times">
        {STAGES.flatMap((stage) => {
          const at = stageTime(p, stage);
          return at === undefined ? [] : [<li key={stage}>{`${stage} ${formatTime(at)}`}</li>];
        })}
      </ol>
      <p data-testid="block-proof">
        {p.blockAtQc ? `QC at block ${p.blockAtQc}` : 'No QC block'}
        {p.inclusion ? `, included in block ${p.inclusion.blockNumber}` : ', not included yet'}.
        {qcAt !== undefined && nextAt !== undefined && (
          <>
            {' '}
            QC formed {formatTime(qcAt)} (aggregator); block {nextHeight} stamped {formatTime(nextAt)}{' '}
            (chain):{' '}
            {nextAt > qcAt ? `${nextAt - qcAt} ms before the next block.` : 'not before the next block.'}
          </>
        )}
      </p>
    </article>
  );
}
