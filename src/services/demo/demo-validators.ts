import { repeatByte } from '../../protocol/bytes.ts';

/** A validator of a demo committee: its name, 32-byte id and 32-byte Ed25519 seed. */
export interface DemoValidator {
  readonly name: string;
  readonly id: Uint8Array;
  readonly seed: Uint8Array;
  /** 32-byte secp256k1 settlement key, registered in the demo escrow's committee (escrow mode). */
  readonly settlementKey: Uint8Array;
}

const NAMES = ['Dave', 'Edgar', 'Fay', 'Gus', 'Hana', 'Ivan', 'Judy', 'Karl', 'Lena', 'Milo'];

/** Most validators a demo committee has. */
export const MAX_DEMO_VALIDATORS = NAMES.length;

/**
 * `n` deterministic validators: Dave (id 0xd1…, seed 0x41…) and Edgar (0xe1…, 0x42…) as in the reference demo
 * (§12.1), then Fay, Gus, … with ids 0xa2…, 0xa3…, … and seeds 0x43…, 0x44…, …; settlement keys 0x61…, 0x62…, ….
 */
export function demoValidators(n: number): DemoValidator[] {
  if (!Number.isInteger(n) || n < 1 || n > MAX_DEMO_VALIDATORS) {
    throw new RangeError(`a demo committee has 1 to ${MAX_DEMO_VALIDATORS} validators, not ${n}`);
  }
  return NAMES.slice(0, n).map((name, i) => ({
    name,
    id: repeatByte(i === 0 ? 0xd1 : i === 1 ? 0xe1 : 0xa0 + i, 32),
    seed: repeatByte(0x41 + i, 32),
    settlementKey: repeatByte(0x61 + i, 32),
  }));
}
