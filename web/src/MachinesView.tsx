import { useMemo } from 'react';
import { paymentMachine, STAGE_OF_STATE } from '../../src/actors/payment.machine.ts';
import { settlementMachine } from '../../src/actors/settlement.machine.ts';
import { formatTime } from './format.ts';
import { MachineDiagram } from './MachineDiagram.tsx';
import { machineGraph } from './machine-graph.ts';
import type { PaymentFields } from './nodes.ts';
import { paymentEventList } from './payment-event-list.ts';

/** One event the demo actor heard. */
export interface DemoEvent {
  /** Its place in the run. */
  readonly seq: number;
  readonly type: string;
  readonly state: string;
}

interface Props {
  readonly payment: PaymentFields | undefined;
  /** The chained demo machine as the page runs it (drawn from its definition). */
  readonly demoGraph: ReturnType<typeof machineGraph>;
  readonly demoState: string | undefined;
  readonly demoEvents: readonly DemoEvent[];
}

const STATE_OF_STAGE = new Map(Object.entries(STAGE_OF_STATE).map(([state, stage]) => [stage, state]));

/**
 * The settlement state a payment's stage says its sidecars reached: each sidecar runs its own settlement machine,
 * and the stage the observer accepted is the one they reported (f+1 agreeing, or its own chain reads).
 */
const SETTLEMENT_STATE_OF_STAGE: Readonly<Record<string, string>> = {
  QC_FORMED: 'queued',
  QUEUED_ONCHAIN: 'forwarded',
  INCLUDED: 'included',
  FINALIZED: 'finalized',
  FAILED: 'failed',
  EXPIRED: 'expired',
};

/**
 * The machines drawn from their definitions, bundled with the page (no request): the payment machine every
 * observer runs, with the selected payment's state and events; the settlement machine each sidecar runs per
 * certified payment, with the state the payment's stage says its sidecars reached; and the chained demo with the
 * page's own run.
 */
export function MachinesView({ payment, demoGraph, demoState, demoEvents }: Props) {
  const paymentGraph = useMemo(() => machineGraph(paymentMachine), []);
  const settlementGraph = useMemo(() => machineGraph(settlementMachine), []);
  const settlementState = payment && SETTLEMENT_STATE_OF_STAGE[payment.stage];
  return (
    <section className="machines" data-testid="machines-view">
      <div className="panel">
        <h2>Payment machine</h2>
        <p className="hint">
          {payment
            ? `Selected payment: state ${STATE_OF_STAGE.get(payment.stage)} (${payment.stage}).`
            : 'Select a payment to see where it stands.'}
        </p>
        <MachineDiagram graph={paymentGraph} current={payment && STATE_OF_STAGE.get(payment.stage)} />
        {payment && (
          <>
            <h3>Its events</h3>
            <ol className="events" data-testid="payment-events">
              {paymentEventList(payment).map((e) => (
                <li key={`${e.type}-${e.detail}-${e.at}`}>
                  {e.type} {e.detail}{' '}
                  {e.at !== undefined && <span className="timing">{formatTime(e.at)}</span>}
                </li>
              ))}
            </ol>
          </>
        )}
      </div>
      <div className="panel">
        <h2>Settlement machine (on each sidecar)</h2>
        <p className="hint">
          {settlementState
            ? `Selected payment: its sidecars reported ${payment?.stage}, state ${settlementState}.`
            : 'Each sidecar settles a payment once its QC formed; select one to see where it stands.'}
        </p>
        <MachineDiagram graph={settlementGraph} current={settlementState} />
      </div>
      <div className="panel">
        <h2>Chained demo machine</h2>
        <p className="hint">
          {demoState ? `This page's demo run: ${demoState}.` : 'Run the chained demo to see it move.'}
        </p>
        <MachineDiagram graph={demoGraph} current={demoState} />
        {demoEvents.length > 0 && (
          <>
            <h3>Its events</h3>
            <ol className="events" data-testid="demo-events">
              {demoEvents.map((e) => (
                <li key={e.seq}>
                  {e.type} → {e.state}
                </li>
              ))}
            </ol>
          </>
        )}
      </div>
    </section>
  );
}
