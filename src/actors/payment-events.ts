/**
 * What a payment machine hears. Every event carries `at` (unix millis) so the machine stays a pure function of
 * its events: clocks live in the actors that send them. Values are JSON-native (hex and decimal strings) so
 * snapshots persist as plain JSON and show in the Stately inspector.
 */
export type PaymentEvent =
  /** A certificate that verified against the committee. */
  | {
      type: 'CERTIFICATE';
      at: number;
      validatorId: string;
      validator: string;
      signature: string;
      createdUnixMillis: string;
    }
  /** A validator refused; `permanent` when retrying cannot change its answer. */
  | {
      type: 'REJECT';
      at: number;
      validatorId: string;
      validator: string;
      code: number;
      message: string;
      permanent: boolean;
    }
  | { type: 'QC_FORMED'; at: number; qcHash: string; blockHeight: string }
  | { type: 'QUEUED_ONCHAIN'; at: number; blockHeight: string }
  | { type: 'INCLUDED'; at: number; blockNumber: string; blockHash: string }
  | { type: 'FINALIZED'; at: number; blockNumber: string }
  | { type: 'FAILED'; at: number; message: string }
  /** Its expiry (or validBefore) passed before it could land. */
  | { type: 'EXPIRED'; at: number };
