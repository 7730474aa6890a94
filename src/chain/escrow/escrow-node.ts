import {
  BaseError,
  createPublicClient,
  decodeErrorResult,
  type Hex,
  http,
  type PublicClient,
  type TransactionReceipt,
} from 'viem';
import { toHex } from '../../protocol/bytes.ts';
import type { ChainPort } from '../chain-port.ts';
import { PATH_USD } from '../tempo-tokens.ts';
import { signTempoTx, type TempoCall, type TempoCreate, type TempoFees } from '../tempo-tx.ts';
import { createViemChain } from '../viem-chain.ts';
import { ALLEGRO_ESCROW_ABI } from './allegro-escrow-artifact.ts';
import { EscrowRevertError } from './escrow-revert-error.ts';

/** Who signs and pays for an escrow transaction: a secp256k1 key (32 bytes) and its 20-byte address. */
export interface EscrowSender {
  readonly privateKey: Uint8Array;
  readonly address: Uint8Array;
}

/** How an escrow transaction is sent. Defaults: the protocol nonce (key 0) read at the head, fees in pathUSD. */
export interface EscrowTxOptions {
  readonly nonceKey?: Uint8Array;
  readonly nonce?: bigint;
  readonly feeToken?: Uint8Array;
  readonly fees?: TempoFees;
}

/** The node connections an escrow adapter reads and writes through. */
export interface EscrowNode {
  readonly chainId: bigint;
  readonly client: PublicClient;
  readonly chain: ChainPort;
  /**
   * Signs `calls` as one 0x76 transaction from `sender`, sends it and waits for its receipt. A single contract
   * call is first simulated (eth_call), so a refusal is an EscrowRevertError naming the contract's error; a
   * transaction that reverts on chain anyway is an EscrowRevertError without a name.
   */
  send(
    sender: EscrowSender,
    calls: readonly (TempoCall | TempoCreate)[],
    options?: EscrowTxOptions,
  ): Promise<TransactionReceipt>;
  close(): Promise<void>;
}

const PROTOCOL_NONCE_KEY = new Uint8Array(32);
const RECEIPT_TIMEOUT_MS = 60_000;

/** Connects to the node at `rpcUrl` (HTTP JSON-RPC, no retries) for escrow reads and writes. */
export async function openEscrowNode(rpcUrl: string): Promise<EscrowNode> {
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }), pollingInterval: 50 });
  const chain = createViemChain({ rpcUrl });
  const chainId = BigInt(await client.getChainId());

  const simulate = async (sender: EscrowSender, call: TempoCall): Promise<void> => {
    try {
      await client.call({ account: toHex(sender.address), to: toHex(call.to), data: toHex(call.data) });
    } catch (err) {
      throw revertOf(err);
    }
  };

  return {
    chainId,
    client: client as PublicClient,
    chain,
    async send(sender, calls, options = {}) {
      const [only] = calls;
      if (calls.length === 1 && only && !('create' in only)) await simulate(sender, only);
      const nonceKey = options.nonceKey ?? PROTOCOL_NONCE_KEY;
      const nonce =
        options.nonce ?? (await chain.nonce(sender.address, nonceKey, (await chain.head()).height));
      const raw = signTempoTx({
        chainId,
        senderKey: sender.privateKey,
        calls,
        nonceKey,
        nonce,
        feeToken: options.feeToken ?? PATH_USD,
        ...(options.fees ? { fees: options.fees } : {}),
      });
      const hash = toHex(await chain.sendRawTransaction(raw));
      const receipt = await client.waitForTransactionReceipt({ hash, timeout: RECEIPT_TIMEOUT_MS });
      if (receipt.status !== 'success') {
        throw new EscrowRevertError(undefined, [], `escrow transaction ${hash} reverted on chain`);
      }
      return receipt;
    },
    close: () => chain.close(),
  };
}

/** The contract's custom error behind a failed eth_call, as an EscrowRevertError (any other failure as is). */
function revertOf(err: unknown): Error {
  const data = err instanceof BaseError ? findRevertData(err) : undefined;
  if (!data) return err instanceof Error ? err : new Error(String(err));
  try {
    const decoded = decodeErrorResult({ abi: ALLEGRO_ESCROW_ABI, data });
    return new EscrowRevertError(
      decoded.errorName,
      decoded.args ?? [],
      `escrow reverts: ${decoded.errorName}`,
      {
        cause: err,
      },
    );
  } catch {
    return new EscrowRevertError(undefined, [], `escrow reverts with ${data}`, { cause: err });
  }
}

function findRevertData(err: BaseError): Hex | undefined {
  let data: Hex | undefined;
  err.walk((e) => {
    const d = (e as { data?: unknown }).data;
    if (typeof d === 'string' && d.startsWith('0x') && d.length >= 10) data = d as Hex;
    return false;
  });
  return data;
}
