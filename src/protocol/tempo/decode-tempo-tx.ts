import type { CryptoSuite } from '../crypto/suite.ts';
import { decodeEscrowPayment } from '../escrow/decode-escrow-payment.ts';
import { TempoTxFormat } from '../types.ts';
import { decodeEvmTx } from './decode-evm-tx.ts';
import { decodeTempoNativeTx } from './decode-tempo-native-tx.ts';
import { type DecodeTempoTxResult, invalidTx } from './decoded-tempo-tx.ts';

export type { DecodedTempoTx, DecodeTempoTxResult } from './decoded-tempo-tx.ts';

/** Largest signed tx a sidecar looks at: 128 KiB (reference §6.2 A6). */
export const MAX_TEMPO_TX_BYTES = 128 * 1024;

/**
 * Decodes a signed payment tx according to its `TempoTxFormat` and checks that it is exactly one TIP-20 transfer
 * (reference §6.2 A5–A8, A10, A11 and §7, with the §14 fixes described on each decoder). Bad input of any kind is
 * a `Reject` value, never an exception: INVALID_FORMAT for malformed bytes, NOT_PAYMENT_TX for well-formed txs
 * that are not a plain payment.
 */
export function decodeTempoTx(suite: CryptoSuite, format: number, bytes: Uint8Array): DecodeTempoTxResult {
  if (bytes.length === 0) return invalidTx('empty tempo_tx');
  if (bytes.length > MAX_TEMPO_TX_BYTES) return invalidTx('tempo_tx exceeds maximum size');
  switch (format) {
    case TempoTxFormat.EVM_OPAQUE_BYTES_V1:
      return decodeEvmTx(suite, bytes);
    case TempoTxFormat.TEMPO_NATIVE_V1:
      return decodeTempoNativeTx(suite, bytes);
    case TempoTxFormat.ALLEGRO_ESCROW_V1:
      return decodeEscrowPayment(suite, bytes);
    case TempoTxFormat.UNSPECIFIED:
      return invalidTx('tempo_tx_format must be specified');
    default:
      return invalidTx('unknown tempo_tx_format value');
  }
}
