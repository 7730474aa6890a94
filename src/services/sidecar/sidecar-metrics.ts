import { rejectCodeName } from '../../protocol/reject.ts';
import type { Histogram, Metrics } from '../http/metrics.ts';
import type { BulletinBoard } from './bulletin-board.ts';
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

/**
 * A sidecar's Prometheus series on `metrics`: submissions by outcome, rejects by code, and at scrape time the
 * head height B and the bulletin board size.
 */
export function sidecarMetrics(
  metrics: Metrics,
  sources: { readonly board: BulletinBoard; readonly head: () => { readonly height: bigint } },
): SubmissionRecorder {
  const submissions = metrics.counter('allegro_sidecar_submissions_total', 'Submissions by outcome');
  const rejects = metrics.counter('allegro_sidecar_rejects_total', 'Refused submissions by reject code');
  metrics.gauge('allegro_sidecar_head_height', 'Height of block B, the head the ledger is at', () => [
    { value: Number(sources.head().height) },
  ]);
  metrics.gauge('allegro_sidecar_board_certificates', 'Certificates on the bulletin board', () => [
    { value: sources.board.size },
  ]);
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
