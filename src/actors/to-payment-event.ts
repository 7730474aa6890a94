import { toHex } from '../protocol/bytes.ts';
import { type LifecycleUpdate, WireStage } from '../protocol/stage.ts';
import type { PaymentEvent } from './payment-events.ts';

/**
 * The payment event of a stage a sidecar reported on its SubmitFastPayStream, at local time `at`. Only the
 * settlement stages map: acceptance and certificates come from the payer client (verified), and a sidecar's own
 * refusal is a reject, not a lifecycle stage.
 */
export function lifecycleToPaymentEvent(update: LifecycleUpdate, at: number): PaymentEvent | undefined {
  const height = update.blockHeight.toString();
  switch (update.stage) {
    case WireStage.QUEUED_ONCHAIN:
      return { type: 'QUEUED_ONCHAIN', at, blockHeight: height };
    case WireStage.INCLUDED:
      return {
        type: 'INCLUDED',
        at,
        blockNumber: height,
        blockHash: toHex(update.blockHash ?? new Uint8Array()),
      };
    case WireStage.FINALIZED:
      return { type: 'FINALIZED', at, blockNumber: height };
    case WireStage.FAILED:
      return { type: 'FAILED', at, message: update.message ?? `failed on chain at block ${height}` };
    case WireStage.EXPIRED:
      return { type: 'EXPIRED', at };
    default:
      return undefined;
  }
}
