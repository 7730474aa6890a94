import { concatBytes } from '../bytes.ts';
import type { EscrowPayment } from './escrow-payment.ts';

/**
 * What `tempo_tx` carries for `ALLEGRO_ESCROW_V1`: a payment out of one escrow on one chain and the payer's
 * 65-byte signature over its payment id. Everything `settle` needs from the payer, nothing else.
 */
export interface EscrowPaymentTx {
  readonly chainId: bigint;
  /** 20-byte address of the AllegroEscrow contract. */
  readonly escrow: Uint8Array;
  readonly payment: EscrowPayment;
  /** 65-byte r ‖ s ‖ v (v = 27/28) over escrowPaymentDigest. */
  readonly payerSignature: Uint8Array;
}

/**
 * The canonical bytes of an escrow payment: one RLP list `[chainId, escrow, payer, recipient, token, amount, lane,
 * seq, deadline, parent, payerSignature]`, integers minimal big-endian, addresses 20 bytes, lane and parent 32
 * bytes, the signature 65 bytes. `decodeEscrowPayment` accepts exactly these bytes and no other encoding.
 */
export function encodeEscrowPaymentTx(tx: EscrowPaymentTx): Uint8Array {
  const { payment: p } = tx;
  return rlpList([
    rlpString(minimalUint(tx.chainId)),
    rlpString(tx.escrow),
    rlpString(p.payer),
    rlpString(p.recipient),
    rlpString(p.token),
    rlpString(minimalUint(p.amount)),
    rlpString(p.lane),
    rlpString(minimalUint(p.seq)),
    rlpString(minimalUint(p.deadline)),
    rlpString(p.parent),
    rlpString(tx.payerSignature),
  ]);
}

function minimalUint(value: bigint): Uint8Array {
  const bytes: number[] = [];
  for (let v = value; v > 0n; v >>= 8n) bytes.unshift(Number(v & 0xffn));
  return Uint8Array.from(bytes);
}

function rlpHeader(offset: number, length: number): Uint8Array {
  if (length < 56) return Uint8Array.of(offset + length);
  const len = minimalUint(BigInt(length));
  return concatBytes(Uint8Array.of(offset + 55 + len.length), len);
}

function rlpString(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 1 && bytes[0]! < 0x80) return bytes;
  return concatBytes(rlpHeader(0x80, bytes.length), bytes);
}

function rlpList(items: readonly Uint8Array[]): Uint8Array {
  const payload = concatBytes(...items);
  return concatBytes(rlpHeader(0xc0, payload.length), payload);
}
