import type { Hex } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import type { DemoAccount } from '../chain/demo-accounts.ts';
import { fromHex } from '../protocol/bytes.ts';
import { conservationKey } from './conservation.ts';

/** `count` payers P0, P1, … (the conservation keys), each to be funded with `alphaUsd` on the devnet. */
export function chaosPayers(
  count: number,
  alphaUsd: bigint,
): { keys: Hex[]; addresses: Uint8Array[]; accounts: DemoAccount[] } {
  const keys = Array.from({ length: count }, (_, i) => conservationKey(i));
  const addresses = keys.map((k) => fromHex(privateKeyToAddress(k)));
  const accounts = keys.map((k, i) => ({
    name: `P${i}`,
    privateKey: fromHex(k),
    address: addresses[i]!,
    alphaUsd,
  }));
  return { keys, addresses, accounts };
}
