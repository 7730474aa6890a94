import type { SettlementLane } from './settlement-route.ts';

/** On-chain settlement (ARCHITECTURE.md "Settle"); used with `rpcUrl`. */
export interface SettlementConfig {
  /** Payments queued or awaiting finality at most; then new submissions get TEMPORARY_UNAVAILABLE (last resort). */
  readonly maxPending: number;
  /** Refusals in a row by the node after which a tx is evicted from the queue (FAILED, lock kept). */
  readonly evictAfterRefusals: number;
  /** Millis of chain time an evicted tx's sender gets no new certificates (RATE_LIMITED). */
  readonly coolOffMs: number;
  /** Blocks on top of the including block before a payment is FINALIZED. */
  readonly finalityDepth: number;
  readonly lane: SettlementLane;
  /** Sub-block lanes: blocks a non-primary sidecar waits before it forwards too. */
  readonly forwardDelayBlocks: number;
}

/** Escrow mode (`--escrow`, `--settlement-key`; needs `rpcUrl`): certify and settle ALLEGRO_ESCROW_V1 payments. */
export interface SidecarEscrowConfig {
  /** 20-byte address of the AllegroEscrow this sidecar serves. */
  readonly address: Uint8Array;
  /**
   * 32-byte secp256k1 settlement key, registered in the escrow's committee: signs settlement digests, and its
   * account sends `settle` and pays its Tempo fee (pathUSD).
   */
  readonly settlementKey: Uint8Array;
}

/** Overrides of the certification rules (DEFAULT_RULES / DEFAULT_LANDABILITY); flags of `allegro sidecar`. */
export interface RulesConfig {
  readonly maxExpiryMs?: bigint;
  readonly maxPendingPerSender?: number;
  readonly maxPendingPerLane?: number;
  readonly settlementMarginMs?: bigint;
  readonly feeCapPercentOfBaseFee?: bigint;
  readonly transferGas?: bigint;
  readonly newNonceKeyGas?: bigint;
}

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
  /** Calls one peer host may have in progress (`--max-calls-per-peer`); more get RESOURCE_EXHAUSTED. */
  readonly maxCallsPerPeer?: number;
  /** Senders remembered in cool-off at once (`--max-cooling-senders`, LRU). */
  readonly maxCoolingSenders?: number;
  /** Seed the standalone chain view with the demo balances of `demoAsset`. */
  readonly demoBalances: boolean;
  readonly demoAsset: Uint8Array;
  /** Seed the reference sidecar's demo balances instead: 15/5/5 base units of its asset 0x20c0…aaaa. */
  readonly referenceDemoBalances?: boolean;
  /** Standalone: extra fixed balances (account, asset, amount in base units), e.g. for load tests. */
  readonly balances?: readonly { account: Uint8Array; asset: Uint8Array; amount: bigint }[];
  readonly peers: readonly string[];
  readonly gossipIntervalMs: number;
  readonly gossipPullLimit: number;
  readonly committeeFile?: string;
  /** Run in a committee below 4 members (no fault tolerated); refused without it. */
  readonly allowSmallCommittee?: boolean;
  /** Store spec: `memory`, `lmdb:DIR` or `redis://…`. */
  readonly store: string;
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  /** Tempo JSON-RPC over HTTP: chain state at block B and settlement. Standalone without it. */
  readonly rpcUrl?: string;
  /** Tempo JSON-RPC over WebSocket for `newHeads`; without it heads are polled over `rpcUrl`. */
  readonly wsUrl?: string;
  /** Stately inspector WebSocket URL (`--inspect ws://…`): every settlement machine is reported to it. */
  readonly inspect?: string;
  readonly settlement: SettlementConfig;
  /** `host:port` of an HTTP server for /metrics and /healthz; none when absent. */
  readonly httpListen?: string;
  readonly rules?: RulesConfig;
  readonly escrow?: SidecarEscrowConfig;
}
