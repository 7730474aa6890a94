import type { LedgerSizes } from '../../protocol/ledger/ledger.ts';
import { rejectCodeName } from '../../protocol/reject.ts';
import type { Histogram, Metrics } from '../http/metrics.ts';
import type { BulletinBoard } from '../shared/bulletin-board.ts';
import type { LifecycleHub } from './lifecycle-hub.ts';
import type { SubmitOutcome } from './validator-core.ts';

/** The sidecar's timings, observed in seconds where the validator core decides and persists. */
export interface SidecarTimings {
  /** The synchronous decision (validate, sign, reserve) of one submission. */
  readonly decision: Histogram;
  /** The durable write of a reservation before its certificate is released. */
  readonly durableWrite: Histogram;
}

/** Records a submission's outcome; `timings` are the histograms of its steps. */
export type SubmissionRecorder = ((outcome: SubmitOutcome) => void) & { readonly timings: SidecarTimings };

const DECISION_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1];
const WRITE_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** What the sidecar's gauges read at scrape time. */
export interface MetricSources {
  readonly board: BulletinBoard;
  readonly head: () => { readonly height: bigint };
  readonly ledger: { sizes(): LedgerSizes };
  readonly lifecycle: LifecycleHub;
  /** Valid Ed25519 signatures remembered, so a certificate met again is not verified twice. */
  readonly verifiedSignatures: { readonly size: number; readonly capacity: number };
  /** Payments in settlement, when the sidecar follows a chain. */
  readonly settlement?: { readonly size: number; readonly capacity: number };
}

/**
 * A sidecar's Prometheus series on `metrics`: submissions by outcome, rejects by code, decision and durable-write
 * times, and at scrape time the head height B and how full every in-memory structure is
 * (`allegro_sidecar_memory_entries` / `_capacity` by structure; live locks and credits have no capacity: they
 * leave at their deadline or when their lane nonce passes, and the pending quotas bound them per sender).
 */
export function sidecarMetrics(metrics: Metrics, sources: MetricSources): SubmissionRecorder {
  const submissions = metrics.counter('allegro_sidecar_submissions_total', 'Submissions by outcome');
  const rejects = metrics.counter('allegro_sidecar_rejects_total', 'Refused submissions by reject code');
  metrics.gauge('allegro_sidecar_head_height', 'Height of block B, the head the ledger is at', () => [
    { value: Number(sources.head().height) },
  ]);
  metrics.gauge('allegro_sidecar_board_certificates', 'Certificates on the bulletin board', () => [
    { value: sources.board.size },
  ]);
  const bounded = () => {
    const l = sources.ledger.sizes();
    return [
      ['request_cache', l.requestCache],
      ['settled_certs', l.settledCerts],
      ['known_qcs', l.knownQcs],
      ['cooling_senders', l.coolingSenders],
      ['lifecycle_history', sources.lifecycle.payments],
      ['bulletin_board', { size: sources.board.size, capacity: sources.board.maxTotalCerts }],
      ['verified_signatures', sources.verifiedSignatures],
      ...(sources.settlement ? [['settlement_queue', sources.settlement] as const] : []),
    ] as const;
  };
  metrics.gauge('allegro_sidecar_memory_entries', 'Entries held in memory, by structure', () => {
    const l = sources.ledger.sizes();
    return [
      ...bounded().map(([structure, s]) => ({ labels: { structure }, value: s.size })),
      { labels: { structure: 'live_locks' }, value: l.liveLocks },
      { labels: { structure: 'live_credits' }, value: l.liveCredits },
      { labels: { structure: 'lifecycle_subscribers' }, value: sources.lifecycle.subscribers },
    ];
  });
  metrics.gauge('allegro_sidecar_memory_capacity', 'Most entries a bounded in-memory structure holds', () =>
    bounded().map(([structure, s]) => ({ labels: { structure }, value: s.capacity })),
  );
  const timings: SidecarTimings = {
    decision: metrics.histogram(
      'allegro_sidecar_decision_seconds',
      'Seconds of one submission decision (validate, sign, reserve)',
      DECISION_BUCKETS,
    ),
    durableWrite: metrics.histogram(
      'allegro_sidecar_durable_write_seconds',
      'Seconds of the durable write before a certificate is released',
      WRITE_BUCKETS,
    ),
  };
  const record = (outcome: SubmitOutcome) => {
    if ('cert' in outcome) {
      submissions.inc({ outcome: 'certified' });
    } else {
      submissions.inc({ outcome: 'rejected' });
      rejects.inc({ code: rejectCodeName(outcome.reject.code) });
    }
  };
  return Object.assign(record, { timings });
}
