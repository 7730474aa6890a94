import { useEffect, useReducer, useState } from 'react';
import { subscribeData } from '../../src/graphql/subscribe-data.ts';
import { liveConnection, request } from './api.ts';
import { SubmitForm } from './SubmitForm.tsx';
import {
  EMPTY_TIMELINE,
  type Entry,
  formatAmount,
  GUARANTEE_MEANING,
  nextBlockAfter,
  nextTimeline,
  type PaymentFields,
  short,
} from './timeline.ts';

const PAYMENT_FIELDS = `txHash stage guarantee sender recipient amount threshold certificates { validator { name } }
  qcHash blockAtQc inclusion { blockNumber }`;

interface Committee {
  readonly threshold: number;
  readonly faultTolerance: number;
  readonly validators: readonly { readonly name: string }[];
}

/**
 * The live page: it subscribes to blockHeight, qcFormed and paymentUpdated over graphql-ws and shows each QC
 * landing between two block events: preconfirmation before the block height moves.
 */
export function App() {
  const [timeline, dispatch] = useReducer(nextTimeline, EMPTY_TIMELINE);
  const [connected, setConnected] = useState(false);
  const [committee, setCommittee] = useState<Committee>();

  useEffect(() => {
    void request<{ committee: Committee }>(
      '{ committee { threshold faultTolerance validators { name } } }',
    ).then((d) => setCommittee(d.committee));
    const client = liveConnection(setConnected);
    const stops = [
      subscribeData<{ blockHeight: { height: string } }>(
        client,
        'subscription { blockHeight { height } }',
        (d) => dispatch({ type: 'block', height: d.blockHeight.height, at: performance.now() }),
      ),
      subscribeData<{ qcFormed: PaymentFields }>(
        client,
        `subscription { qcFormed { ${PAYMENT_FIELDS} } }`,
        (d) => dispatch({ type: 'qc', payment: d.qcFormed, at: performance.now() }),
      ),
      subscribeData<{ paymentUpdated: { payment: PaymentFields } }>(
        client,
        `subscription { paymentUpdated { payment { ${PAYMENT_FIELDS} } } }`,
        (d) => dispatch({ type: 'payment', payment: d.paymentUpdated.payment, at: performance.now() }),
      ),
    ];
    return () => {
      for (const stop of stops) stop();
      void client.dispose();
    };
  }, []);

  return (
    <main>
      <header>
        <h1>Allegro</h1>
        <p className="tagline">Payments preconfirmed by a quorum of validators before the next Tempo block</p>
        <div className="status">
          <span data-testid="connection" className={connected ? 'dot live' : 'dot'}>
            {connected ? 'live' : 'connecting…'}
          </span>
          <span data-testid="chain-head">block {timeline.lastBlock?.height ?? '—'}</span>
          {committee && (
            <span>
              QC = {committee.threshold} of {committee.validators.length} validators (f ={' '}
              {committee.faultTolerance})
            </span>
          )}
        </div>
      </header>
      <div className="columns">
        <section>
          <h2>Timeline</h2>
          <ol className="timeline" data-testid="timeline">
            {timeline.entries.map((entry) => (
              <TimelineRow key={keyOf(entry)} entry={entry} entries={timeline.entries} />
            ))}
          </ol>
        </section>
        <section>
          <h2>Payments</h2>
          <table data-testid="payments">
            <thead>
              <tr>
                <th>tx</th>
                <th>from → to</th>
                <th>amount</th>
                <th>certificates</th>
                <th>stage</th>
                <th>guarantee</th>
              </tr>
            </thead>
            <tbody>
              {timeline.payments.map((p) => (
                <tr key={p.txHash} data-testid="payment-row" data-tx-hash={p.txHash}>
                  <td className="mono">{short(p.txHash)}</td>
                  <td className="mono">
                    {short(p.sender)} → {short(p.recipient)}
                  </td>
                  <td>{formatAmount(p.amount)}</td>
                  <td>
                    {p.certificates.length}/{p.threshold}
                  </td>
                  <td>
                    <span className={`stage ${p.stage}`} data-testid="payment-stage">
                      {p.stage}
                    </span>
                  </td>
                  <td>
                    <span
                      className={`guarantee ${p.guarantee}`}
                      title={GUARANTEE_MEANING[p.guarantee]}
                      data-testid="payment-guarantee"
                    >
                      {p.guarantee}
                    </span>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="legend" data-testid="guarantee-legend">
            LOCKED: {GUARANTEE_MEANING.LOCKED} ESCROWED: {GUARANTEE_MEANING.ESCROWED}
          </p>
          <SubmitForm />
        </section>
      </div>
    </main>
  );
}

function TimelineRow({ entry, entries }: { entry: Entry; entries: readonly Entry[] }) {
  if (entry.kind === 'block') {
    return (
      <li className="block" data-testid="block-event">
        block {entry.height}
      </li>
    );
  }
  if (entry.kind === 'stage') {
    return (
      <li className={`chain ${entry.stage}`} data-testid="stage-event">
        {short(entry.txHash)} {entry.stage}
        {entry.blockNumber ? ` in block ${entry.blockNumber}` : ''}
      </li>
    );
  }
  const { payment, sinceBlockMs } = entry;
  const next = nextBlockAfter(entries, entry);
  return (
    <li className="qc" data-testid="qc-event" data-tx-hash={payment.txHash}>
      <strong>QC formed</strong> {short(payment.sender)} → {short(payment.recipient)}{' '}
      {formatAmount(payment.amount)} ({payment.certificates.length} certificates) at block {payment.blockAtQc}
      {sinceBlockMs !== undefined && (
        <span className="timing"> · {Math.round(sinceBlockMs)} ms into the block</span>
      )}
      {next && (
        <span className="timing" data-testid="before-next-block">
          {' '}
          · {Math.round(next.at - entry.at)} ms before block {next.height}
        </span>
      )}
    </li>
  );
}

function keyOf(entry: Entry): string {
  if (entry.kind === 'block') return `block-${entry.height}`;
  if (entry.kind === 'qc') return `qc-${entry.payment.txHash}`;
  return `${entry.stage}-${entry.txHash}`;
}
