/**
 * What a chain-following sidecar requires before it certifies, so that what it certifies is what its node would
 * include (ARCHITECTURE.md "Landability"). Figures measured on `anvil --network tempo` (devnet) are cited beside
 * each default; networks with TIP-1000 storage pricing need the gas figures raised (flags).
 */
export interface LandabilityRules {
  /** The node refuses `validBefore ≤ now + this` (Tempo: 3 s). */
  readonly nodeMinValidBeforeMs: bigint;
  /** Extra time the tx must still have after B for settlement to forward it and the node to include it. */
  readonly settlementMarginMs: bigint;
  /** `maxFeePerGas` must be at least the base fee at B times this, in percent (200 = 2×). */
  readonly feeCapPercentOfBaseFee: bigint;
  /** Gas a TIP-20 transfer needs on a nonce key already used (devnet: 57,546 to an existing, 74,646 to a new recipient). */
  readonly transferGas: bigint;
  /** Gas a TIP-20 transfer needs when it opens its nonce key (seq 0; devnet: 91,518 with a new recipient). */
  readonly newNonceKeyGas: bigint;
}

export interface DecisionRules {
  /** Set on chain-following sidecars: the node's inclusion rules. Standalone sidecars have no chain to land on. */
  readonly landability?: LandabilityRules;
  /** A payment's deadline (validBefore, else its expiry) may be at most this far after B's time. */
  readonly maxExpiryMs: bigint;
  /** A block-height expiry may be at most this many blocks after B. */
  readonly maxExpiryBlocks: bigint;
  /** Live (unsettled) certified payments per sender at this validator; beyond it RATE_LIMITED. */
  readonly maxPendingPerSender: number;
  /** Live certified payments per (sender, nonce key); beyond it RATE_LIMITED. */
  readonly maxPendingPerLane: number;
}

export const DEFAULT_LANDABILITY: LandabilityRules = {
  nodeMinValidBeforeMs: 3_000n,
  settlementMarginMs: 5_000n,
  feeCapPercentOfBaseFee: 200n,
  transferGas: 80_000n,
  newNonceKeyGas: 100_000n,
};

export const DEFAULT_RULES: DecisionRules = {
  maxExpiryMs: 3_600_000n,
  maxExpiryBlocks: 3_600n,
  maxPendingPerSender: 64,
  maxPendingPerLane: 64,
};
