import { bytesEqual, fromHex, toHex } from '../protocol/bytes.ts';
import { certificateSigner } from '../protocol/certificate.ts';
import { type Committee, findMember } from '../protocol/committee.ts';
import type { CryptoSuite } from '../protocol/crypto/suite.ts';
import { quorumCertificateHash } from '../protocol/quorum.ts';
import type { Effects, QuorumCertificate, SubmitRequest, ValidatorCertificate } from '../protocol/types.ts';
import { decodeSubmitRequest, encodeSubmitRequest } from '../wire/convert-request.ts';
import type { FormedQc, PaymentContext } from './payment.machine.ts';

/**
 * A payment as the chain watcher and the API faces need it, in bytes and bigints: read from its persisted
 * context (the one record of a payment), never stored beside it.
 */
export interface PaymentRecord {
  readonly txHash: Uint8Array;
  readonly effectsHash: Uint8Array;
  /** The certified transfer with its contention key (sender, nonce key, sequence). */
  readonly effects: Effects;
  /** The signed submission, when it came through this observer. */
  readonly request?: SubmitRequest;
  /** keccak256 of the signed Tempo tx: the chain's tx hash. */
  readonly chainTxHash?: Uint8Array;
  /** The wrapper's unix-millis expiry: validators certify it only before then. */
  readonly expiresAtMs?: bigint;
  /** The signed tx's validBefore in unix millis: the chain's own deadline, from which it can no longer land. */
  readonly validBeforeMs?: bigint;
  /** The QC exactly as formed. */
  readonly qc?: QuorumCertificate;
}

/** The context fields of a payment's record (what `track` takes beside the view's own fields). */
export type RecordFields = Pick<
  PaymentContext,
  'effectsHash' | 'nonceKey' | 'sequence' | 'request' | 'chainTxHash' | 'expiresAtMs' | 'validBeforeMs'
>;

/** `record`'s fields as the context keeps them (JSON-native). */
export function recordFields(
  record: Omit<PaymentRecord, 'txHash' | 'qc'>,
): RecordFields & Pick<PaymentContext, 'sender' | 'recipient' | 'asset' | 'amount'> {
  const { effects } = record;
  return {
    sender: toHex(effects.sender),
    recipient: toHex(effects.recipient),
    asset: toHex(effects.asset),
    amount: effects.amount.toString(),
    effectsHash: toHex(record.effectsHash),
    nonceKey: toHex(effects.nonce.nonceKey),
    sequence: effects.nonce.seq.toString(),
    ...(record.request ? { request: toHex(encodeSubmitRequest(record.request)) } : {}),
    ...(record.chainTxHash ? { chainTxHash: toHex(record.chainTxHash) } : {}),
    ...(record.expiresAtMs !== undefined ? { expiresAtMs: record.expiresAtMs.toString() } : {}),
    ...(record.validBeforeMs !== undefined ? { validBeforeMs: record.validBeforeMs.toString() } : {}),
  };
}

/**
 * The record of a payment from its context; undefined when the context lacks its effects hash or lane (a payment
 * tracked by a payer's client, which keeps its own). The QC is rebuilt as formed and must hash to `qcHash`.
 */
export function paymentRecordOf(
  context: PaymentContext,
  committee: Committee,
  suite: CryptoSuite,
): PaymentRecord | undefined {
  const { effectsHash, nonceKey, sequence } = context;
  if (effectsHash === undefined || nonceKey === undefined || sequence === undefined) return undefined;
  const base = {
    txHash: fromHex(context.txHash, 32),
    effectsHash: fromHex(effectsHash, 32),
    effects: {
      sender: fromHex(context.sender, 20),
      recipient: fromHex(context.recipient, 20),
      amount: BigInt(context.amount),
      asset: fromHex(context.asset, 20),
      nonce: { nonceKey: fromHex(nonceKey, 32), seq: BigInt(sequence) },
    },
    ...(context.request ? { request: decodeSubmitRequest(fromHex(context.request)) } : {}),
    ...(context.chainTxHash ? { chainTxHash: fromHex(context.chainTxHash, 32) } : {}),
    ...(context.expiresAtMs !== undefined ? { expiresAtMs: BigInt(context.expiresAtMs) } : {}),
    ...(context.validBeforeMs !== undefined ? { validBeforeMs: BigInt(context.validBeforeMs) } : {}),
  };
  return context.qc && context.qcHash
    ? { ...base, qc: restoredQuorumCertificate(context, fromHex(context.qcHash, 32), base, committee, suite) }
    : base;
}

