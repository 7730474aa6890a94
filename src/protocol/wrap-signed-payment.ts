import type { DecodedTempoTx } from './tempo/decoded-tempo-tx.ts';
import { type Expiry, type FastPayTx, TempoTxFormat } from './types.ts';

export interface WrapOptions {
  /** qc_hash of the parent this payment spends from. */
  readonly parentQcHash?: Uint8Array;
  readonly clientRequestId?: string;
  /** Required when the signed tx has no validBefore; otherwise unix millis of validBefore. */
  readonly expiry?: Expiry;
}

/**
 * The FastPayTx for a signed payment, with every wrapper field bound to the signed tx as the sidecar requires
 * (prepareSubmission): chain id, nonce key and sequence from the tx, intent and overlay equal to the decoded
 * payment, and an expiry that does not outlive validBefore. The reference's REST path built wrappers with a fresh
 * wall-clock expiry per call, so resubmitting one signed tx changed its tx_hash (§14); this is deterministic.
 */
export function wrapSignedPayment(
  raw: Uint8Array,
  decoded: DecodedTempoTx,
  options: WrapOptions = {},
): FastPayTx | undefined {
  const expiry: Expiry | undefined =
    decoded.validBefore !== undefined
      ? { kind: 'unixMillis', value: decoded.validBefore * 1000n }
      : options.expiry;
  if (!expiry) return undefined;
  const payment = {
    sender: decoded.sender,
    recipient: decoded.recipient,
    amount: decoded.amount,
    asset: decoded.asset,
  };
  return {
    chainId: decoded.chainId,
    tempoTx: raw,
    format: formatOf(decoded.kind),
    intent: payment,
    overlay: { payment },
    nonce: { nonceKey: decoded.nonceKey, seq: decoded.nonce },
    expiry,
    parentQcHash: options.parentQcHash ?? new Uint8Array(),
    clientRequestId: options.clientRequestId ?? '',
  };
}

function formatOf(kind: DecodedTempoTx['kind']): TempoTxFormat {
  if (kind === 'escrow') return TempoTxFormat.ALLEGRO_ESCROW_V1;
  return kind === 'tempo' ? TempoTxFormat.TEMPO_NATIVE_V1 : TempoTxFormat.EVM_OPAQUE_BYTES_V1;
}
