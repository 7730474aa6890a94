import { bytesEqual } from '../protocol/bytes.ts';
import type { Committee } from '../protocol/committee.ts';
import type { CryptoSuite } from '../protocol/crypto/suite.ts';
import { type Guarantee, guaranteeOf } from '../protocol/guarantee.ts';
import { txHash } from '../protocol/hashing.ts';
import { verifyQuorumCertificate } from '../protocol/quorum.ts';
import { decodeTempoTx } from '../protocol/tempo/decode-tempo-tx.ts';
import type { Effects, FastPayTx, QuorumCertificate } from '../protocol/types.ts';

/** The little a payee reads from the chain to judge landability: its head and a lane's nonce at a block. */
export interface PayeeChainReader {
  head(): Promise<{ readonly height: bigint; readonly timestampMs: bigint }>;
  nonce(account: Uint8Array, nonceKey: Uint8Array, blockNumber: bigint): Promise<bigint>;
}

export interface PaymentCheckInput {
  readonly suite: CryptoSuite;
  /** The pinned committee: the QC must reach ITS threshold, never the QC's own. */
  readonly committee: Committee;
  readonly tx: FastPayTx;
  readonly qc: QuorumCertificate;
  /** The parent's FastPayTx of a chained spend, when the payee has it. */
  readonly parentTx?: FastPayTx;
  /** Without it, landability is not judged. */
  readonly chain?: PayeeChainReader;
}

/** Whether the payment can still land at a head: its deadline is ahead and its lane nonce has not passed it. */
export interface Landability {
  readonly height: bigint;
  readonly landable: boolean;
  /** Why not, when it is not landable. */
  readonly reason?: string;
}

export type PaymentCheck =
  | { readonly ok: false; readonly problem: string }
  | {
      readonly ok: true;
      /** LOCKED: the payer can still make it fail by spending the funds on chain outside Allegro. */
      readonly guarantee: Guarantee;
      readonly txHash: Uint8Array;
      readonly effects: Effects;
      /** The signed tx's validBefore in unix millis: it cannot land from then on. */
      readonly deadlineMs?: bigint;
      /** The payment this one spends from: it depends on that parent landing first. */
      readonly parent?: { readonly qcHash: Uint8Array; readonly tx?: FastPayTx };
      readonly landability?: Landability;
    };

/**
 * What a payee gets from a payment and its QC (ARCHITECTURE.md "What a QC guarantees: two modes"): the QC must
 * verify against the pinned committee (verifyQuorumCertificate) and certify exactly this signed tx and its
 * effects. The answer says what the QC is worth (LOCKED or ESCROWED, by the tx's format), the deadline, the parent
 * it depends on, and, given a chain reader, whether it can still land at the current head.
 */
export async function checkPayment(input: PaymentCheckInput): Promise<PaymentCheck> {
  const { suite, committee, tx, qc } = input;
  const fail = (problem: string): PaymentCheck => ({ ok: false, problem });
  if (!tx.tempoTx || !tx.nonce || !tx.expiry || tx.chainId === undefined) {
    return fail('the payment lacks its signed tx, nonce, expiry or chain id');
  }
  const decoded = decodeTempoTx(suite, tx.format, tx.tempoTx);
  if (!decoded.ok) return fail(`the signed tx does not decode: ${decoded.reject.message}`);
  const d = decoded.tx;
  const hash = txHash(suite, {
    chainId: tx.chainId,
    tempoTx: tx.tempoTx,
    nonce: tx.nonce,
    expiry: tx.expiry,
    parentQcHash: tx.parentQcHash,
  });
  if (!bytesEqual(qc.txHash, hash)) return fail('the QC certifies another payment');
  const verified = verifyQuorumCertificate(suite, committee, qc);
  if (!verified.ok) return fail(`the QC does not verify: ${verified.message}`);
  const effects = verified.effects;
  if (
    !effects ||
    !bytesEqual(effects.sender, d.sender) ||
    !bytesEqual(effects.recipient, d.recipient) ||
    !bytesEqual(effects.asset, d.asset) ||
    effects.amount !== d.amount ||
    !bytesEqual(effects.nonce.nonceKey, d.nonceKey) ||
    effects.nonce.seq !== d.nonce
  ) {
    return fail('the certified effects are not the signed transfer');
  }
  const deadlineMs = d.validBefore === undefined ? undefined : d.validBefore * 1000n;
  const parent =
    tx.parentQcHash.length > 0
      ? { qcHash: tx.parentQcHash, ...(input.parentTx ? { tx: input.parentTx } : {}) }
      : undefined;
  const landability = input.chain && (await landabilityAt(input.chain, effects, deadlineMs));
  return {
    ok: true,
    guarantee: guaranteeOf(tx.format),
    txHash: hash,
    effects,
    ...(deadlineMs !== undefined ? { deadlineMs } : {}),
    ...(parent ? { parent } : {}),
    ...(landability ? { landability } : {}),
  };
}

async function landabilityAt(
  chain: PayeeChainReader,
  effects: Effects,
  deadlineMs: bigint | undefined,
): Promise<Landability> {
  const head = await chain.head();
  const { sender, nonce } = effects;
  if (deadlineMs !== undefined && head.timestampMs >= deadlineMs) {
    return { height: head.height, landable: false, reason: 'its validBefore has passed at the head' };
  }
  const laneNonce = await chain.nonce(sender, nonce.nonceKey, head.height);
  if (laneNonce > nonce.seq) {
    return {
      height: head.height,
      landable: false,
      reason: `its lane nonce passed (${laneNonce} > ${nonce.seq}): it landed or another tx took the sequence`,
    };
  }
  return { height: head.height, landable: true };
}
