import type { EscrowChain } from '../chain/escrow/escrow-chain.ts';
import { bytesEqual, toHex } from '../protocol/bytes.ts';
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
  /**
   * The escrow an ESCROWED payment draws on: then the answer carries the payer's escrow state, and landability
   * reads the escrow's nextSeq (and whether it is settled) instead of the account's nonce.
   */
  readonly escrow?: Pick<EscrowChain, 'address' | 'balanceOf' | 'announcedOf' | 'nextSeq' | 'isSettled'>;
}

/** An ESCROWED payment's escrow side, read at the head. */
export interface EscrowCheck {
  readonly address: Uint8Array;
  /** The payment id the settlement signatures sign. */
  readonly paymentId: Uint8Array;
  readonly settled: boolean;
  /** The payer's escrow balance of the token and its announced withdrawals (spent for the sidecars). */
  readonly payer: { readonly balance: bigint; readonly announced: bigint };
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
      /** ESCROWED payments, given `escrow`. */
      readonly escrow?: EscrowCheck;
    };

/**
 * What a payee gets from a payment and its QC (ARCHITECTURE.md "What a QC guarantees: two modes"): the QC must
 * verify against the pinned committee (verifyQuorumCertificate) and certify exactly this signed tx and its
 * effects. The answer says what the QC is worth (LOCKED or ESCROWED, by the tx's format), the deadline, the parent
 * it depends on, and, given a chain reader, whether it can still land at the current head; for an ESCROWED payment
 * given its escrow, the payment id, whether it is settled and the payer's escrow balance and announced withdrawals.
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
  if (d.escrow && input.escrow && !bytesEqual(d.escrow, input.escrow.address))
    return fail(`the payment draws on escrow ${toHex(d.escrow)}, not ${toHex(input.escrow.address)}`);
  const escrow = d.kind === 'escrow' ? input.escrow : undefined;
  const laneNonce = escrow
    ? (account: Uint8Array, lane: Uint8Array, block: bigint) => escrow.nextSeq(account, lane, block)
    : input.chain &&
      ((account: Uint8Array, key: Uint8Array, block: bigint) => input.chain!.nonce(account, key, block));
  const landability =
    input.chain && laneNonce && (await landabilityAt(input.chain, laneNonce, effects, deadlineMs));
  const escrowCheck = escrow && (await escrowCheckOf(escrow, d.signingHash, effects));
  return {
    ok: true,
    guarantee: guaranteeOf(tx.format),
    txHash: hash,
    effects,
    ...(deadlineMs !== undefined ? { deadlineMs } : {}),
    ...(parent ? { parent } : {}),
    ...(landability ? { landability } : {}),
    ...(escrowCheck ? { escrow: escrowCheck } : {}),
  };
}

async function escrowCheckOf(
  escrow: NonNullable<PaymentCheckInput['escrow']>,
  paymentId: Uint8Array,
  effects: Effects,
): Promise<EscrowCheck> {
  const [settled, balance, announced] = await Promise.all([
    escrow.isSettled(paymentId),
    escrow.balanceOf(effects.sender, effects.asset),
    escrow.announcedOf(effects.sender, effects.asset),
  ]);
  return { address: escrow.address, paymentId, settled, payer: { balance, announced } };
}

async function landabilityAt(
  chain: PayeeChainReader,
  nonceOf: (account: Uint8Array, nonceKey: Uint8Array, blockNumber: bigint) => Promise<bigint>,
  effects: Effects,
  deadlineMs: bigint | undefined,
): Promise<Landability> {
  const head = await chain.head();
  const { sender, nonce } = effects;
  if (deadlineMs !== undefined && head.timestampMs >= deadlineMs) {
    return { height: head.height, landable: false, reason: 'its validBefore has passed at the head' };
  }
  const laneNonce = await nonceOf(sender, nonce.nonceKey, head.height);
  if (laneNonce > nonce.seq) {
    return {
      height: head.height,
      landable: false,
      reason: `its lane nonce passed (${laneNonce} > ${nonce.seq}): it landed or another tx took the sequence`,
    };
  }
  return { height: head.height, landable: true };
}
