import { holdingKey, laneKey } from '../keys.ts';
import type { ChainView } from './chain-view.ts';

export interface StaticChainState {
  readonly head: { readonly height: bigint; readonly timestampMs: bigint };
  /** Balances by (account, asset); absent holdings are zero. */
  readonly balances: readonly { account: Uint8Array; asset: Uint8Array; amount: bigint }[];
  /** Chain nonces by (account, nonce key); absent lanes are zero. */
  readonly nonces?: readonly { account: Uint8Array; nonceKey: Uint8Array; nonce: bigint }[];
}

/**
 * A chain view with fixed values and no fees: what a standalone sidecar (no `--rpc-url`) sees, with a static head
 * and the demo balances (reference §6.5, §6.7). Every read is answered, so decisions never ask to fetch.
 */
export function createStaticChainView(state: StaticChainState): ChainView {
  const balances = new Map(state.balances.map((b) => [holdingKey(b.account, b.asset), b.amount]));
  const nonces = new Map((state.nonces ?? []).map((n) => [laneKey(n.account, n.nonceKey), n.nonce]));
  return {
    head: state.head,
    chargesFees: false,
    balanceOf: (account, asset) => balances.get(holdingKey(account, asset)) ?? 0n,
    nonceOf: (account, nonceKey) => nonces.get(laneKey(account, nonceKey)) ?? 0n,
    defaultFeeToken: () => undefined,
    feeTokenUsable: () => true,
  };
}
