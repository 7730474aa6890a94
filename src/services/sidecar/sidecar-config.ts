/** Everything a sidecar process is started with (reference §6.10 flags plus Allegro's). */
export interface SidecarConfig {
  readonly name: string;
  /** `host:port`; port 0 picks a free one. */
  readonly listen: string;
  /** 32-byte Ed25519 seed: the validator's signing key (reference §4). */
  readonly seed: Uint8Array;
  readonly validatorId: Uint8Array;
  readonly chainId: bigint;
  readonly epoch: bigint;
  /** Static head height when standalone. */
  readonly blockHeight: bigint;
  readonly maxTotalCerts: number;
  readonly maxKnownQcs: number;
  readonly maxRequestCache: number;
  readonly maxBulletinBoardResponse: number;
  /** Seed the standalone chain view with the demo balances of `demoAsset`. */
  readonly demoBalances: boolean;
  readonly demoAsset: Uint8Array;
  readonly peers: readonly string[];
  readonly gossipIntervalMs: number;
  readonly gossipPullLimit: number;
  readonly committeeFile?: string;
  /** Store spec: `memory`, `file:DIR` or `redis://…`. */
  readonly store: string;
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  readonly rpcUrl?: string;
}
