import { toHex } from '../protocol/bytes.ts';
import { type LifecycleUpdate, WireStage } from '../protocol/stage.ts';
import type { PaymentEvent, StageReport } from './payment-events.ts';

/**
 * The payment event of a stage the validator `validatorId` (0x-hex) reported on its SubmitFastPayStream, at local
 * time `at`. Only the settlement stages map, each as that validator's vote (a StageReport: it moves the payment
 * once f+1 validators report the same stage at the same block); acceptance and certificates come from the payer
 * client (verified), and a sidecar's own refusal is a reject, not a lifecycle stage.
 */
export function lifecycleToPaymentEvent(
  update: LifecycleUpdate,
  at: number,
  validatorId: string,
): PaymentEvent | undefined {
  const height = update.blockHeight.toString();
  const report: StageReport = {
    validatorId,
    blockNumber: height,
    blockHash: toHex(update.blockHash ?? new Uint8Array()),
  };
  switch (update.stage) {
    case WireStage.QUEUED_ONCHAIN:
      return { type: 'QUEUED_ONCHAIN', at, blockHeight: height, report };
    case WireStage.INCLUDED:
      return { type: 'INCLUDED', at, blockNumber: height, blockHash: report.blockHash, report };
    case WireStage.FINALIZED:
      return { type: 'FINALIZED', at, blockNumber: height, report };
    case WireStage.FAILED:
      return { type: 'FAILED', at, message: update.message ?? `failed on chain at block ${height}`, report };
    case WireStage.EXPIRED:
      return { type: 'EXPIRED', at, report };
    default:
      return undefined;
  }
}
