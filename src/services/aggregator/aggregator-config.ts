/** Everything an aggregator process is started with (reference §9.6 flags plus Allegro's). */
export interface AggregatorConfig {
  /** Sidecar gRPC addresses, in committee order when the committee file names no URLs. */
  readonly sidecars: readonly string[];
  /** gRPC `host:port` (FastPayAggregator); port 0 picks one. */
  readonly listen: string;
  /** HTTP `host:port`: GraphQL (HTTP and WebSocket), REST, /metrics, /healthz and the web page. */
  readonly httpListen: string;
  readonly chainId: bigint;
  readonly epoch: bigint;
  /** `--committee FILE`; without it the committee is learned from the sidecars (and pinned). */
  readonly committeeFile?: string;
  /** Store spec: `memory`, `lmdb:DIR` or `redis://…`. */
  readonly store: string;
  /** Tempo JSON-RPC: the aggregator reads heads and on-chain stages itself. */
  readonly rpcUrl?: string;
  /** Tempo WebSocket JSON-RPC for new heads (default: poll `rpcUrl`). */
  readonly wsUrl?: string;
  /** Stately inspector WebSocket URL for the payment actors. */
  readonly inspect?: string;
  /** Blocks on top of the including block before FINALIZED. */
  readonly finalityDepth: number;
  /** Pause between bulletin board mirroring rounds; 0 reads boards only on demand. */
  readonly mirrorIntervalMs: number;
  /** Per-sidecar deadline of one call. */
  readonly upstreamTimeoutMs: number;
  /** Deadline of one certificate collection. */
  readonly submitDeadlineMs: number;
  /** Sidecar head polling interval when there is no `rpcUrl`. */
  readonly headPollMs: number;
  /** Origins allowed to call the HTTP API from a browser (`*`, exact, or `scheme://host:*`); default local pages. */
  readonly corsOrigins?: readonly string[];
  /**
   * The sidecars' `--max-expiry-ms`: a payment known only from their boards (its deadline unknown) and without a
   * QC is EXPIRED this long (plus 2 s of clock skew) after the aggregator first saw it (default 1 hour).
   */
  readonly maxExpiryMs?: number;
  /** Finished payments the store keeps at most, the first finished deleted first (default DEFAULT_RETAIN_FINISHED). */
  readonly retainFinished?: number;
  /** Concurrent gRPC calls per peer host (default DEFAULT_MAX_CALLS_PER_PEER). */
  readonly maxCallsPerPeer?: number;
  /** REST answers use the reference's stage names (0-5 only) unless a request asks otherwise. */
  readonly referenceStages?: boolean;
  /** A development chain (chain id 1337 or 31337): the API says so and names the demo accounts. */
  readonly devnetAccounts?: boolean;
}
