import type { ChainHead } from '../../chain/chain-port.ts';
import type { EscrowSettlement as SettleArgs } from '../../chain/escrow/escrow-calls.ts';
import type { EscrowChain, EscrowSender } from '../../chain/escrow/escrow-chain.ts';
import { EscrowRevertError } from '../../chain/escrow/escrow-revert-error.ts';
import { byteKey, bytesEqual, toHex } from '../../protocol/bytes.ts';
import type { CryptoSuite } from '../../protocol/crypto/suite.ts';
import { readEscrowPaymentTx } from '../../protocol/escrow/decode-escrow-payment.ts';
import { escrowSettlementDigest, NO_PARENT } from '../../protocol/escrow/escrow-payment.ts';
import { type EscrowCommitteeKeys, settlementQuorum } from '../../protocol/escrow/settlement-quorum.ts';
import type { LockRecord } from '../../protocol/ledger/ledger.ts';
import { WireStage } from '../../protocol/stage.ts';
import type { Logger } from '../../util/logger.ts';
import type { ChainAdvance } from './chain-follower.ts';
import type { LifecycleHub } from './lifecycle-hub.ts';

export interface EscrowSettlementOptions {
  readonly escrow: Pick<EscrowChain, 'domain' | 'isSettled' | 'settledIn' | 'settle' | 'settleChain'>;
  /**
   * The account that sends `settle`: the validator's settlement key. It pays the Tempo fee of every settlement
   * it sends (in pathUSD), so it must hold fee tokens; payers pay no fee for escrow payments.
   */
  readonly sender: EscrowSender;
  /** The escrow's current committee: its epoch is signed, its members and threshold checked by `settle`. */
  readonly committee: EscrowCommitteeKeys & { readonly epoch: bigint };
  readonly suite: CryptoSuite;
  readonly lifecycle: LifecycleHub;
  /** Settlement signatures known for a FastPay tx: this validator's and those of gossiped certificates. */
  readonly signaturesOf: (txHash: Uint8Array) => readonly Uint8Array[];
  readonly logger: Logger;
}

interface Item {
  readonly record: LockRecord;
  readonly args: Omit<SettleArgs, 'certSignatures'>;
  readonly paymentId: Uint8Array;
  /** A settle or settleChain for it is being sent. */
  sending: boolean;
}

/** How far back a released payment's settlement event is searched for. */
const SETTLED_LOOKBACK = 4_096n;

/**
 * Settles certified escrow payments (ARCHITECTURE.md "What a QC guarantees": ESCROWED). Once a payment's
 * settlement signatures reach the escrow committee's threshold (this validator's plus gossiped ones), it sends
 * `settle`, or `settleChain` with the parent when the parent is not settled at B yet (the contract never settles
 * a child first). Every sidecar may try: `settle` is simulated before it is sent, so a payment another sidecar
 * settled is skipped. The fate is read at B when the follower releases the lock (the escrow's nextSeq passed it,
 * or its deadline): settled → INCLUDED and FINALIZED in the block of its `PaymentSettled` event (one Tempo block
 * is final, and every sidecar names the same block, so observers see f+1 agree); deadline passed → EXPIRED;
 * otherwise FAILED.
 */
export class EscrowSettlement {
  readonly #items = new Map<string, Item>();
  /** Sends one at a time: they share the settlement key's protocol nonce. */
  #sending: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(private readonly options: EscrowSettlementOptions) {}