/**
 * `paymentRecordOf` for one committee, remembering the record read from each context object: a context is
 * immutable (every transition makes a new one), so a payment's record is decoded once per change, not per read.
 */
export function paymentRecordReader(
  committee: Committee,
  suite: CryptoSuite,
): (context: PaymentContext) => PaymentRecord | undefined {
  const read = new WeakMap<PaymentContext, PaymentRecord | null>();
  return (context) => {
    let record = read.get(context);
    if (record === undefined) {
      record = paymentRecordOf(context, committee, suite) ?? null;
      read.set(context, record);
    }
    return record ?? undefined;
  };
}

/** A QC in the compact form a payment keeps (FormedQc), beside the payment's recorded `certificates`. */
export function formedQc(qc: QuorumCertificate, certificates: PaymentContext['certificates']): FormedQc {
  return {
    threshold: qc.threshold,
    certs: qc.certs.map((cert) => {
      const validatorId = toHex(certificateSigner(cert)!);
      const signature = toHex(cert.signature);
      const createdUnixMillis = cert.createdUnixMillis.toString();
      const recorded = certificates[validatorId];
      return {
        validatorId,
        ...(recorded?.signature === signature ? {} : { signature }),
        ...(recorded?.createdUnixMillis === createdUnixMillis ? {} : { createdUnixMillis }),
        ...(cert.settlementSignature ? { settlementSignature: toHex(cert.settlementSignature) } : {}),
      };
    }),
  };
}

/**
 * The QC exactly as formed, from its compact form, the recorded certificates and the payment: signers' names and
 * keys from the committee, the repeated fields from the payment. Its hash is computed again and must be `qcHash`:
 * a context that does not rebuild to its QC is refused (thrown), never served.
 */
function restoredQuorumCertificate(
  context: PaymentContext,
  qcHash: Uint8Array,
  payment: Pick<PaymentRecord, 'txHash' | 'effectsHash' | 'effects'>,
  committee: Committee,
  suite: CryptoSuite,
): QuorumCertificate {
  const { txHash, effectsHash } = payment;
  const { sender, recipient, amount, asset, nonce } = payment.effects;
  const formed = context.qc!;
  const certs = formed.certs.map((c): ValidatorCertificate => {
    const id = fromHex(c.validatorId, 32);
    const member = findMember(committee, id);
    const recorded = context.certificates[c.validatorId];
    return {
      signer: { name: member?.name ?? '', id, pubkey: member?.publicKey ?? new Uint8Array() },
      txHash,
      effectsHash,
      effects: { sender, recipient, amount, asset, nonce },
      signature: fromHex(c.signature ?? recorded?.signature ?? '0x'),
      createdUnixMillis: BigInt(c.createdUnixMillis ?? recorded?.createdUnixMillis ?? '0'),
      ...(c.settlementSignature ? { settlementSignature: fromHex(c.settlementSignature) } : {}),
    };
  });
  const qc = { txHash, effectsHash, certs, threshold: formed.threshold };
  const rebuilt = quorumCertificateHash(suite, qc);
  if (!rebuilt || !bytesEqual(rebuilt, qcHash)) {
    throw new Error(`the QC ${toHex(qcHash)} of payment ${toHex(txHash)} does not rebuild to its hash`);
  }
  return { ...qc, qcHash };
}
