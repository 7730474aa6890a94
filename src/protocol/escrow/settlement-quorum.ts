import { byteKey } from '../bytes.ts';
import type { CryptoSuite } from '../crypto/suite.ts';
import { orderEscrowSignatures, recoverEscrowSigner } from './escrow-signature.ts';

/** The escrow's registered committee as `settle` checks it: settlement-key addresses and signatures needed. */
export interface EscrowCommitteeKeys {
  readonly members: readonly Uint8Array[];
  readonly threshold: bigint;
}

/**
 * The settlement signatures `settle` accepts for `digest` (escrowSettlementDigest at the committee's epoch): those
 * of registered members only, one per member, by ascending signer address, exactly `threshold` of them (more
 * would only cost gas). Undefined while fewer than `threshold` members signed.
 */
export function settlementQuorum(
  suite: CryptoSuite,
  digest: Uint8Array,
  signatures: readonly Uint8Array[],
  committee: EscrowCommitteeKeys,
): Uint8Array[] | undefined {
  const members = new Set(committee.members.map(byteKey));
  const ordered = orderEscrowSignatures(suite, digest, signatures).filter((signature) => {
    const signer = recoverEscrowSigner(suite, digest, signature);
    return signer !== undefined && members.has(byteKey(signer));
  });
  return BigInt(ordered.length) >= committee.threshold
    ? ordered.slice(0, Number(committee.threshold))
    : undefined;
}
