/**
 * Payment messages ↔ domain types (reference §2.1). Pure field mapping: lengths and values are checked by
 * src/protocol, never here, and no input makes these functions throw.
 */
import { create } from '@bufbuild/protobuf';
import {
  type Address,
  AddressSchema,
  type AssetId,
  AssetIdSchema,
  type Expiry as ExpiryMessage,
  ExpirySchema,
  type FastPayTx as FastPayTxMessage,
  FastPayTxSchema,
  type Nonce2D as Nonce2DMessage,
  Nonce2DSchema,
  type PaymentIntent as PaymentIntentMessage,
  PaymentIntentSchema,
} from '../../gen/tempo/fastpay/v1/types_pb.js';
import type { Expiry, FastPayTx, Nonce2D, PaymentIntent } from '../protocol/types.ts';

/** Wraps raw address bytes in an `Address`; absent stays absent. */
export function addressToProto(data: Uint8Array | undefined): Address | undefined {
  return data === undefined ? undefined : create(AddressSchema, { data });
}

/** Wraps raw token address bytes in an `AssetId`; absent stays absent. */
export function assetIdToProto(data: Uint8Array | undefined): AssetId | undefined {
  return data === undefined ? undefined : create(AssetIdSchema, { data });
}

export function nonce2DToProto(nonce: Nonce2D): Nonce2DMessage {
  return create(Nonce2DSchema, { nonceKeyBe: nonce.nonceKey, nonceSeq: nonce.seq });
}

export function nonce2DFromProto(message: Nonce2DMessage): Nonce2D {
  return { nonceKey: message.nonceKeyBe, seq: message.nonceSeq };
}

/** `null` (an expiry message with no bound set) becomes an empty `Expiry` message. */
export function expiryToProto(expiry: Expiry | null): ExpiryMessage {
  return create(ExpirySchema, {
    kind: expiry === null ? { case: undefined } : { case: expiry.kind, value: expiry.value },
  });
}

/** An `Expiry` message with no bound set becomes `null`. */
export function expiryFromProto(message: ExpiryMessage): Expiry | null {
  const { kind } = message;
  return kind.case === undefined ? null : { kind: kind.case, value: kind.value };
}

export function paymentIntentToProto(intent: PaymentIntent): PaymentIntentMessage {
  return create(PaymentIntentSchema, {
    sender: addressToProto(intent.sender),
    recipient: addressToProto(intent.recipient),
    amount: intent.amount,
    asset: assetIdToProto(intent.asset),
  });
}

export function paymentIntentFromProto(message: PaymentIntentMessage): PaymentIntent {
  return {
    sender: message.sender?.data,
    recipient: message.recipient?.data,
    amount: message.amount,
    asset: message.asset?.data,
  };
}

export function fastPayTxToProto(tx: FastPayTx): FastPayTxMessage {
  return create(FastPayTxSchema, {
    chainId: tx.chainId === undefined ? undefined : { value: tx.chainId },
    tempoTx: tx.tempoTx === undefined ? undefined : { data: tx.tempoTx },
    intent: tx.intent && paymentIntentToProto(tx.intent),
    nonce: tx.nonce && nonce2DToProto(tx.nonce),
    expiry: tx.expiry === undefined ? undefined : expiryToProto(tx.expiry),
    parentQcHash: tx.parentQcHash,
    clientRequestId: tx.clientRequestId,
    tempoTxFormat: tx.format,
    overlay: tx.overlay && { payment: tx.overlay.payment && paymentIntentToProto(tx.overlay.payment) },
  });
}

/** Unknown `tempo_tx_format` numbers are kept, so the protocol can reject them. */
export function fastPayTxFromProto(message: FastPayTxMessage): FastPayTx {
  return {
    chainId: message.chainId?.value,
    tempoTx: message.tempoTx?.data,
    intent: message.intent && paymentIntentFromProto(message.intent),
    nonce: message.nonce && nonce2DFromProto(message.nonce),
    expiry: message.expiry && expiryFromProto(message.expiry),
    parentQcHash: message.parentQcHash,
    clientRequestId: message.clientRequestId,
    format: message.tempoTxFormat,
    overlay: message.overlay && {
      payment: message.overlay.payment && paymentIntentFromProto(message.overlay.payment),
    },
  };
}
