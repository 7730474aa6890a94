import type { RejectCode } from '../protocol/reject.ts';
import type { QuorumCertificate, ValidatorCertificate } from '../protocol/types.ts';

/**
 * Progress of a payment as the client sees it, for actors and the demo. `validator` is the committee member's
 * name. Answers arriving after the collection ended (a QC formed, quorum became impossible, the deadline
 * passed) are still reported, with `late: true`.
 */
export type ClientEvent =
  | {
      readonly type: 'submitted';
      readonly validator: string;
      readonly txHash: Uint8Array;
      readonly seq: bigint;
      readonly attempt: number;
    }
  | {
      readonly type: 'certificate';
      readonly validator: string;
      readonly txHash: Uint8Array;
      readonly cert: ValidatorCertificate;
      readonly late: boolean;
    }
  | {
      readonly type: 'reject';
      readonly validator: string;
      readonly txHash: Uint8Array;
      readonly code: RejectCode;
      readonly message: string;
      readonly willRetry: boolean;
      readonly late: boolean;
    }
  | {
      readonly type: 'invalidCertificate';
      readonly validator: string;
      readonly txHash: Uint8Array;
      readonly message: string;
      readonly late: boolean;
    }
  | {
      readonly type: 'transportError';
      readonly validator: string;
      readonly txHash: Uint8Array;
      readonly message: string;
      readonly willRetry: boolean;
      readonly late: boolean;
    }
  | {
      readonly type: 'qcFormed';
      readonly txHash: Uint8Array;
      readonly seq: bigint;
      readonly qc: QuorumCertificate;
    };
