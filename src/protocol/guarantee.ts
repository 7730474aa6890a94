import { TempoTxFormat } from './types.ts';

/**
 * What a QC is worth (ARCHITECTURE.md "What a QC guarantees: two modes"). LOCKED (direct mode): 2f+1 validators
 * saw the funds at one block and locked the nonce, but the payer can still make the payment fail by spending the
 * same funds on chain outside Allegro. ESCROWED: the funds sit in the escrow contract and the QC'd payment settles
 * unless more than f validators are Byzantine.
 */
export type Guarantee = 'LOCKED' | 'ESCROWED';

/** The guarantee of a payment by its signed tx's format: ESCROWED only for ALLEGRO_ESCROW_V1, LOCKED otherwise. */
export function guaranteeOf(format: number | undefined): Guarantee {
  return format === TempoTxFormat.ALLEGRO_ESCROW_V1 ? 'ESCROWED' : 'LOCKED';
}
