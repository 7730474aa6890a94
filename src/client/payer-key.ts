import { privateKeyToAddress } from 'viem/accounts';
import { fromHex, toHex } from '../protocol/bytes.ts';
import { AllegroClientError } from './errors.ts';

/**
 * The payer's secp256k1 private key, 32 bytes as 0x-hex or raw bytes. The client signs with the raw key
 * through `signTempoTransfer`, the same code the devnet uses, so an opaque signer (a viem Account) is not accepted.
 */
export type PayerKey = `0x${string}` | Uint8Array;

/** The key's 32 bytes; CONFIG error for anything else. */
export function payerKeyBytes(key: PayerKey): Uint8Array {
  const bytes = typeof key === 'string' ? fromHex(key) : key;
  if (bytes.length !== 32) throw new AllegroClientError('CONFIG', 'the payer key must be 32 bytes');
  return bytes;
}

/** The 20-byte address the key signs for. */
export function payerAddress(key: PayerKey): Uint8Array {
  return fromHex(privateKeyToAddress(toHex(payerKeyBytes(key))), 20);
}