  /** Tracks a certified escrow payment; other payments are not this queue's. */
  enqueue(record: LockRecord): void {
    const { paymentId } = record.delta;
    if (record.delta.pool !== 'escrow' || !paymentId) return;
    const key = byteKey(record.delta.txHash);
    if (this.#items.has(key)) return;
    const { payment, payerSignature } = readEscrowPaymentTx(record.delta.signedTx);
    this.#items.set(key, { record, args: { payment, payerSignature }, paymentId, sending: false });
  }

  /** Resolves released escrow payments at B, then tries to settle the others. */
  onAdvance({ head, released }: ChainAdvance): void {
    const fates = released.filter((r) => r.delta.pool === 'escrow').map((r) => this.#resolve(r, head));
    this.#sending = this.#sending
      .then(() => Promise.all(fates))
      .then(() => this.#settleAll(head))
      .catch((err) =>
        this.options.logger.warn({ err: (err as Error).message }, 'escrow settlement pass failed'),
      );
  }

  /** Stops sending; a send in progress finishes. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#sending;
  }

  async #resolve(record: LockRecord, head: ChainHead): Promise<void> {
    const { txHash, paymentId, inclusionDeadlineMs } = record.delta;
    this.#items.delete(byteKey(txHash));
    if (!paymentId) return;
    const at = { txHash, unixMillis: head.timestampMs, blockHeight: head.height, blockHash: head.hash };
    const { escrow } = this.options;
    if (await escrow.isSettled(paymentId, head.height)) {
      const from = head.height > SETTLED_LOOKBACK ? head.height - SETTLED_LOOKBACK : 0n;
      const block = await escrow.settledIn(paymentId, from, head.height);
      const inclusion = block ? { ...at, blockHeight: block.blockNumber, blockHash: block.blockHash } : at;
      this.options.lifecycle.publish({ ...inclusion, stage: WireStage.INCLUDED });
      this.options.lifecycle.publish({ ...inclusion, stage: WireStage.FINALIZED });
    } else if (inclusionDeadlineMs !== undefined && head.timestampMs >= inclusionDeadlineMs) {
      this.options.lifecycle.publish({ ...at, stage: WireStage.EXPIRED });
    } else {
      const message = 'the escrow lane passed this sequence without settling this payment';
      this.options.lifecycle.publish({ ...at, stage: WireStage.FAILED, message });
    }
  }

  async #settleAll(head: ChainHead): Promise<void> {
    for (const item of [...this.#items.values()]) {
      if (this.#stopped) return;
      if (!this.#items.has(byteKey(item.record.delta.txHash)) || item.sending) continue;
      if (head.timestampMs >= BigInt(item.args.payment.deadline) * 1000n) continue;
      await this.#settle(item, head);
    }
  }

  async #settle(item: Item, head: ChainHead): Promise<void> {
    const own = this.#withSignatures(item);
    if (!own) return;
    const { escrow, sender, logger } = this.options;
    const parentId = item.args.payment.parent;
    if (await escrow.isSettled(item.paymentId, head.height)) return;
    item.sending = true;
    this.options.lifecycle.publish({
      txHash: item.record.delta.txHash,
      stage: WireStage.QUEUED_ONCHAIN,
      unixMillis: head.timestampMs,
      blockHeight: head.height,
    });
    try {
      if (bytesEqual(parentId, NO_PARENT) || (await escrow.isSettled(parentId, head.height))) {
        await escrow.settle(sender, own);
      } else {
        const parent = [...this.#items.values()].find((i) => bytesEqual(i.paymentId, parentId));
        const parentArgs = parent && this.#withSignatures(parent);
        if (!parentArgs) return;
        await escrow.settleChain(sender, parentArgs, own);
      }
      logger.info({ txHash: toHex(item.record.delta.txHash) }, 'escrow payment settled');
    } catch (err) {
      const name = err instanceof EscrowRevertError ? (err.errorName ?? 'reverted') : undefined;
      logger.debug(
        { txHash: toHex(item.record.delta.txHash), reason: name ?? (err as Error).message },
        'escrow settlement not sent; retrying at the next block',
      );
    } finally {
      item.sending = false;
    }
  }

  /** The settle arguments once the committee's threshold of settlement signatures is known. */
  #withSignatures(item: Item): SettleArgs | undefined {
    const { suite, committee, escrow } = this.options;
    const digest = escrowSettlementDigest(escrow.domain, item.paymentId, committee.epoch);
    const certSignatures = settlementQuorum(
      suite,
      digest,
      this.options.signaturesOf(item.record.delta.txHash),
      committee,
    );
    return certSignatures && { ...item.args, certSignatures };
  }
}
