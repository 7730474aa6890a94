import { numberToBytes } from 'viem';
import { fromHex } from '../protocol/bytes.ts';
import type { BlockTransaction, ChainBlock } from './chain-port.ts';
import { headFromRpc, type RpcHeader } from './head-from-rpc.ts';

interface RpcCall {
  readonly to?: string | null;
  readonly value?: string;
  readonly input?: string;
  readonly data?: string | null;
}

interface RpcTransaction extends RpcCall {
  readonly hash: string;
  readonly from: string;
  readonly nonce: string;
  /** Tempo 0x76 transactions only. */
  readonly nonceKey?: string;
  readonly calls?: readonly RpcCall[];
}

/** A JSON-RPC block with full transactions (`eth_getBlockByNumber(n, true)`). */
export type RpcBlock = RpcHeader & { readonly transactions: readonly RpcTransaction[] };

/**
 * ChainBlock of a JSON-RPC block with full transactions: a Tempo 0x76 transaction lists its `nonceKey` and `calls`;
 * any other is one call in lane 0 (the protocol nonce).
 */
export function blockFromRpc(block: RpcBlock): ChainBlock {
  return { head: headFromRpc(block), transactions: block.transactions.map(transactionFromRpc) };
}

function transactionFromRpc(tx: RpcTransaction): BlockTransaction {
  const calls = tx.calls ?? [tx];
  return {
    hash: fromHex(tx.hash, 32),
    sender: fromHex(tx.from, 20),
    nonceKey: numberToBytes(BigInt(tx.nonceKey ?? '0x0'), { size: 32 }),
    nonce: BigInt(tx.nonce),
    calls: calls.map((call) => ({
      ...(call.to ? { to: fromHex(call.to, 20) } : {}),
      value: BigInt(call.value ?? '0x0'),
      data: fromHex(call.input ?? call.data ?? '0x'),
    })),
  };
}
