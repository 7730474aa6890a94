import { repeatByte } from '../../src/protocol/bytes.ts';
import { signCertificate } from '../../src/protocol/certificate.ts';
import { effectsHash } from '../../src/protocol/hashing.ts';
import type { ValidatorCertificate } from '../../src/protocol/types.ts';
import { ALICE, ALPHA_USD, BOB } from './demo-keys.ts';
import { suite, type ValidatorIdentity } from './validator-harness.ts';

export interface BoardCertOptions {
  /** Default 1_700_000_000_000. */
  readonly millis?: bigint;
  readonly sender?: Uint8Array;
  readonly recipient?: Uint8Array;
  /** Signing context; default chain 1337 epoch 1. */
  readonly chainId?: bigint;
  readonly epoch?: bigint;
}

/** The 32-byte tx hash of payment number `n`. */
export function txHashOf(n: number): Uint8Array {
  const hash = repeatByte(0xaa, 32);
  new DataView(hash.buffer).setUint32(28, n);
  return hash;
}

/** A real certificate by `validator` for payment number `n` (ALICE pays BOB unless told otherwise). */
export function boardCert(
  validator: ValidatorIdentity,
  n: number,
  options: BoardCertOptions = {},
): ValidatorCertificate {
  const effects = {
    sender: options.sender ?? ALICE,
    recipient: options.recipient ?? BOB,
    amount: BigInt(n + 1),
    asset: ALPHA_USD,
    nonce: { nonceKey: repeatByte(0, 32), seq: BigInt(n) },
  };
  return signCertificate(
    suite,
    suite.ed25519.signer(validator.seed),
    validator,
    { chainId: options.chainId ?? 1337n, epoch: options.epoch ?? 1n },
    effects,
    txHashOf(n),
    effectsHash(suite, effects),
    options.millis ?? 1_700_000_000_000n,
  );
}
