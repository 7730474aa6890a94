import { createPublicClient, http, numberToBytes, numberToHex } from 'viem';
import { fromHex } from '../protocol/bytes.ts';
import type { PaymentCall } from '../protocol/tempo/tip20-transfer.ts';
import type { ChainHead } from './chain-port.ts';
import { headFromRpc, type RpcHeader } from './head-from-rpc.ts';
import { toChainError } from './to-chain-error.ts';

/** A transaction as a block lists it: who sent it in which nonce lane, and what it calls. */
export interface BlockTransaction {
  readonly hash: Uint8Array;
  readonly sender: Uint8Array;
  /** 32 bytes; zero for EVM transactions (the protocol nonce). */
  readonly nonceKey: Uint8Array;
  readonly nonce: bigint;
  readonly calls: readonly PaymentCall[];
}

export interface ChainBlock {
  readonly head: ChainHead;
  readonly transactions: readonly BlockTransaction[];
}

/** Reads whole blocks with their transactions (`eth_getBlockByNumber(n, true)`). */
export interface BlockReader {
  /** The block at `height`, or undefined when the node has none yet. Throws ChainError. */
  block(height: bigint): Promise<ChainBlock | undefined>;
}

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

/** A BlockReader over a JSON-RPC node (Tempo 0x76 transactions list `nonceKey` and `calls`). */
export function createBlockReader(options: { rpcUrl: string; timeoutMs?: number }): BlockReader {
  const client = createPublicClient({
    transport: http(options.rpcUrl, { retryCount: 0, timeout: options.timeoutMs ?? 10_000 }),
  });
  return {
    async block(height) {
      let block: (RpcHeader & { transactions: RpcTransaction[] }) | null;
      try {
        block = (await client.request({
          method: 'eth_getBlockByNumber',
          params: [numberToHex(height), true],
        })) as typeof block;
      } catch (error) {
        throw toChainError(error);
      }
      if (!block) return undefined;
      return { head: headFromRpc(block), transactions: block.transactions.map(transactionFromRpc) };
    },
  };
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
