import { repeatByte } from '../protocol/bytes.ts';

/**
 * A payer's Allegro lane: the 2D nonce key its payments use, one sequence after another (ARCHITECTURE.md
 * "Build"). 32 bytes, big-endian.
 */
export interface Lane {
  readonly nonceKey: Uint8Array;
}

/** Nonce key 1: an ordinary dedicated 2D key (key 0 is the protocol nonce; 0x5b… keys are sub-block lanes). */
export const DEFAULT_LANE: Lane = { nonceKey: Uint8Array.of(...repeatByte(0, 31), 1) };
