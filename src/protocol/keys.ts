import { byteKey } from './bytes.ts';

/**
 * Where funds are held: the payer's own wallet (undefined) or its balance in the AllegroEscrow contract
 * ('escrow'). Debits, credits and lanes of the two pools never mix: an escrow payment spends only escrow funds,
 * its lane's sequence is the escrow's, not the account's 2D nonce.
 */
export type Pool = 'escrow';

const poolSuffix = (pool: Pool | undefined): string => (pool ? `:${pool}` : '');

/**
 * Map keys for the ledger (compact binary strings, see `byteKey`). A lane is (sender, nonce key, pool). A holding
 * is (account, TIP-20 asset, pool). Wallet keys are exactly what they were before pools existed.
 */
export function laneKey(sender: Uint8Array, nonceKey: Uint8Array, pool?: Pool): string {
  return byteKey(sender) + byteKey(nonceKey) + poolSuffix(pool);
}

export function holdingKey(account: Uint8Array, asset: Uint8Array, pool?: Pool): string {
  return byteKey(account) + byteKey(asset) + poolSuffix(pool);
}

/** A sender's lane as `liveLanesOf` counts it: the nonce key, qualified by its pool. */
export function liveLaneKey(nonceKey: Uint8Array, pool?: Pool): string {
  return byteKey(nonceKey) + poolSuffix(pool);
}
