import { toHex } from '../bytes.ts';

/**
 * Map keys for the ledger. A contention key is (sender, nonce key, sequence): at most one tx is ever signed per
 * key (reference §6.3). A lane is (sender, nonce key). A holding is (account, TIP-20 asset).
 */
export function laneKey(sender: Uint8Array, nonceKey: Uint8Array): string {
  return `${toHex(sender)}/${toHex(nonceKey)}`;
}

export function contentionKey(sender: Uint8Array, nonceKey: Uint8Array, seq: bigint): string {
  return `${laneKey(sender, nonceKey)}/${seq}`;
}

export function holdingKey(account: Uint8Array, asset: Uint8Array): string {
  return `${toHex(account)}/${toHex(asset)}`;
}
