import {
  BaseError,
  bytesToBigInt,
  ContractFunctionRevertedError,
  ContractFunctionZeroDataError,
  createPublicClient,
  http,
  numberToHex,
} from 'viem';
import { Abis, Addresses } from 'viem/tempo';
import { bytesEqual, fromHex, toHex } from '../protocol/bytes.ts';
import { isTip20Address } from '../protocol/tempo/tip20-transfer.ts';
import type { BackoffOptions } from '../util/backoff.ts';
import { blockFromRpc, type RpcBlock } from './block-from-rpc.ts';
import type { ChainHead, ChainPort, ChainReceipt } from './chain-port.ts';
import { headFromRpc, type RpcHeader } from './head-from-rpc.ts';
import { pollHeads } from './poll-heads.ts';
import { createPooledFetch } from './pooled-fetch.ts';
import { DEFAULT_BACKOFF, subscribeNewHeads } from './subscribe-new-heads.ts';
import { toChainError } from './to-chain-error.ts';

export interface ViemChainOptions {
  /** JSON-RPC over HTTP, used for every request. */
  readonly rpcUrl: string;
  /**
   * JSON-RPC over WebSocket, used for the `newHeads` subscription; without it heads are polled over HTTP, and so
   * they are while the socket is down.
   */
  readonly wsUrl?: string;
  /** Head polling interval without `wsUrl`, or while its socket is down. Default 250 ms. */
  readonly pollIntervalMs?: number;
  /** Per-request timeout. Default 10 s. */
  readonly timeoutMs?: number;
  /** WebSocket reconnect backoff (full jitter). Default caps 500 ms doubling to 30 s. */
  readonly backoff?: BackoffOptions;
  /** Kept-alive HTTP connections to the node at most; further requests queue. Default 16. */
  readonly maxConnections?: number;
}

/** Default bound of the HTTP connection pool to one node. */
export const DEFAULT_MAX_CONNECTIONS = 16;

/**
 * A ChainPort over any Tempo JSON-RPC node through viem. Requests are not retried (retryCount 0): a failure
 * surfaces at once as a ChainError and the caller decides when to try again. Nothing is cached. HTTP requests go
 * through a bounded pool of kept-alive connections (`maxConnections`), and the requests issued in one tick travel
 * as one JSON-RPC batch, so the reads of one block (nonces of every lane, receipts of every released payment) cost
 * one round trip, each answered or refused on its own.
 */
export function createViemChain(options: ViemChainOptions): ChainPort {
  const pool = createPooledFetch({ maxSockets: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS });
  const client = createPublicClient({
    transport: http(options.rpcUrl, {
      retryCount: 0,
      timeout: options.timeoutMs ?? 10_000,
      batch: true,
      fetchFn: pool.fetch,
    }),
  });
  const watches = new Set<() => void>();

  const head = (): Promise<ChainHead> =>
    rpc(async () => {
      const block = await client.request({ method: 'eth_getBlockByNumber', params: ['latest', false] });
      if (!block) throw new Error('node returned no latest block');
      return headFromRpc(block as RpcHeader);
    });

  return {
    chainId: () => rpc(async () => BigInt(await client.getChainId())),
    head,
    balanceOf: (token, account, blockNumber) =>
      rpc(() =>
        client.readContract({
          address: toHex(token),
          abi: Abis.tip20,
          functionName: 'balanceOf',
          args: [toHex(account)],
          blockNumber,
        }),
      ),
    feeTokenUsable: (token, blockNumber) =>
      rpc(async () => {
        if (!isTip20Address(token)) return false;
        const currency = await client
          .readContract({ address: toHex(token), abi: Abis.tip20, functionName: 'currency', blockNumber })
          .catch((err: unknown) => {
            if (isVerdictOfContract(err)) return undefined;
            throw err;
          });
        return currency === 'USD';
      }),
    nonce: (account, nonceKey, blockNumber) =>
      rpc(async () => {
        const key = bytesToBigInt(nonceKey);
        if (key === 0n)
          return BigInt(await client.getTransactionCount({ address: toHex(account), blockNumber }));
        return client.readContract({
          address: Addresses.nonceManager,
          abi: Abis.nonce,
          functionName: 'getNonce',
          args: [toHex(account), key],
          blockNumber,
        });
      }),
    sendRawTransaction: (raw) =>
      rpc(async () =>
        fromHex(await client.request({ method: 'eth_sendRawTransaction', params: [toHex(raw)] }), 32),
      ),
    receipt: (txHash) =>
      rpc(async () => {
        const r = await client.request({ method: 'eth_getTransactionReceipt', params: [toHex(txHash)] });
        if (!r) return undefined;
        const receipt: ChainReceipt = {
          txHash: fromHex(r.transactionHash, 32),
          blockNumber: BigInt(r.blockNumber),
          blockHash: fromHex(r.blockHash, 32),
          success: r.status === '0x1',
        };
        return receipt;
      }),
    block: (height) =>
      rpc(async () => {
        const block = (await client.request({
          method: 'eth_getBlockByNumber',
          params: [numberToHex(height), true],
        })) as RpcBlock | null;
        return block ? blockFromRpc(block) : undefined;
      }),
    watchHeads(onHead, onError) {
      let last: ChainHead | undefined;
      const onAnyHead = (h: ChainHead): void => {
        if (last && h.height === last.height && bytesEqual(h.hash, last.hash)) return;
        last = h;
        onHead(h);
      };
      const pollIntervalMs = options.pollIntervalMs ?? 250;
      const stop = options.wsUrl
        ? subscribeNewHeads(options.wsUrl, onAnyHead, onError, {
            backoff: options.backoff ?? DEFAULT_BACKOFF,
            // While the socket is down, heads come by polling, and the first answer reconnects it.
            whileDown: (nodeIsBack) =>
              pollHeads(
                head,
                pollIntervalMs,
                (h) => {
                  onAnyHead(h);
                  nodeIsBack();
                },
                () => {},
              ),
          })
        : pollHeads(head, pollIntervalMs, onAnyHead, onError);
      watches.add(stop);
      return () => {
        watches.delete(stop);
        stop();
      };
    },
    async close() {
      for (const stop of watches) stop();
      watches.clear();
      pool.close();
    },
  };
}

async function rpc<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toChainError(err);
  }
}

/**
 * Whether a failed contract read is the contract's own answer (it reverted, or there is no code at the address)
 * rather than the node failing to answer. viem wraps both in ContractFunctionExecutionError: only the first may
 * be read as "not a USD TIP-20"; an unreachable node must stay an error (UNAVAILABLE), never a verdict.
 */
function isVerdictOfContract(err: unknown): boolean {
  return (
    err instanceof BaseError &&
    err.walk(
      (e) => e instanceof ContractFunctionRevertedError || e instanceof ContractFunctionZeroDataError,
    ) !== null
  );
}
