import { bytesEqual, toHex } from '../bytes.ts';
import { type Reject, RejectCode, reject } from '../reject.ts';
import type { DecodedTempoTx } from '../tempo/decoded-tempo-tx.ts';
import type { ChainRead, ChainView } from './chain-view.ts';
import type { LandabilityRules } from './decision-rules.ts';

const notLandable = (message: string): Reject => reject(RejectCode.NOT_LANDABLE, message);
const ZERO_KEY = new Uint8Array(32);

/**
 * Is `tx` an escrow payment this validator can certify at all? Only on the AllegroEscrow it serves (ChainView
 * `escrow`): a QC for another contract would carry settlement signatures nobody settles.
 */
export function escrowPaymentProblem(tx: DecodedTempoTx, chain: ChainView, what = 'tx'): Reject | undefined {
  if (!chain.escrow) return notLandable(`${what}: this validator serves no escrow`);
  if (!tx.escrow || !bytesEqual(tx.escrow, chain.escrow))
    return notLandable(
      `${what}: escrow ${tx.escrow ? toHex(tx.escrow) : '(none)'} is not the one this validator serves (${toHex(chain.escrow)})`,
    );
  return undefined;
}

/**
 * Would the node include this signed tx now, at B? (ARCHITECTURE.md "Landability"; fixes the audit's "certified
 * but unlandable" findings.) `validBefore` is required and must leave the node's minimum plus the settlement
 * margin after B's time; `validAfter` must have passed; the fee cap must cover the base fee at B times the safety
 * factor; the gas limit must cover a transfer (opening the nonce key at seq 0); the fee token must be usable for
 * fees at B. EVM formats carry no deadline and are refused. An escrow payment is settled by a sidecar paying the
 * fee itself: only its escrow and its deadline (with the same margin) matter. Returns the refusal (which rule, by
 * how much), the chain values still to load, or undefined when landable.
 */
export function landabilityProblem(
  tx: DecodedTempoTx,
  chain: ChainView,
  rules: LandabilityRules,
  reads: ChainRead[],
  what = 'tx',
): Reject | undefined {
  if (tx.kind === 'escrow')
    return escrowPaymentProblem(tx, chain, what) ?? deadlineProblem(tx, chain, rules, what);
  if (tx.kind !== 'tempo')
    return notLandable(`${what}: ${tx.kind} txs carry no validBefore; send a Tempo 0x76 tx with validBefore`);
  const deadline = deadlineProblem(tx, chain, rules, what);
  if (deadline) return deadline;
  const nowMs = chain.head.timestampMs;
  if (tx.validAfter !== undefined && tx.validAfter * 1000n > nowMs)
    return notLandable(
      `${what}: validAfter ${tx.validAfter} has not passed (${tx.validAfter * 1000n - nowMs} ms ahead)`,
    );
  const baseFee = chain.head.baseFeePerGas ?? 0n;
  const minCap = (baseFee * rules.feeCapPercentOfBaseFee + 99n) / 100n;
  if (tx.maxFeePerGas < minCap || tx.maxFeePerGas === 0n) {
    return notLandable(
      `${what}: maxFeePerGas ${tx.maxFeePerGas} below ${minCap} (${rules.feeCapPercentOfBaseFee}% of base fee ${baseFee})`,
    );
  }
  const needGas =
    tx.nonce === 0n && !bytesEqual(tx.nonceKey, ZERO_KEY) ? rules.newNonceKeyGas : rules.transferGas;
  if (tx.gasLimit < needGas)
    return notLandable(
      `${what}: gas limit ${tx.gasLimit} below ${needGas} (short by ${needGas - tx.gasLimit})`,
    );
  if (tx.feeToken) {
    const usable = chain.feeTokenUsable(tx.feeToken);
    if (usable === undefined) reads.push({ kind: 'feeTokenUsable', token: tx.feeToken });
    else if (!usable)
      return notLandable(
        `${what}: fee token ${toHex(tx.feeToken)} is not usable for fees (not a USD TIP-20)`,
      );
  }
  return undefined;
}

/** `validBefore` is set and leaves the node's minimum plus the settlement margin after B's time. */
function deadlineProblem(
  tx: DecodedTempoTx,
  chain: ChainView,
  rules: LandabilityRules,
  what: string,
): Reject | undefined {
  if (tx.validBefore === undefined) return notLandable(`${what}: validBefore is required`);
  const minMs = chain.head.timestampMs + rules.nodeMinValidBeforeMs + rules.settlementMarginMs;
  const deadlineMs = tx.validBefore * 1000n;
  if (deadlineMs >= minMs) return undefined;
  return notLandable(
    `${what}: validBefore ${tx.validBefore} is ${minMs - deadlineMs} ms too soon (needs ≥ head time + ` +
      `${rules.nodeMinValidBeforeMs + rules.settlementMarginMs} ms)`,
  );
}
