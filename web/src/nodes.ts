/** The GraphQL shapes the page reads (schema.graphql), and the selections that fetch them. */

import type { ApiStage } from '../../src/protocol/stage.ts';

export type Stage = ApiStage;

export type Guarantee = 'LOCKED' | 'ESCROWED';

/** One line on what each guarantee means (schema.graphql `Guarantee`). */
export const GUARANTEE_MEANING: Readonly<Record<Guarantee, string>> = {
  LOCKED:
    'Direct mode: 2f+1 validators saw the funds and locked this nonce; the payer can still make it fail by spending the same funds on chain outside Allegro.',
  ESCROWED:
    'Escrow mode: the funds sit in the escrow contract; the payment settles unless more than f validators are Byzantine.',
};

export interface ValidatorNode {
  readonly id: string;
  readonly name: string;
  readonly publicKey: string;
}

export interface CommitteeNode {
  readonly chainId: string;
  readonly epoch: string;
  readonly threshold: number;
  readonly faultTolerance: number;
  readonly validators: readonly ValidatorNode[];
}

export interface ChainHeadNode {
  readonly height: string;
  readonly timestampMs: string;
}

export interface RejectionNode {
  readonly validator: { readonly name: string };
  readonly code: string;
  readonly message: string;
}

/** A payment as lists and live events carry it. */
export interface PaymentFields {
  readonly txHash: string;
  readonly stage: Stage;
  readonly guarantee: Guarantee;
  readonly sender: string;
  readonly recipient: string;
  readonly asset: string;
  readonly amount: string;
  readonly sequence: string;
  readonly parentQcHash: string | null;
  readonly threshold: number;
  readonly certificates: readonly {
    readonly validator: { readonly name: string };
    readonly createdUnixMillis: string;
  }[];
  readonly rejections: readonly RejectionNode[];
  readonly qcHash: string | null;
  readonly blockAtSubmit: string;
  readonly blockAtQc: string | null;
  readonly inclusion: { readonly blockNumber: string } | null;
  readonly failure: string | null;
  /** Server times (unix millis) of each stage reached. */
  readonly stageTimes: readonly { readonly stage: Stage; readonly at: string }[];
}

export interface CertificateNode {
  readonly validator: ValidatorNode;
  readonly txHash: string;
  readonly effectsHash: string;
  readonly effects: {
    readonly sender: string;
    readonly recipient: string;
    readonly amount: string;
    readonly asset: string;
    readonly nonceKey: string;
    readonly sequence: string;
  } | null;
  readonly signature: string;
  readonly createdUnixMillis: string;
}

export interface QuorumCertificateNode {
  readonly guarantee: Guarantee;
  readonly txHash: string;
  readonly effectsHash: string;
  readonly qcHash: string;
  readonly threshold: number;
  readonly certificates: readonly CertificateNode[];
}

/** A payment with everything its detail view shows. */
export interface PaymentDetailFields extends PaymentFields {
  readonly nonceKey: string;
  readonly chainTxHash: string | null;
  readonly expiresAtMs: string | null;
  readonly quorumCertificate: QuorumCertificateNode | null;
}

export const PAYMENT_FIELDS = `txHash stage guarantee sender recipient asset amount sequence parentQcHash threshold
  certificates { validator { name } createdUnixMillis } rejections { validator { name } code message }
  qcHash blockAtSubmit blockAtQc inclusion { blockNumber } failure stageTimes { stage at }`;

const CERTIFICATE_FIELDS = `validator { id name publicKey } txHash effectsHash
  effects { sender recipient amount asset nonceKey sequence } signature createdUnixMillis`;

export const PAYMENT_DETAIL_FIELDS = `${PAYMENT_FIELDS} nonceKey chainTxHash expiresAtMs
  quorumCertificate { guarantee txHash effectsHash qcHash threshold certificates { ${CERTIFICATE_FIELDS} } }`;

/** The server's time of `stage` for this payment, if reached. */
export function stageTime(payment: PaymentFields, stage: Stage): number | undefined {
  const at = payment.stageTimes.find((t) => t.stage === stage)?.at;
  return at === undefined ? undefined : Number(at);
}
