import { describe, expect, it } from 'vitest';
import { paymentMachine } from '../../src/actors/payment.machine.ts';
import { DEMO_ACCOUNTS } from '../../src/chain/demo-accounts.ts';
import { toHex } from '../../src/protocol/bytes.ts';
import { DEVNET_KEYS, devKeysOffered } from '../../web/src/devnet-keys.ts';
import { formatAmount, parseAmount } from '../../web/src/format.ts';
import { machineGraph } from '../../web/src/machine-graph.ts';
import type { PaymentFields } from '../../web/src/nodes.ts';
import { EMPTY_TIMELINE, nextTimeline } from '../../web/src/timeline.ts';

describe('the web page: pure parts', () => {
  it('offers the devnet keys only when the aggregator says devnet AND the chain id is a dev chain', () => {
    expect(devKeysOffered(31337n, true)).toBe(true);
    expect(devKeysOffered(1337n, true)).toBe(true);
    expect(devKeysOffered(1337n, false)).toBe(false);
    expect(devKeysOffered(4217n, true)).toBe(false);
    expect([...DEVNET_KEYS.keys()]).toEqual(DEMO_ACCOUNTS.map((a) => toHex(a.address)));
  });

  it('reads typed amounts exactly and writes them with the asset name', () => {
    expect(parseAmount('10')).toBe(10_000000n);
    expect(parseAmount('0.000001')).toBe(1n);
    expect(parseAmount('1.0000001')).toBeUndefined();
    expect(parseAmount('-1')).toBeUndefined();
    expect(formatAmount(10_500000n, '0x20c0000000000000000000000000000000000001')).toBe('10.5 AlphaUSD');
  });

  it('draws the payment machine from its definition: every state, guarded moves, the final states', () => {
    const graph = machineGraph(paymentMachine);
    expect(graph.states.map((s) => s.key)).toEqual([
      'submitted',
      'certified',
      'qcFormed',
      'queuedOnchain',
      'included',
      'finalized',
      'rejected',
      'expired',
      'failedOnchain',
    ]);
    expect(graph.states.filter((s) => s.final).map((s) => s.key)).toEqual([
      'finalized',
      'rejected',
      'expired',
      'failedOnchain',
    ]);
    const submitted = graph.states[0]!;
    expect(submitted.initial).toBe(true);
    expect(submitted.transitions).toContainEqual({
      event: 'REJECT',
      targets: ['rejected'],
      guard: 'quorumImpossible',
    });
    expect(graph.anyState).toContainEqual({ event: 'FAILED', targets: ['failedOnchain'], guard: 'trusted' });
  });

  it('keeps a payment seen live over the older history loaded after it', () => {
    const payment = (txHash: string, stage: PaymentFields['stage']) =>
      ({ txHash, stage, inclusion: null, stageTimes: [] }) as unknown as PaymentFields;
    const live = payment('0x01', 'INCLUDED');
    const stale = payment('0x01', 'QC_FORMED');
    const older = payment('0x02', 'FINALIZED');
    const state = nextTimeline(nextTimeline(EMPTY_TIMELINE, { type: 'payment', payment: live }), {
      type: 'history',
      payments: [stale, older],
    });
    expect(state.payments).toEqual([live, older]);
  });
});
