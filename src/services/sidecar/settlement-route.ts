import { bytesEqual } from '../../protocol/bytes.ts';
import { decodeSubblockNonceKey, partialValidatorKey } from '../../protocol/tempo/subblock-nonce-key.ts';

/** `--lane`: ordinary dedicated 2D nonce keys, or the seed's sub-block layout (ARCHITECTURE.md "Sub-blocks"). */
export type SettlementLane = 'default' | 'subblock';

export const SETTLEMENT_LANES: readonly SettlementLane[] = ['default', 'subblock'];

/** Who forwards a payment and when: the primary at once, the others after a delay if it has not landed. */
export interface SettlementRoute {
  readonly primary: boolean;
  /** Blocks after the payment joins the queue before this sidecar forwards it. */
  readonly delayBlocks: number;
}

/**
 * The forwarding decision for a payment on nonce key `nonceKey`. With `default` lanes every sidecar forwards at
 * once (the reference forwarded everything plainly, §8). With `subblock` lanes a key `0x5b ‖ partial validator
 * key ‖ app data` routes the tx to the validator whose key starts with that partial key (Tempo
 * `PartialValidatorKey::matches`): that validator's sidecar is the primary forwarder; every other sidecar steps in
 * `stepInBlocks` later, so the payment still lands if the primary is down. Keys without the prefix are forwarded
 * by everyone at once.
 */
export function settlementRoute(
  lane: SettlementLane,
  nonceKey: Uint8Array,
  validatorKey: Uint8Array,
  stepInBlocks: number,
): SettlementRoute {
  const subblock = lane === 'subblock' ? decodeSubblockNonceKey(nonceKey) : undefined;
  if (!subblock) return { primary: true, delayBlocks: 0 };
  const primary = bytesEqual(subblock.partialValidatorKey, partialValidatorKey(validatorKey));
  return { primary, delayBlocks: primary ? 0 : stepInBlocks };
}
