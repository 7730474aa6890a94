/**
 * The devnet keys: the well-known private keys of the demo accounts of a local development chain (public test
 * keys, worthless anywhere else). The page signs with them in the browser and never sends them anywhere; it offers
 * them only when devKeysOffered says so.
 */

import { DEMO_ACCOUNTS } from '../../src/chain/demo-accounts.ts';
import { toHex } from '../../src/protocol/bytes.ts';

/** Chain ids of local development chains (anvil's 31337, the devnet's 1337). */
const DEV_CHAIN_IDS: ReadonlySet<bigint> = new Set([1337n, 31337n]);

/** Private key by 0x-lowercase address. */
export const DEVNET_KEYS: ReadonlyMap<string, Uint8Array> = new Map(
  DEMO_ACCOUNTS.map((a) => [toHex(a.address), a.privateKey]),
);

/** Dev keys are offered only when the aggregator says it serves a devnet AND the chain id is a dev chain's. */
export function devKeysOffered(chainId: bigint, devnet: boolean): boolean {
  return devnet && DEV_CHAIN_IDS.has(chainId);
}
