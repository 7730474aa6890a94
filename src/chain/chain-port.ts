import type { PaymentCall } from '../protocol/tempo/tip20-transfer.ts';

/**
 * The Tempo chain port: everything the rest of Allegro needs from a Tempo node (ARCHITECTURE.md, "Chain").
 * Addresses are 20 raw bytes, hashes and nonce keys 32 raw bytes, every number a bigint.
 */

/** A block header as seen by Allegro. `timestampMs` is Tempo's millisecond timestamp when the node has it. */
export interface ChainHead {
  readonly height: bigint;
  readonly hash: Uint8Array;
  readonly timestampMs: bigint;
  /** The block's base fee per gas (attodollars), when the node reports one. */
  readonly baseFeePerGas?: bigint;
}

/** The receipt of an included transaction; `success` is false when it was included but reverted. */
export interface ChainReceipt {
  readonly txHash: Uint8Array;
  readonly blockNumber: bigint;
  readonly blockHash: Uint8Array;
  readonly success: boolean;
}

/** A transaction as a block lists it: who sent it in which nonce lane, and what it calls. */
export interface BlockTransaction {
  readonly hash: Uint8Array;
  readonly sender: Uint8Array;
  /** 32 bytes; zero for EVM transactions (the protocol nonce). */
  readonly nonceKey: Uint8Array;
  readonly nonce: bigint;
  readonly calls: readonly PaymentCall[];
}

/** A whole block: its head and its transactions in order. */
export interface ChainBlock {
  readonly head: ChainHead;
  readonly transactions: readonly BlockTransaction[];
}

export interface ChainPort {
  chainId(): Promise<bigint>;
  /** The latest block. */
  head(): Promise<ChainHead>;
  /** TIP-20 `balanceOf(account)` of `token` as of block `blockNumber`. */
  balanceOf(token: Uint8Array, account: Uint8Array, blockNumber: bigint): Promise<bigint>;
  /**
   * Whether `token` can pay fees as of block `blockNumber`: a TIP-20 whose `currency()` is "USD" (Tempo's fee
   * rule; Fee AMM liquidity against the validator's token is not checked here).
   */
  feeTokenUsable(token: Uint8Array, blockNumber: bigint): Promise<boolean>;
  /** Next 2D nonce of `account` in lane `nonceKey` as of block `blockNumber` (key 0 is the protocol nonce). */
  nonce(account: Uint8Array, nonceKey: Uint8Array, blockNumber: bigint): Promise<bigint>;
  /**
   * Broadcasts a signed transaction and returns the node's tx hash. A refusal is a ChainError whose code says
   * why; ALREADY_KNOWN and NONCE_TOO_LOW mean "look up the receipt", not success.
   */
  sendRawTransaction(raw: Uint8Array): Promise<Uint8Array>;
  /** The receipt, or undefined while the transaction is not included. */
  receipt(txHash: Uint8Array): Promise<ChainReceipt | undefined>;
  /** The block at `height` with its transactions, or undefined when the node has none (yet, or any more). */
  block(height: bigint): Promise<ChainBlock | undefined>;
  /**
   * Calls `onHead` for every new head: one that differs from the last one reported (a `newHeads` subscription
   * over WebSocket, else polling over HTTP). A head at or below the last height means the chain reorganised or
   * was reset (a devnet restarted from genesis); a follower that only moves forward ignores it. Connection problems go to `onError`; watching continues until
   * the returned function is called.
   */
  watchHeads(onHead: (head: ChainHead) => void, onError: (error: Error) => void): () => void;
  /** Stops every watch and releases connections. */
  close(): Promise<void>;
}

/**
 * Why the node refused or could not answer:
 * - ALREADY_KNOWN: the same transaction is already in the pool (or known to the node);
 * - NONCE_TOO_LOW: the nonce was used, possibly by this very transaction;
 * - REPLACEMENT_UNDERPRICED: another transaction holds the same nonce in the pool;
 * - INSUFFICIENT_FUNDS: the fee payer cannot cover the maximum fee in its fee token;
 * - EXPIRED: `validBefore` is too close or past;
 * - UNAVAILABLE: no answer (connection refused, timeout, socket closed);
 * - REJECTED: any other refusal by the node;
 * - NOT_INCLUDED: a transaction had no receipt before a deadline;
 * - BINARY_MISSING, PORT_IN_USE, START_FAILED: a local node (anvil) could not be started.
 */
export type ChainErrorCode =
  | 'ALREADY_KNOWN'
  | 'NONCE_TOO_LOW'
  | 'REPLACEMENT_UNDERPRICED'
  | 'INSUFFICIENT_FUNDS'
  | 'EXPIRED'
  | 'UNAVAILABLE'
  | 'REJECTED'
  | 'NOT_INCLUDED'
  | 'BINARY_MISSING'
  | 'PORT_IN_USE'
  | 'START_FAILED';

/** The chain layer's error: a code plus the node's message. */
export class ChainError extends Error {
  constructor(
    readonly code: ChainErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ChainError';
  }
}
