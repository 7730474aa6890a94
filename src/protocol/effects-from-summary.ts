import { isU64 } from './bytes.ts';
import { ADDRESS_LENGTH, NONCE_KEY_LENGTH } from './hashing.ts';
import type { Effects, EffectsSummary } from './types.ts';

/**
 * Parses a wire `EffectsSummary` into `Effects`: 20-byte sender, recipient and asset, a nonce with a 32-byte
 * key, u64 amount and sequence (the fields §3.2 hashes). Undefined when any field is missing or malformed.
 */
export function effectsFromSummary(summary: EffectsSummary): Effects | undefined {
  const { sender, recipient, asset, nonce, amount } = summary;
  if (sender?.length !== ADDRESS_LENGTH || recipient?.length !== ADDRESS_LENGTH) return undefined;
  if (asset?.length !== ADDRESS_LENGTH || nonce?.nonceKey.length !== NONCE_KEY_LENGTH) return undefined;
  if (!isU64(amount) || !isU64(nonce.seq)) return undefined;
  return { sender, recipient, amount, asset, nonce };
}
