import { bytesEqual } from '../../protocol/bytes.ts';
import type { CryptoSuite } from '../../protocol/crypto/suite.ts';
import { type Reject, RejectCode, reject } from '../../protocol/reject.ts';
import { decodeTempoTx, MAX_TEMPO_TX_BYTES } from '../../protocol/tempo/decode-tempo-tx.ts';
import { type SubmitRequest, TempoTxFormat } from '../../protocol/types.ts';
import { wrapSignedPayment } from '../../protocol/wrap-signed-payment.ts';

/** A signed Tempo tx and the optional wrapper fields a caller may state (GraphQL submitPayment, REST submit-raw-tx). */
export interface SignedPaymentInput {
  readonly signedTx: Uint8Array;
  /** When given, must equal the signed tx's nonce key. */
  readonly nonceKey?: Uint8Array;
  /** When given, must equal the signed tx's nonce. */
  readonly sequence?: bigint;
  /** Required when the signed tx has no validBefore (unless `defaultExpiryUnixMillis`); never later than it. */
  readonly expiryUnixMillis?: bigint;
  /** The expiry of a signed tx with no validBefore when the caller stated none (the reference's REST clients). */
  readonly defaultExpiryUnixMillis?: bigint;
  readonly parentQcHash?: Uint8Array;
  readonly clientRequestId?: string;
}

/** Longest client request id accepted. */
export const MAX_CLIENT_REQUEST_ID = 128;

/** The reference's REST expiry window for a signed tx with no validBefore: 10 minutes (§9.4). */
export const DEFAULT_EXPIRY_WINDOW_MS = 10n * 60n * 1000n;

/**
 * The default expiry for a tx without validBefore submitted at `nowMs`: the window from now, rounded up to a whole
 * minute, so the same signed tx resubmitted within that minute gets the same tx_hash (the reference's fresh
 * wall-clock expiry gave it a new one per call, §14).
 */
export function defaultExpiry(nowMs: bigint): bigint {
  const minute = 60_000n;
  return ((nowMs + DEFAULT_EXPIRY_WINDOW_MS + minute - 1n) / minute) * minute;
}

/**
 * The SubmitRequest for a signed payment (fixes reference §9.4 step 3: the wrapper is bound to the signed tx, so
 * resubmitting one tx gives one tx_hash): 0x76 bytes are TEMPO_NATIVE_V1, anything else EVM_OPAQUE_BYTES_V1; the
 * stated nonce key and sequence must be the tx's; the expiry is the stated one or the tx's validBefore. The parent
 * QC itself is attached by the aggregator when it knows it. A tx without validBefore takes the stated expiry, else
 * `defaultExpiryUnixMillis`. The server never needs the payer's key.
 */
export function signedPaymentRequest(
  suite: CryptoSuite,
  input: SignedPaymentInput,
): { ok: true; request: SubmitRequest } | { ok: false; reject: Reject } {
  const invalid = (message: string) => ({
    ok: false as const,
    reject: reject(RejectCode.INVALID_FORMAT, message),
  });
  const raw = input.signedTx;
  if (raw.length > MAX_TEMPO_TX_BYTES) return invalid(`signed tx exceeds ${MAX_TEMPO_TX_BYTES} bytes`);
  if ((input.clientRequestId?.length ?? 0) > MAX_CLIENT_REQUEST_ID) {
    return invalid(`client request id exceeds ${MAX_CLIENT_REQUEST_ID} characters`);
  }
  if (input.parentQcHash && input.parentQcHash.length !== 32)
    return invalid('parent QC hash must be 32 bytes');
  const format = raw[0] === 0x76 ? TempoTxFormat.TEMPO_NATIVE_V1 : TempoTxFormat.EVM_OPAQUE_BYTES_V1;
  const decoded = decodeTempoTx(suite, format, raw);
  if (!decoded.ok) return decoded;
  const { tx } = decoded;
  if (input.nonceKey && !bytesEqual(input.nonceKey, tx.nonceKey)) {
    return invalid('nonce key does not match the signed tx');
  }
  if (input.sequence !== undefined && input.sequence !== tx.nonce) {
    return invalid(`sequence ${input.sequence} does not match the signed tx nonce ${tx.nonce}`);
  }
  const stated =
    input.expiryUnixMillis ?? (tx.validBefore === undefined ? input.defaultExpiryUnixMillis : undefined);
  const expiry = stated === undefined ? undefined : { kind: 'unixMillis' as const, value: stated };
  const wrapped = wrapSignedPayment(raw, tx, {
    ...(input.parentQcHash ? { parentQcHash: input.parentQcHash } : {}),
    ...(input.clientRequestId ? { clientRequestId: input.clientRequestId } : {}),
    ...(expiry ? { expiry } : {}),
  });
  if (!wrapped) return invalid('the signed tx has no validBefore: state an expiry');
  return { ok: true, request: { tx: expiry ? { ...wrapped, expiry } : wrapped, parentQcs: [] } };
}
