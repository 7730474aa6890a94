/** The events a payment's machine heard, as far as its API fields tell them (pure). */

import type { PaymentFields } from './nodes.ts';

export interface ListedEvent {
  readonly type: string;
  readonly detail: string;
  /** Server time (unix millis), when known. */
  readonly at: number | undefined;
}

/** Certificates, refusals and stage moves in time order (a stage's own event names the machine's event). */
export function paymentEventList(p: PaymentFields): ListedEvent[] {
  const events: ListedEvent[] = [
    ...p.certificates.map((c) => ({
      type: 'CERTIFICATE',
      detail: c.validator.name,
      at: Number(c.createdUnixMillis),
    })),
    ...p.rejections.map((r) => ({ type: 'REJECT', detail: `${r.validator.name} ${r.code}`, at: undefined })),
    ...p.stageTimes
      .filter((t) => t.stage !== 'SUBMITTED' && t.stage !== 'CERTIFIED')
      .map((t) => ({
        type: t.stage,
        detail: t.stage === 'QC_FORMED' && p.blockAtQc ? `at block ${p.blockAtQc}` : '',
        at: Number(t.at),
      })),
  ];
  return events.sort((a, b) => (a.at ?? Number.MAX_SAFE_INTEGER) - (b.at ?? Number.MAX_SAFE_INTEGER));
}
