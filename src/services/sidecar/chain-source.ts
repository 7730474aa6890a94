import type { ChainRead, ChainView } from '../../protocol/validation/chain-view.ts';

/**
 * Where a sidecar's chain view comes from: a static head and balances when standalone, or a Tempo node read at
 * the last processed block B. `view()` is the current view; `load` fetches values the decision asked for, at the
 * same block B, so the next `view()` answers them.
 */
export interface ChainSource {
  view(): ChainView;
  load(reads: readonly ChainRead[]): Promise<void>;
}

/** A chain source that never changes: the standalone sidecar's (reference §6.7, static head). */
export function staticChainSource(view: ChainView): ChainSource {
  return {
    view: () => view,
    load: async () => {},
  };
}
