import type { ApiStage } from '../../protocol/stage.ts';
import type { Counter, Histogram, Metrics } from '../http/metrics.ts';
import type { AggregatorEvent } from './aggregator.ts';
import type { PaymentNode } from './api-nodes.ts';

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
  /** Seconds from submission (or first sight) to QC, for every payment whose QC this aggregator saw form. */
  readonly submitToQc: Histogram;
  /** Seconds from QC to inclusion in a block. */
  readonly qcToInclusion: Histogram;
}

const QC_LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const INCLUSION_BUCKETS = [0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120];

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
    submitToQc: metrics.histogram(
      'allegro_aggregator_submit_to_qc_seconds',
      'Seconds from submission (or first sight) to quorum certificate, every payment',
      QC_LATENCY_BUCKETS,
    ),
    qcToInclusion: metrics.histogram(
      'allegro_aggregator_qc_to_inclusion_seconds',
      'Seconds from quorum certificate to inclusion in a block',
      INCLUSION_BUCKETS,
    ),
  };
  metrics.gauge('allegro_aggregator_payments', 'Payments tracked, by stage', () =>
    [...stageCounts()].map(([stage, value]) => ({ labels: { stage }, value })),
  );
  return registered;
}

/**
 * Feeds the stage histograms from the aggregator's events: submit-to-QC when a QC forms, QC-to-inclusion when a
 * payment reaches INCLUDED, both from the payment's own stage times.
 */
export function observeStageTimes(metrics: AggregatorMetrics) {
  const at = (payment: PaymentNode, stage: ApiStage) => {
    const time = payment.stageTimes.find((t) => t.stage === stage)?.at;
    return time === undefined ? undefined : Number(time);
  };
  const observe = (histogram: Histogram, from: number | undefined, to: number | undefined) => {
    if (from !== undefined && to !== undefined && to >= from) histogram.observe((to - from) / 1000);
  };
  return (event: AggregatorEvent): void => {
    if (event.type === 'qcFormed') {
      observe(metrics.submitToQc, at(event.payment, 'SUBMITTED'), at(event.payment, 'QC_FORMED'));
    } else if (
      event.type === 'paymentUpdated' &&
      reachedInclusion(event.payment.stage, event.previousStage)
    ) {
      observe(metrics.qcToInclusion, at(event.payment, 'QC_FORMED'), at(event.payment, 'INCLUDED'));
    }
  };
}

/** True on the update that took a payment into INCLUDED (or straight past it to FINALIZED). */
function reachedInclusion(stage: ApiStage, previous: ApiStage | null): boolean {
  return stage === 'INCLUDED' || (stage === 'FINALIZED' && previous !== 'INCLUDED');
}
