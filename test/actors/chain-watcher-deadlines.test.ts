import { describe, expect, it } from 'vitest';
import { ChainWatcher } from '../../src/actors/chain-watcher.ts';
import type { FollowedPayment, FollowedPayments } from '../../src/actors/followed-payments.ts';
import type { PaymentContext } from '../../src/actors/payment.machine.ts';
import type { PaymentEvent } from '../../src/actors/payment-events.ts';
import type { ChainHead } from '../../src/chain/chain-port.ts';
import { repeatByte } from '../../src/protocol/bytes.ts';
import type { ApiStage } from '../../src/protocol/stage.ts';
import { eventually } from '../support/eventually.ts';

/** An open payment as the aggregator follows one it learned from boards only: no deadline known. */
function followed(n: number, stage: ApiStage, fields: Partial<FollowedPayment> = {}): FollowedPayment {
  const txHash = `0x${n.toString(16).padStart(64, '0')}`;
  // A sidecar's word for when it certified: here a lie, the epoch.
  const context = { txHash, stageTimes: { SUBMITTED: 0 } } as unknown as PaymentContext;
  return { key: txHash, view: { txHash, stage, context, updatedAt: 0 }, ...fields };
}

function watch(open: Map<string, FollowedPayment>, now: () => number) {
  const events: [string, PaymentEvent][] = [];
  let height = 1n;
  let listener: ((head: ChainHead) => void) | undefined;
  const head = (): ChainHead => ({ height, hash: repeatByte(Number(height), 32), timestampMs: 0n });
  const payments: FollowedPayments = {
    setHead() {},
    openPayments: () => open.values(),
    openPayment: (key) => open.get(key),
    async advance(key, event) {
      events.push([key, event]);
      open.delete(key);
    },
  };
  const watcher = new ChainWatcher({
    payments,
    heads: {
      head: async () => head(),
      watchHeads(onHead) {
        listener = onHead;
        return () => {
          listener = undefined;
        };
      },
    },
    finalityDepth: 2,
    now,
    maxExpiryMs: 60_000,
    onError: () => {},
  });
  const nextHead = () => {
    height++;
    listener?.(head());
  };
  return { watcher, events, nextHead };
}

describe('chain watcher: payments whose deadline it does not know', () => {
  it('expires a board-only payment without a QC once --max-expiry-ms (+2 s) passed since it first saw it, by its own clock, never by a certificate time', async () => {
    let clock = 1_000_000;
    const open = new Map(
      [
        followed(1, 'CERTIFIED'),
        followed(2, 'SUBMITTED'),
        followed(3, 'QC_FORMED'),
        // Its wrapper deadline is known (chain time): the bound does not apply.
        followed(4, 'CERTIFIED', { expiresAtMs: 10n ** 15n }),
      ].map((p) => [p.key, p]),
    );
    const { watcher, events, nextHead } = watch(open, () => clock);
    await watcher.start();
    await eventually(() => expect(open.size).toBe(4));
    expect(events).toEqual([]);

    clock += 61_999;
    nextHead();
    // stop() waits for the sweep this head started.
    await watcher.stop();
    expect(events).toEqual([]);

    const second = watch(open, () => clock);
    // A restarted watcher has not seen them before: its bound starts again, later, never earlier.
    await second.watcher.start();
    clock += 62_000;
    second.nextHead();
    await eventually(() => expect(second.events.map(([key]) => key).sort()).toEqual([...keys(1, 2)]));
    expect(second.events.every(([, e]) => e.type === 'EXPIRED')).toBe(true);
    expect([...open.keys()]).toEqual([...keys(3, 4)]);
    await second.watcher.stop();
  });
});

function keys(...ns: number[]): string[] {
  return ns.map((n) => `0x${n.toString(16).padStart(64, '0')}`);
}
