import { byteKey } from '../bytes.ts';

/**
 * Map keys for the ledger (compact binary strings, see `byteKey`). A lane is (sender, nonce key). A holding is (account, TIP-20 asset).
 */
export function laneKey(sender: Uint8Array, nonceKey: Uint8Array): string {
  return byteKey(sender) + byteKey(nonceKey);
}

export function holdingKey(account: Uint8Array, asset: Uint8Array): string {
  return byteKey(account) + byteKey(asset);
}
