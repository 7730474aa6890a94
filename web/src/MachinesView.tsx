import { useMemo } from 'react';
import { paymentMachine, STAGE_OF_STATE } from '../../src/actors/payment.machine.ts';
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
 * The machines drawn from their definitions, bundled with the page (no request): the payment machine every
 * observer runs, with the selected payment's state and events, and the chained demo with the page's own run. The
 * sidecar's settlement has no machine of its own yet, so it is not drawn.
 */
export function MachinesView({ payment, demoGraph, demoState, demoEvents }: Props) {
  const paymentGraph = useMemo(() => machineGraph(paymentMachine), []);
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
