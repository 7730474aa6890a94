import type { PaymentEvent } from '../actors/payment-events.ts';
import { toHex } from '../protocol/bytes.ts';
import type { Committee } from '../protocol/committee.ts';
import { isTransientReject, RejectCode } from '../protocol/reject.ts';
import type { ClientEvent } from './client-event.ts';

/**
 * The payment event of what the payer client saw: a verified certificate, a validator's final refusal (a reject,
 * a certificate that does not verify, a call failure not worth retrying) or the QC, stamped with the chain height
 * `blockHeight` known at that moment. Answers the client will retry, and late transient ones, are not refusals
 * and map to nothing.
 */
export function clientEventToPaymentEvent(
  event: ClientEvent,
  committee: Committee,
  blockHeight: bigint,
  at: number,
): PaymentEvent | undefined {
  const idOf = (name: string) => {
    const member = committee.members.find((m) => m.name === name);
    return member ? toHex(member.id) : name;
  };
  switch (event.type) {
    case 'certificate':
      return {
        type: 'CERTIFICATE',
        at,
        validatorId: idOf(event.validator),
        validator: event.validator,
        signature: toHex(event.cert.signature),
        createdUnixMillis: event.cert.createdUnixMillis.toString(),
      };
    case 'reject':
      return event.willRetry || (event.late && isTransientReject(event.code))
        ? undefined
        : refusal(at, idOf(event.validator), event.validator, event.code, event.message);
    case 'invalidCertificate':
      return refusal(
        at,
        idOf(event.validator),
        event.validator,
        RejectCode.UNSPECIFIED,
        `invalid certificate: ${event.message}`,
      );
    case 'transportError':
      return event.willRetry || event.late
        ? undefined
        : refusal(at, idOf(event.validator), event.validator, RejectCode.UNSPECIFIED, event.message);
    case 'qcFormed':
      return { type: 'QC_FORMED', at, qcHash: toHex(event.qc.qcHash), blockHeight: blockHeight.toString() };
    case 'submitted':
      return undefined;
  }
}

function refusal(
  at: number,
  validatorId: string,
  validator: string,
  code: number,
  message: string,
): PaymentEvent {
  return { type: 'REJECT', at, validatorId, validator, code, message, permanent: true };
}
