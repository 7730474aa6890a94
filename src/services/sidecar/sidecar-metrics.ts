import { rejectCodeName } from '../../protocol/reject.ts';
import type { Metrics } from '../http/metrics.ts';
import type { BulletinBoard } from './bulletin-board.ts';
import type { SubmitOutcome } from './validator-core.ts';

/** Records a submission's outcome. */
export type SubmissionRecorder = (outcome: SubmitOutcome) => void;

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
  return (outcome) => {
    if ('cert' in outcome) {
      submissions.inc({ outcome: 'certified' });
    } else {
      submissions.inc({ outcome: 'rejected' });
      rejects.inc({ code: rejectCodeName(outcome.reject.code) });
    }
  };
}
