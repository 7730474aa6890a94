import { PaymentSystem } from '../../src/actors/payment-system.ts';
import { DEFAULT_RETRY_POLICY } from '../../src/client/retry-policy.ts';
import type { Committee } from '../../src/protocol/committee.ts';
import { Aggregator } from '../../src/services/aggregator/aggregator.ts';
import { aggregatorMetrics } from '../../src/services/aggregator/aggregator-metrics.ts';
import { Metrics } from '../../src/services/http/metrics.ts';
import { BulletinBoard } from '../../src/services/shared/bulletin-board.ts';
import type { Store } from '../../src/store/store.ts';
import type { Logger } from '../../src/util/logger.ts';
import { suite } from './validator-harness.ts';

/**
 * An in-process aggregator on `store` with no sidecar links and no board mirroring, started: its chain stages come
 * from whatever the test drives (a chain watcher, or `advance`). The caller closes the aggregator, then the registry.
 */
export async function startTestAggregator(options: {
  readonly store: Store;
  readonly committee: Committee;
  readonly logger: Logger;
  readonly headSource: string;
}): Promise<{ aggregator: Aggregator; registry: PaymentSystem }> {
  const registry = await PaymentSystem.open({ store: options.store });
  const aggregator = new Aggregator({
    suite,
    committee: options.committee,
    links: [],
    registry,
    board: new BulletinBoard(),
    policy: DEFAULT_RETRY_POLICY,
    mirror: { intervalMs: 0, pageSize: 100 },
    metrics: aggregatorMetrics(new Metrics(), () => new Map()),
    logger: options.logger,
    headSource: options.headSource,
  });
  await aggregator.start();
  return { aggregator, registry };
}
