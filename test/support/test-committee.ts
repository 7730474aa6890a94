import { repeatByte } from '../../src/protocol/bytes.ts';
import type { Committee } from '../../src/protocol/committee.ts';
import type { CryptoSuite, Ed25519Signer } from '../../src/protocol/crypto/suite.ts';
import type { CertContext } from '../../src/protocol/hashing.ts';

/** A test validator: identity plus its Ed25519 signer. */
export interface TestValidator {
  readonly name: string;
  readonly id: Uint8Array;
  readonly signer: Ed25519Signer;
}

/**
 * `n` validators named v0…v(n−1), with ids `0x10*32`, `0x20*32`, … (ascending in index order) and seeds
 * `0x41*32`, `0x42*32`, … (reference §12.1 Dave and Edgar first).
 */
export function testValidators(suite: CryptoSuite, n: number): TestValidator[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `v${i}`,
    id: repeatByte(0x10 * (i + 1), 32),
    signer: suite.ed25519.signer(repeatByte(0x41 + i, 32)),
  }));
}

/** The committee of these validators under `ctx`. */
export function committeeOf(validators: readonly TestValidator[], ctx: CertContext): Committee {
  return {
    chainId: ctx.chainId,
    epoch: ctx.epoch,
    members: validators.map((v) => ({ name: v.name, id: v.id, publicKey: v.signer.publicKey })),
  };
}
