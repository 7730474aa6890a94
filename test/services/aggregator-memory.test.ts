import { afterEach, describe, expect, it } from 'vitest';
import { PaymentSystem } from '../../src/actors/payment-system.ts';
import { DEFAULT_RETRY_POLICY } from '../../src/client/retry-policy.ts';
import { toHex } from '../../src/protocol/bytes.ts';
import { Aggregator } from '../../src/services/aggregator/aggregator.ts';
import { aggregatorMetrics } from '../../src/services/aggregator/aggregator-metrics.ts';
import { Metrics } from '../../src/services/http/metrics.ts';
import { BulletinBoard } from '../../src/services/shared/bulletin-board.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { createLogger } from '../../src/util/logger.ts';
import { boardCert, txHashOf } from '../support/board-certs.ts';
import { DAVE, EDGAR } from '../support/demo-keys.ts';
import { committeeOf, suite } from '../support/validator-harness.ts';

const committee = committeeOf([DAVE, EDGAR]);
let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
});

/** An aggregator that keeps no finished payment in memory: no finished views, no recent records, one QC's board. */
async function forgetfulAggregator() {
  const store = new MemoryStore();
  const registry = await PaymentSystem.open({ store, maxFinished: 0 });
  const aggregator = new Aggregator({
    suite,
    committee,
    links: [],
    registry,
    board: new BulletinBoard({ maxTotalCerts: 2 }),
    policy: DEFAULT_RETRY_POLICY,
    mirror: { intervalMs: 0, pageSize: 100 },
    metrics: aggregatorMetrics(new Metrics(), () => new Map()),
    logger: createLogger('aggregator-memory-test', 'silent'),
    headSource: 'the test',
  });
  await aggregator.start();
  closers.push(
    () => registry.close(),
    () => aggregator.close(),
  );
  return aggregator;
}

/** Payment `n` of board-certs: both validators' certificates (its QC), then INCLUDED and FINALIZED. */
async function finish(aggregator: Aggregator, n: number) {
  await aggregator.ingest(boardCert(DAVE, n));
  await aggregator.ingest(boardCert(EDGAR, n));
  const key = toHex(txHashOf(n));
  await aggregator.advance(key, { type: 'INCLUDED', at: 5000, blockNumber: '7', blockHash: '0x07' });
  await aggregator.advance(key, { type: 'FINALIZED', at: 6000, blockNumber: '7' });
}

describe('the aggregator keeps finished payments in the store, not in memory', () => {
  it('a finished payment leaves memory and its status, QC, certificates and page entry are read back from the store', async () => {
    const aggregator = await forgetfulAggregator();
    await finish(aggregator, 1);
    await finish(aggregator, 2);
    const key = toHex(txHashOf(1));

    expect(aggregator.openPayments()).toEqual([]);
    expect(aggregator.payment(key)).toBeUndefined();
    expect(aggregator.certificates(key)).toEqual([]);

    const payment = await aggregator.lookup(key);
    expect(payment?.stage).toBe('FINALIZED');
    expect(payment?.certificates).toHaveLength(2);
    const qc = await aggregator.storedQuorumCertificate(key);
    expect(qc && toHex(qc.qcHash)).toBe(payment?.qcHash);
    const certs = await aggregator.storedCertificates(key);
    expect(certs.map((c) => toHex(c.signature)).sort()).toEqual(
      [boardCert(DAVE, 1), boardCert(EDGAR, 1)].map((c) => toHex(c.signature)).sort(),
    );
    const page = await aggregator.payments({ first: 10 });
    expect(page.items.map((p) => [p.txHash, p.stage])).toEqual(
      expect.arrayContaining([
        [key, 'FINALIZED'],
        [toHex(txHashOf(2)), 'FINALIZED'],
      ]),
    );
  });
});
