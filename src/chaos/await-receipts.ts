import type { ChainPort, ChainReceipt } from '../chain/chain-port.ts';
import { createNodeCryptoSuite } from '../protocol/crypto/node-suite.ts';
import type { FastPayTx } from '../protocol/types.ts';

const suite = createNodeCryptoSuite();

/** Receipts of the payments' signed txs as they land, polling every half second until all are in or `timeoutMs` passed. */
export async function awaitReceipts<T extends { readonly tx: FastPayTx }>(
  chain: ChainPort,
  payments: readonly T[],
  timeoutMs: number,
): Promise<Map<T, ChainReceipt>> {
  const receipts = new Map<T, ChainReceipt>();
  const deadline = Date.now() + timeoutMs;
  while (receipts.size < payments.length && Date.now() < deadline) {
    for (const p of payments) {
      if (receipts.has(p)) continue;
      const receipt = await chain.receipt(suite.keccak256(p.tx.tempoTx!)).catch(() => undefined);
      if (receipt) receipts.set(p, receipt);
    }
    if (receipts.size < payments.length) await new Promise((r) => setTimeout(r, 500));
  }
  return receipts;
}
