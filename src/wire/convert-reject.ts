/** `RejectReason` ↔ `Reject` (reference §2.1). Both enums carry the reference's numbers, unknown ones included. */
import { create } from '@bufbuild/protobuf';
import {
  type RejectReason,
  RejectReasonSchema,
  type RejectCode as WireRejectCode,
} from '../../gen/tempo/fastpay/v1/types_pb.js';
import type { Reject, RejectCode } from '../protocol/reject.ts';

export function rejectToProto(reject: Reject): RejectReason {
  return create(RejectReasonSchema, {
    code: reject.code as number as WireRejectCode,
    message: reject.message,
  });
}

export function rejectFromProto(message: RejectReason): Reject {
  return { code: message.code as number as RejectCode, message: message.message };
}
