import type { FormedQc } from './payment.machine.ts';

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
  /** The QC formed; `qc` is kept as formed when the observer assembled it (a client reports only its hash). */
  | { type: 'QC_FORMED'; at: number; qcHash: string; blockHeight: string; qc?: FormedQc }
  /** The signed submission of a payment first seen without it (mirrored from a board), and its chain fields. */
  | {
      type: 'SUBMISSION';
      at: number;
      request: string;
      chainTxHash?: string;
      expiresAtMs?: string;
      validBeforeMs?: string;
    }
  | { type: 'QUEUED_ONCHAIN'; at: number; blockHeight: string; report?: StageReport }
  | { type: 'INCLUDED'; at: number; blockNumber: string; blockHash: string; report?: StageReport }
  | { type: 'FINALIZED'; at: number; blockNumber: string; report?: StageReport }
  | { type: 'FAILED'; at: number; message: string; report?: StageReport }
  /** It can no longer land: its deadline passed (before the QC its wrapper expiry, after it the tx's validBefore). */
  | { type: 'EXPIRED'; at: number; report?: StageReport }
  /**
   * The observer's own chain read no longer shows the recorded inclusion (a reorg dropped its block, or the chain
   * was reset to genesis): the payment goes back to waiting for inclusion. Never a sidecar's word.
   */
  | { type: 'INCLUSION_LOST'; at: number; message: string };

/**
 * Who reported an on-chain stage, when a sidecar did: such a report is one vote, and the stage moves only once
 * f+1 validators report it at the same block height and hash (at least one of them honest). Stages the observer
 * read from the chain itself carry no report and move at once.
 */
export interface StageReport {
  readonly validatorId: string;
  readonly blockNumber: string;
  /** 0x-hex, '0x' when the sidecar named no block hash. */
  readonly blockHash: string;
}
