import type { ApiStage } from '../../protocol/stage.ts';
import type { Counter, Histogram, Metrics } from '../http/metrics.ts';

/** The aggregator's Prometheus series. */
export interface AggregatorMetrics {
  /** Requests by API (graphql, rest, grpc) and operation. */
  readonly requests: Counter;
  /** Refusals by reject code: the aggregator's own pre-checks and validators' final rejects. */
  readonly rejects: Counter;
  /** Seconds from submission to QC, for payments submitted through this aggregator. */
  readonly qcLatency: Histogram;
  /** Certificates that failed verification against the committee, by validator. */
  readonly forgedCertificates: Counter;
}

const QC_LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Registers the aggregator's series on `metrics`; `stageCounts` is read at scrape time. */
export function aggregatorMetrics(
  metrics: Metrics,
  stageCounts: () => ReadonlyMap<ApiStage, number>,
): AggregatorMetrics {
  const registered: AggregatorMetrics = {
    requests: metrics.counter('allegro_aggregator_requests_total', 'API requests by api and operation'),
    rejects: metrics.counter('allegro_aggregator_rejects_total', 'Payment refusals by reject code'),
    qcLatency: metrics.histogram(
      'allegro_aggregator_qc_latency_seconds',
      'Seconds from submission to quorum certificate',
      QC_LATENCY_BUCKETS,
    ),
    forgedCertificates: metrics.counter(
      'allegro_aggregator_forged_certificates_total',
      'Certificates that failed verification against the committee',
    ),
  };
  metrics.gauge('allegro_aggregator_payments', 'Payments tracked, by stage', () =>
    [...stageCounts()].map(([stage, value]) => ({ labels: { stage }, value })),
  );
  return registered;
}
