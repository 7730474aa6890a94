import type { RlpItem } from './rlp-reader.ts';

/** Tempo tx type byte (`TEMPO_TX_TYPE_ID`). */
export const TEMPO_TX_TYPE = 0x76;
/** Prefix of the fee payer's signing payload (ox `TxEnvelopeTempo.feePayerMagic`). */
const FEE_PAYER_MAGIC = 0x78;
/** Fee token omitted (`0x80`) and the fee payer placeholder (`0x00`): what a sponsored sender signs. */
const SPONSORED_SENDER_SLOTS = Uint8Array.of(0x80, 0x00);
const ADDRESS_HEADER = Uint8Array.of(0x80 + 20);

/**
 * What the sender of a 0x76 tx signs (ox `TxEnvelopeTempo.encodeForSigning`, Tempo `signature_hash`):
 * `0x76 ‖ rlp(13 unsigned fields)`. `items` are the canonical items of the signed tx `bytes`, so the fields are
 * copied as one byte range under a fresh list header, never re-encoded. A sponsored sender signs the fee token as
 * empty and the fee payer slot as the `0x00` placeholder (the fee payer picks the token).
 */
export function tempoSenderSignPayload(
  bytes: Uint8Array,
  items: readonly RlpItem[],
  sponsored: boolean,
): Uint8Array {
  if (!sponsored) return prefixedList(TEMPO_TX_TYPE, [span(bytes, items, 0, 12)]);
  return prefixedList(TEMPO_TX_TYPE, [
    span(bytes, items, 0, 9),
    SPONSORED_SENDER_SLOTS,
    span(bytes, items, 12, 12),
  ]);
}

/**
 * What the fee payer of a sponsored 0x76 tx signs (ox `TxEnvelopeTempo.getFeePayerSignPayload` before hashing):
 * `0x78 ‖ rlp(fields with the sender's address in the fee payer slot)`.
 */
export function tempoFeePayerSignPayload(
  bytes: Uint8Array,
  items: readonly RlpItem[],
  sender: Uint8Array,
): Uint8Array {
  return prefixedList(FEE_PAYER_MAGIC, [
    span(bytes, items, 0, 10),
    ADDRESS_HEADER,
    sender,
    span(bytes, items, 12, 12),
  ]);
}

/** The encoded items `from`..`to` (inclusive), one contiguous view. */
function span(bytes: Uint8Array, items: readonly RlpItem[], from: number, to: number): Uint8Array {
  return bytes.subarray(items[from]!.start, items[to]!.end);
}

/** `type ‖ rlp list header ‖ parts`, where the parts are already-encoded items. */
function prefixedList(type: number, parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  let lengthBytes = 0;
  if (length > 55) for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) lengthBytes++;
  const out = new Uint8Array(2 + lengthBytes + length);
  out[0] = type;
  if (lengthBytes === 0) {
    out[1] = 0xc0 + length;
  } else {
    out[1] = 0xf7 + lengthBytes;
    for (let i = lengthBytes, rest = length; i > 0; i--, rest = Math.floor(rest / 256))
      out[1 + i] = rest & 0xff;
  }
  let offset = 2 + lengthBytes;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
