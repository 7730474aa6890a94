import { ByteFormatError, concatBytes } from '../bytes.ts';

/** First byte of a sub-block nonce key (Tempo `TEMPO_SUBBLOCK_NONCE_KEY_PREFIX`; ARCHITECTURE.md "Sub-blocks"). */
export const SUBBLOCK_NONCE_KEY_PREFIX = 0x5b;
export const PARTIAL_VALIDATOR_KEY_BYTES = 15;
export const SUBBLOCK_APP_DATA_BYTES = 16;

/** The two payload parts of a sub-block nonce key. */
export interface SubblockNonceKey {
  readonly partialValidatorKey: Uint8Array;
  readonly appData: Uint8Array;
}

/**
 * The seed's sub-block nonce-key layout, 32 bytes big-endian: `0x5b ‖ 15-byte partial validator key ‖ 16 bytes of
 * application data` (Tempo `subblock.rs`: prefix in the most significant byte, `PartialValidatorKey<15>`). Wrong
 * part lengths are a caller bug and throw ByteFormatError. Current Tempo rejects this prefix; it is kept for
 * networks that still route sub-blocks.
 */
export function encodeSubblockNonceKey(partialValidatorKey: Uint8Array, appData: Uint8Array): Uint8Array {
  if (partialValidatorKey.length !== PARTIAL_VALIDATOR_KEY_BYTES) {
    throw new ByteFormatError(`partial validator key must be ${PARTIAL_VALIDATOR_KEY_BYTES} bytes`);
  }
  if (appData.length !== SUBBLOCK_APP_DATA_BYTES) {
    throw new ByteFormatError(`sub-block app data must be ${SUBBLOCK_APP_DATA_BYTES} bytes`);
  }
  return concatBytes(Uint8Array.of(SUBBLOCK_NONCE_KEY_PREFIX), partialValidatorKey, appData);
}

/** True when `nonceKey` is 32 bytes whose first byte is 0x5b (Tempo `has_sub_block_nonce_key_prefix`). */
export function isSubblockNonceKey(nonceKey: Uint8Array): boolean {
  return nonceKey.length === 32 && nonceKey[0] === SUBBLOCK_NONCE_KEY_PREFIX;
}

/** Splits a sub-block nonce key into its parts; undefined unless {@link isSubblockNonceKey}. */
export function decodeSubblockNonceKey(nonceKey: Uint8Array): SubblockNonceKey | undefined {
  if (!isSubblockNonceKey(nonceKey)) return undefined;
  return {
    partialValidatorKey: nonceKey.slice(1, 1 + PARTIAL_VALIDATOR_KEY_BYTES),
    appData: nonceKey.slice(1 + PARTIAL_VALIDATOR_KEY_BYTES),
  };
}

/**
 * The partial key that routes a sub-block tx to a validator: the first 15 bytes of its 32-byte public key, because
 * Tempo matches with `PartialValidatorKey::matches(validator) = validator.starts_with(partial)`. Throws
 * ByteFormatError for a key that is not 32 bytes.
 */
export function partialValidatorKey(publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== 32) throw new ByteFormatError('validator public key must be 32 bytes');
  return publicKey.slice(0, PARTIAL_VALIDATOR_KEY_BYTES);
}
