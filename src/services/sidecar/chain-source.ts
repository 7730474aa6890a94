import type { ChainFreshness } from '../../chain/chain-freshness.ts';
import type { ChainRead, ChainView } from '../../protocol/validation/chain-view.ts';
import { createStaticChainView, type StaticChainState } from '../../protocol/validation/static-chain-view.ts';

/** The head a sidecar reports (GetChainHead, reference §6.7). */
export interface HeadInfo {
  readonly height: bigint;
  readonly hash: Uint8Array;
  readonly timestampMs: bigint;
}

/**
 * Where a sidecar's chain view comes from: fixed values when standalone, or a Tempo node read at the last
 * processed block B. `view()` is the current view; `load` fetches values a decision asked for, at the same block
 * B, so the next `view()` answers them.
 */
export interface ChainSource {
  view(): ChainView;
  head(): HeadInfo;
  load(reads: readonly ChainRead[]): Promise<void>;
  /** Defined while B is moving; decisions wait for it (`load` does too). */
  moving?(): Promise<void> | undefined;
  /** How recent the chain's news is; only a source that follows a node has it. */
  freshness?(): ChainFreshness;
}

/**
 * The standalone sidecar's chain (no `--rpc-url`): a static height (reference §6.7 `--block-height`) and fixed
 * balances, but the wall clock as the head's timestamp, so unix-millis expiries do expire (the reference used a
 * frozen 1_700_000_000_000, §14).
 */
export function standaloneChainSource(
  state: Omit<StaticChainState, 'head'> & { height: bigint; now: () => bigint },
): ChainSource {
  const base = createStaticChainView({ ...state, head: { height: state.height, timestampMs: 0n } });
  const zeroHash = new Uint8Array(32);
  const head = () => ({ height: state.height, hash: zeroHash, timestampMs: state.now() });
  return {
    view: () => ({ ...base, head: head() }),
    head,
    load: async () => {},
  };
}
