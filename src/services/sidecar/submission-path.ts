import { toHex } from '../../protocol/bytes.ts';
import type { LockRecord } from '../../protocol/ledger/ledger.ts';
import { type Reject, RejectCode } from '../../protocol/reject.ts';
import { WireStage } from '../../protocol/stage.ts';
import type { SubmitRequest } from '../../protocol/types.ts';
import type { Logger } from '../../util/logger.ts';
import type { BulletinBoard } from '../shared/bulletin-board.ts';
import type { LifecycleHub } from './lifecycle-hub.ts';
import type { SubmitOutcome, ValidatorCore } from './validator-core.ts';

export interface SubmissionPathDeps {
  readonly core: Pick<ValidatorCore, 'submit'>;
  /** Admission before deciding (settlement queue room): a reject means nothing is decided or signed. */
  readonly admit: () => Reject | undefined;
  /** Hands a freshly certified payment to settlement. */
  readonly settle: (record: LockRecord) => void;
  readonly board: BulletinBoard;
  readonly lifecycle: LifecycleHub;
  /** Height of B, stamped on the ACCEPTED and CERTIFIED stages. */
  readonly height: () => bigint;
  /** The sidecar's metrics of each answer. */
  readonly recordOutcome: (outcome: SubmitOutcome) => void;
  readonly logger: Logger;
}

/**
 * The sidecar's submit path (ARCHITECTURE.md steps 3-4 and the start of 6): admission first, then the validator's
 * decision (ValidatorCore.submit: decide, sign, reserve, persist, release); a certificate goes on the bulletin
 * board, ACCEPTED and CERTIFIED on the payment's lifecycle stream, and a fresh one to settlement.
 */
export function submissionPath(deps: SubmissionPathDeps): (request: SubmitRequest) => Promise<SubmitOutcome> {
  const { core, admit, settle, board, lifecycle, height, recordOutcome, logger } = deps;
  return async (request) => {
    const full = admit();
    const outcome: SubmitOutcome = full ? { reject: full } : await core.submit(request);
    if ('cert' in outcome && outcome.fresh) settle(outcome.fresh.record);
    recordOutcome(outcome);
    if ('cert' in outcome) {
      board.add(outcome.cert);
      const at = {
        txHash: outcome.cert.txHash,
        unixMillis: outcome.cert.createdUnixMillis,
        blockHeight: height(),
      };
      lifecycle.publish({ ...at, stage: WireStage.ACCEPTED });
      lifecycle.publish({ ...at, stage: WireStage.CERTIFIED });
      if (outcome.fresh) logger.debug({ txHash: toHex(outcome.cert.txHash) }, 'certified');
    } else if (!full && outcome.reject.code === RejectCode.TEMPORARY_UNAVAILABLE) {
      logger.warn({ reason: outcome.reject.message }, 'cannot sign now');
    } else {
      logger.debug({ code: outcome.reject.code, reason: outcome.reject.message }, 'rejected');
    }
    return outcome;
  };
}
