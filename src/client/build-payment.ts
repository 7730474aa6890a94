import { PATH_USD } from '../chain/tempo-tokens.ts';
import { signTempoTransfer } from '../chain/tempo-transfer.ts';
import type { CryptoSuite } from '../protocol/crypto/suite.ts';
import { effectsHash, txHash } from '../protocol/hashing.ts';
import { quorumCertificateHash } from '../protocol/quorum.ts';
import { type Effects, type FastPayTx, type QuorumCertificate, TempoTxFormat } from '../protocol/types.ts';
import { AllegroClientError } from './errors.ts';
import type { Lane } from './lane.ts';
import { type PayerKey, payerKeyBytes } from './payer-key.ts';

export interface PaymentSpec {
  readonly suite: CryptoSuite;
  readonly account: PayerKey;
  readonly to: Uint8Array;
  readonly amount: bigint;
  /** The TIP-20 token paid. */
  readonly asset: Uint8Array;
  readonly chainId: bigint;
  readonly lane: Lane;
  readonly seq: bigint;
  /** Unix seconds after which the signed tx cannot be included; the wrapper expiry is the same instant in millis. */
  readonly validBefore: bigint;
  /** Token the fee is paid in; default pathUSD. */
  readonly feeToken?: Uint8Array;
  /** The QC of the payment this one spends from (a chained spend): the tx cites its qc_hash. */
  readonly parentQc?: QuorumCertificate;
  readonly clientRequestId?: string;
}

export interface BuiltPayment {
  readonly tx: FastPayTx;
  readonly txHash: Uint8Array;
  readonly effectsHash: Uint8Array;
  readonly effects: Effects;
}

/**
 * Builds a payment the way a sidecar requires it (reference §10.1, with the §14 binding fixes): a real signed
 * Tempo 0x76 transaction with one TIP-20 transfer, nonce key = the lane key and nonce = `seq`, wrapped in a
 * FastPayTx whose nonce, chain id and expiry (unix millis of `validBefore`) are exactly the signed tx's, whose
 * intent and overlay payment are the transfer, and which cites the parent QC's qc_hash when there is one.
 * Payment rules (amount > 0, sender ≠ recipient) are the sidecar's to judge; this only builds.
 */
export function buildPayment(spec: PaymentSpec): BuiltPayment {
  const { suite, chainId, validBefore } = spec;
  const parentQcHash = spec.parentQc ? parentQcHashOf(suite, spec.parentQc) : new Uint8Array();
  const tempoTx = signTempoTransfer({
    chainId,
    senderKey: payerKeyBytes(spec.account),
    recipient: spec.to,
    amount: spec.amount,
    token: spec.asset,
    nonceKey: spec.lane.nonceKey,
    nonce: spec.seq,
    feeToken: spec.feeToken ?? PATH_USD,
    validBefore,
    sign: suite.signRecoverable,
  });
  const payment = {
    sender: suite.addressOf(payerKeyBytes(spec.account)),
    recipient: spec.to,
    amount: spec.amount,
    asset: spec.asset,
  };
  const nonce = { nonceKey: spec.lane.nonceKey, seq: spec.seq };
  const expiry = { kind: 'unixMillis', value: validBefore * 1000n } as const;
  const tx: FastPayTx = {
    chainId,
    tempoTx,
    format: TempoTxFormat.TEMPO_NATIVE_V1,
    intent: payment,
    overlay: { payment },
    nonce,
    expiry,
    parentQcHash,
    clientRequestId: spec.clientRequestId ?? '',
  };
  const effects: Effects = { ...payment, nonce };
  return {
    tx,
    txHash: txHash(suite, { chainId, tempoTx, nonce, expiry, parentQcHash }),
    effectsHash: effectsHash(suite, effects),
    effects,
  };
}

/** The qc_hash a child cites for `qc`; INVALID_PARENT_QC when the QC is malformed. */
export function parentQcHashOf(suite: CryptoSuite, qc: QuorumCertificate): Uint8Array {
  const hash = quorumCertificateHash(suite, qc);
  if (!hash)
    throw new AllegroClientError('INVALID_PARENT_QC', 'the parent QC is malformed: it has no qc_hash');
  return hash;
}
