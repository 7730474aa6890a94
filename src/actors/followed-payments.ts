import type { ChainHead } from '../chain/chain-port.ts';
import { fromHex } from '../protocol/bytes.ts';
import type { CryptoSuite } from '../protocol/crypto/suite.ts';
import { type Effects, TempoTxFormat } from '../protocol/types.ts';
import type { PreparedSubmission } from '../protocol/validation/prepare-submission.ts';
import type { PaymentEvent } from './payment-events.ts';
import type { PaymentRecord } from './payment-record.ts';
import type { PaymentView } from './payment-registry.ts';

/** An open payment as the chain watcher follows it: its view, and what the chain can show of it. */
export interface FollowedPayment {
  /** The payment's tx hash, 0x-hex. */
  readonly key: string;
  readonly view: PaymentView;
  /**
   * The certified transfer with its contention key (sender, nonce key, sequence): a block transaction holding that
   * key settles or kills the payment. Absent when the payer's own transaction never lands (an escrow payment lands
   * inside the sidecars' settle transaction, so f+1 sidecars report its stages).
   */
  readonly effects?: Effects;
  /** keccak256 of the signed Tempo tx: its hash on chain. */
  readonly chainTxHash?: Uint8Array;
  /** The wrapper's expiry in unix millis: validators certify it only before then. */
  readonly expiresAtMs?: bigint;
  /** The signed tx's validBefore in unix millis: the chain's own deadline, from which it can no longer land. */
  readonly validBeforeMs?: bigint;
}

/** What the chain watcher needs of the observer whose payments it follows (the ActorSystem, the aggregator). */
export interface FollowedPayments {
  /** Every distinct head, first thing: the observer's head. */
  setHead(head: ChainHead): void;
  /** The payments not in a final stage. */
  openPayments(): Iterable<FollowedPayment>;
  /** The payment as it is now, while it is open. */
  openPayment(key: string): FollowedPayment | undefined;
  /** Delivers an on-chain event to the payment's actor; resolves once it is applied. */
  advance(key: string, event: PaymentEvent): Promise<void>;
}

/** What the chain can show of a payment, beside its view. */
export type ChainFields = Omit<FollowedPayment, 'key' | 'view'>;

/** The chain fields of a submission that passed the stateless checks: its transfer, its chain hash, its deadlines. */
export function chainFieldsOf(
  suite: CryptoSuite,
  p: PreparedSubmission,
): ChainFields & { readonly effects: Effects; readonly chainTxHash: Uint8Array } {
  return {
    effects: p.effects,
    chainTxHash: suite.keccak256(p.signedTx),
    ...(p.expiry.kind === 'unixMillis' ? { expiresAtMs: p.expiry.value } : {}),
    ...(p.decoded.validBefore !== undefined ? { validBeforeMs: p.decoded.validBefore * 1000n } : {}),
  };
}

/**
 * What the chain can show of a payment, from its record: a direct payment's contention key, chain hash and
 * deadlines; an escrow payment (its signed format, or settlement signatures in its QC) lands inside the sidecars'
 * settle transaction, so only its wrapper expiry: its stages on chain come from f+1 sidecars. Without a record,
 * the chain hash its view may carry.
 */
export function followedPaymentOf(view: PaymentView, record: PaymentRecord | undefined): FollowedPayment {
  const key = view.txHash;
  if (!record) {
    const { chainTxHash } = view.context;
    return { key, view, ...(chainTxHash ? { chainTxHash: fromHex(chainTxHash, 32) } : {}) };
  }
  const escrow =
    record.request?.tx?.format === TempoTxFormat.ALLEGRO_ESCROW_V1 ||
    record.qc?.certs.some((c) => c.settlementSignature !== undefined) === true;
  const { effects, chainTxHash, expiresAtMs, validBeforeMs } = record;
  if (escrow) return { key, view, ...(expiresAtMs !== undefined ? { expiresAtMs } : {}) };
  return {
    key,
    view,
    effects,
    ...(chainTxHash ? { chainTxHash } : {}),
    ...(expiresAtMs !== undefined ? { expiresAtMs } : {}),
    ...(validBeforeMs !== undefined ? { validBeforeMs } : {}),
  };
}
