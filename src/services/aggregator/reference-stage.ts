import type { ApiStage } from '../../protocol/stage.ts';

/** The stage names the reference's REST clients know (its `TxLifecycleUpdate.Stage` 0-5). */
export type ReferenceStage =
  | 'STAGE_UNSPECIFIED'
  | 'ACCEPTED'
  | 'CERTIFIED'
  | 'QUEUED_ONCHAIN'
  | 'INCLUDED'
  | 'FINALIZED';

const REFERENCE_STAGE: Record<ApiStage, ReferenceStage> = {
  SUBMITTED: 'STAGE_UNSPECIFIED',
  CERTIFIED: 'ACCEPTED',
  QC_FORMED: 'CERTIFIED',
  QUEUED_ONCHAIN: 'QUEUED_ONCHAIN',
  INCLUDED: 'INCLUDED',
  FINALIZED: 'FINALIZED',
  REJECTED: 'STAGE_UNSPECIFIED',
  EXPIRED: 'STAGE_UNSPECIFIED',
  FAILED: 'STAGE_UNSPECIFIED',
};

/**
 * A stage as the reference's backend names it (§9.4): ACCEPTED means some certificates, CERTIFIED a quorum (our
 * CERTIFIED and QC_FORMED); it has no failure stages, so REJECTED, EXPIRED and FAILED read STAGE_UNSPECIFIED, and
 * the answer's `failure` field says what happened.
 */
export function referenceStage(stage: ApiStage): ReferenceStage {
  return REFERENCE_STAGE[stage];
}
