/** `SubmitFastPayRequest` ↔ `SubmitRequest` (reference §2.2): the payment and its parents' QCs. */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  type SubmitFastPayRequest,
  SubmitFastPayRequestSchema,
} from '../../gen/tempo/fastpay/v1/sidecar_pb.js';
import type { SubmitRequest } from '../protocol/types.ts';
import { quorumCertificateFromProto, quorumCertificateToProto } from './convert-certificate.ts';
import { fastPayTxFromProto, fastPayTxToProto } from './convert-payment.ts';

export function submitRequestToProto(request: SubmitRequest): SubmitFastPayRequest {
  return create(SubmitFastPayRequestSchema, {
    tx: request.tx && fastPayTxToProto(request.tx),
    parentQcs: request.parentQcs.map(quorumCertificateToProto),
    parentTxs: (request.parentTxs ?? []).map(fastPayTxToProto),
  });
}

export function submitRequestFromProto(message: SubmitFastPayRequest): SubmitRequest {
  return {
    tx: message.tx && fastPayTxFromProto(message.tx),
    parentQcs: message.parentQcs.map(quorumCertificateFromProto),
    ...(message.parentTxs.length > 0 ? { parentTxs: message.parentTxs.map(fastPayTxFromProto) } : {}),
  };
}

/** The request's wire bytes (what a sidecar receives), e.g. to keep it with the payment it makes. */
export function encodeSubmitRequest(request: SubmitRequest): Uint8Array {
  return toBinary(SubmitFastPayRequestSchema, submitRequestToProto(request));
}

export function decodeSubmitRequest(bytes: Uint8Array): SubmitRequest {
  return submitRequestFromProto(fromBinary(SubmitFastPayRequestSchema, bytes));
}
