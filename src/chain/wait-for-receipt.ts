import { toHex } from '../protocol/bytes.ts';
import { ChainError, type ChainPort, type ChainReceipt } from './chain-port.ts';

/**
 * Polls `chain.receipt(txHash)` every `intervalMs` until it exists; a ChainError NOT_INCLUDED after
 * `timeoutMs`. Read failures propagate.
 */
export async function waitForReceipt(
  chain: ChainPort,
  txHash: Uint8Array,
  { timeoutMs = 30_000, intervalMs = 50 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<ChainReceipt> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const receipt = await chain.receipt(txHash);
    if (receipt) return receipt;
    if (Date.now() >= deadline) {
      throw new ChainError('NOT_INCLUDED', `no receipt for ${toHex(txHash)} after ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
