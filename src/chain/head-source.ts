/**
 * Where an observer's chain head comes from, stated beside every block height it reports ("QC at block N"), so the
 * demo, the aggregator and the page say which clock they read: the observer's own view of the Tempo node, or,
 * without a node, the sidecars' reports.
 */
export function nodeHeadSource(options: { readonly rpcUrl: string; readonly wsUrl?: string }): string {
  return options.wsUrl
    ? `the Tempo node's newHeads at ${options.wsUrl}`
    : `the Tempo node's latest block, polled at ${options.rpcUrl}`;
}

/** The head of an observer without a Tempo node: the (f+1)-th highest the sidecars report (one cannot lie it up). */
export const SIDECAR_HEAD_SOURCE = 'the (f+1)-th highest head the sidecars report';
