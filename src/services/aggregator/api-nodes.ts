import type { PaymentRecord } from '../../actors/payment-record.ts';
import type { PaymentView } from '../../actors/payment-registry.ts';
import type { ChainHead } from '../../chain/chain-port.ts';
import { toHex } from '../../protocol/bytes.ts';
import { certificateSigner } from '../../protocol/certificate.ts';
import { type Committee, type CommitteeMember, findMember } from '../../protocol/committee.ts';
import { type Guarantee, guaranteeOf } from '../../protocol/guarantee.ts';
import { rejectCodeName } from '../../protocol/reject.ts';
import type { ApiStage } from '../../protocol/stage.ts';
import type { QuorumCertificate, ValidatorCertificate } from '../../protocol/types.ts';

/**
 * The API's JSON-native shapes, shared by GraphQL (field for field), REST and the published events: 0x-lowercase
 * hex, u64s as decimal strings. Events carry them through Redis unchanged.
 */
export interface ValidatorNode {
  readonly id: string;
  readonly name: string;
  readonly publicKey: string;
  readonly url: string | null;
}

export interface EffectsNode {
  readonly sender: string;
  readonly recipient: string;
  readonly amount: string;
  readonly asset: string;
  readonly nonceKey: string;
  readonly sequence: string;
}

export interface CertificateNode {
  readonly validator: ValidatorNode;
  readonly txHash: string;
  readonly effectsHash: string;
  readonly effects: EffectsNode | null;
  readonly signature: string;
  readonly createdUnixMillis: string;
}

export interface QuorumCertificateNode {
  /** What the QC is worth: LOCKED (direct mode) or ESCROWED (see Guarantee). */
  readonly guarantee: Guarantee;
  readonly txHash: string;
  readonly effectsHash: string;
  readonly qcHash: string;
  readonly threshold: number;
  readonly certificates: readonly CertificateNode[];
}

export interface RejectionNode {
  readonly validator: ValidatorNode;
  readonly code: string;
  readonly message: string;
  readonly permanent: boolean;
}

export interface PaymentNode {
  readonly txHash: string;
  readonly stage: ApiStage;
  /** What its QC is (or would be) worth, by the signed tx's format; LOCKED when the format is not known. */
  readonly guarantee: Guarantee;
  readonly sender: string;
  readonly recipient: string;
  readonly asset: string;
  readonly amount: string;
  readonly nonceKey: string;
  readonly sequence: string;
  readonly chainTxHash: string | null;
  readonly parentQcHash: string | null;
  readonly expiresAtMs: string | null;
  readonly threshold: number;
  readonly faultTolerance: number;
  readonly certificates: readonly CertificateNode[];
  readonly rejections: readonly RejectionNode[];
  readonly qcHash: string | null;
  readonly quorumCertificate: QuorumCertificateNode | null;
  readonly blockAtSubmit: string;
  readonly blockAtQc: string | null;
  readonly inclusion: { readonly blockNumber: string; readonly blockHash: string } | null;
  readonly failure: string | null;
  readonly stageTimes: readonly { readonly stage: ApiStage; readonly at: string }[];
  readonly updatedAt: string;
}

export interface ChainHeadNode {
  readonly height: string;
  readonly hash: string;
  readonly timestampMs: string;
  /** Where the observer reads its head (the Tempo node it follows, or the sidecars' reports). */
  readonly source: string;
}

export function validatorNode(member: CommitteeMember): ValidatorNode {
  return {
    id: toHex(member.id),
    name: member.name,
    publicKey: toHex(member.publicKey),
    url: member.url ?? null,
  };
}

/** A certificate that verified against `committee` (its signer is a member). */
export function certificateNode(committee: Committee, cert: ValidatorCertificate): CertificateNode {
  const member = findMember(committee, certificateSigner(cert)!)!;
  const e = cert.effects;
  return {
    validator: validatorNode(member),
    txHash: toHex(cert.txHash),
    effectsHash: toHex(cert.effectsHash),
    effects:
      e?.sender && e.recipient && e.asset && e.nonce
        ? {
            sender: toHex(e.sender),
            recipient: toHex(e.recipient),
            amount: e.amount.toString(),
            asset: toHex(e.asset),
            nonceKey: toHex(e.nonce.nonceKey),
            sequence: e.nonce.seq.toString(),
          }
        : null,
    signature: toHex(cert.signature),
    createdUnixMillis: cert.createdUnixMillis.toString(),
  };
}

export function quorumCertificateNode(
  committee: Committee,
  qc: QuorumCertificate,
  guarantee: Guarantee,
): QuorumCertificateNode {
  return {
    guarantee,
    txHash: toHex(qc.txHash),
    effectsHash: toHex(qc.effectsHash),
    qcHash: toHex(qc.qcHash),
    threshold: qc.threshold,
    certificates: qc.certs.map((c) => certificateNode(committee, c)),
  };
}

/** A head as the API shows it, with where the observer read it (`source`). */
export function chainHeadNode(head: ChainHead, source: string): ChainHeadNode {
  return {
    height: head.height.toString(),
    hash: toHex(head.hash),
    timestampMs: head.timestampMs.toString(),
    source,
  };
}

const STAGE_ORDER: readonly ApiStage[] = [
  'SUBMITTED',
  'CERTIFIED',
  'QC_FORMED',
  'QUEUED_ONCHAIN',
  'INCLUDED',
  'FINALIZED',
  'REJECTED',
  'EXPIRED',
  'FAILED',
];

/** A payment as the API shows it: its actor's view, the aggregator's record and its verified certificates. */
export function paymentNode(
  committee: Committee,
  view: PaymentView,
  record: PaymentRecord,
  certs: readonly ValidatorCertificate[],
): PaymentNode {
  const c = view.context;
  const guarantee = guaranteeOf(record.request?.tx?.format);
  const validatorOf = (id: string, name: string): ValidatorNode => {
    const member = committee.members.find((m) => toHex(m.id) === id);
    return member ? validatorNode(member) : { id, name, publicKey: '', url: null };
  };
  return {
    txHash: view.txHash,
    stage: view.stage,
    guarantee,
    sender: c.sender,
    recipient: c.recipient,
    asset: c.asset,
    amount: c.amount,
    nonceKey: toHex(record.effects.nonce.nonceKey),
    sequence: record.effects.nonce.seq.toString(),
    chainTxHash: record.chainTxHash ? toHex(record.chainTxHash) : null,
    parentQcHash: c.parentQcHash ?? null,
    expiresAtMs: record.expiresAtMs?.toString() ?? null,
    threshold: c.threshold,
    faultTolerance: c.faultTolerance,
    certificates: certs.map((cert) => certificateNode(committee, cert)),
    rejections: Object.entries(c.rejects).map(([id, r]) => ({
      validator: validatorOf(id, r.validator),
      code: rejectCodeName(r.code),
      message: r.message,
      permanent: r.permanent,
    })),
    qcHash: c.qcHash ?? null,
    quorumCertificate: record.qc ? quorumCertificateNode(committee, record.qc, guarantee) : null,
    blockAtSubmit: c.blockAtSubmit,
    blockAtQc: c.blockAtQc ?? null,
    inclusion: c.inclusion ?? null,
    failure: c.failure ?? null,
    stageTimes: STAGE_ORDER.flatMap((stage) => {
      const at = c.stageTimes[stage];
      return at === undefined ? [] : [{ stage, at: String(at) }];
    }),
    updatedAt: String(view.updatedAt),
  };
}
