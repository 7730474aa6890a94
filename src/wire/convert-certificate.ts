/**
 * Certificate messages ↔ domain types (reference §2.1, §4, §5). Pure field mapping: lengths, signatures
 * and thresholds are checked by src/protocol, never here, and no input makes these functions throw.
 */
import { create } from '@bufbuild/protobuf';
import {
  type EffectsSummary as EffectsSummaryMessage,
  EffectsSummarySchema,
  type QuorumCertificate as QuorumCertificateMessage,
  QuorumCertificateSchema,
  type ValidatorCertificate as ValidatorCertificateMessage,
  ValidatorCertificateSchema,
  type ValidatorId as ValidatorIdMessage,
  ValidatorIdSchema,
} from '../../gen/tempo/fastpay/v1/types_pb.js';
import type {
  EffectsSummary,
  QuorumCertificate,
  ValidatorCertificate,
  ValidatorId,
} from '../protocol/types.ts';
import { addressToProto, assetIdToProto, nonce2DFromProto, nonce2DToProto } from './convert-payment.ts';

export function validatorIdToProto(validator: ValidatorId): ValidatorIdMessage {
  return create(ValidatorIdSchema, { name: validator.name, id: validator.id, pubkey: validator.pubkey });
}

/** Keeps `id` and `pubkey` as sent: which one identifies the signer is the protocol's rule (§2.3). */
export function validatorIdFromProto(message: ValidatorIdMessage): ValidatorId {
  return { name: message.name, id: message.id, pubkey: message.pubkey };
}

export function effectsSummaryToProto(effects: EffectsSummary): EffectsSummaryMessage {
  return create(EffectsSummarySchema, {
    sender: addressToProto(effects.sender),
    recipient: addressToProto(effects.recipient),
    amount: effects.amount,
    asset: assetIdToProto(effects.asset),
    nonce: effects.nonce && nonce2DToProto(effects.nonce),
  });
}

export function effectsSummaryFromProto(message: EffectsSummaryMessage): EffectsSummary {
  return {
    sender: message.sender?.data,
    recipient: message.recipient?.data,
    amount: message.amount,
    asset: message.asset?.data,
    nonce: message.nonce && nonce2DFromProto(message.nonce),
  };
}

export function validatorCertificateToProto(cert: ValidatorCertificate): ValidatorCertificateMessage {
  return create(ValidatorCertificateSchema, {
    signer: cert.signer && validatorIdToProto(cert.signer),
    txHash: cert.txHash,
    effectsHash: cert.effectsHash,
    effects: cert.effects && effectsSummaryToProto(cert.effects),
    signature: cert.signature,
    createdUnixMillis: cert.createdUnixMillis,
    settlementSignature: cert.settlementSignature ?? new Uint8Array(),
  });
}

export function validatorCertificateFromProto(message: ValidatorCertificateMessage): ValidatorCertificate {
  return {
    signer: message.signer && validatorIdFromProto(message.signer),
    txHash: message.txHash,
    effectsHash: message.effectsHash,
    effects: message.effects && effectsSummaryFromProto(message.effects),
    signature: message.signature,
    createdUnixMillis: message.createdUnixMillis,
    ...(message.settlementSignature.length > 0 ? { settlementSignature: message.settlementSignature } : {}),
  };
}

export function quorumCertificateToProto(qc: QuorumCertificate): QuorumCertificateMessage {
  return create(QuorumCertificateSchema, {
    txHash: qc.txHash,
    effectsHash: qc.effectsHash,
    certs: qc.certs.map(validatorCertificateToProto),
    threshold: qc.threshold,
    qcHash: qc.qcHash,
  });
}

export function quorumCertificateFromProto(message: QuorumCertificateMessage): QuorumCertificate {
  return {
    txHash: message.txHash,
    effectsHash: message.effectsHash,
    certs: message.certs.map(validatorCertificateFromProto),
    threshold: message.threshold,
    qcHash: message.qcHash,
  };
}
