import type { ChainPort, ChainReceipt } from '../chain/chain-port.ts';
import { createNodeCryptoSuite } from '../protocol/crypto/node-suite.ts';
import type { FastPayTx } from '../protocol/types.ts';
import { awaitEach } from './await-each.ts';

const suite = createNodeCryptoSuite();

/** Receipts of the payments' signed txs as they land, polling every half second until all are in or `timeoutMs` passed. */
export function awaitReceipts<T extends { readonly tx: FastPayTx }>(
  chain: ChainPort,
  payments: readonly T[],
  timeoutMs: number,
): Promise<Map<T, ChainReceipt>> {
  return awaitEach(payments, (p) => chain.receipt(suite.keccak256(p.tx.tempoTx!)), timeoutMs);
}
