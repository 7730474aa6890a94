import { keccak_256 } from '@noble/hashes/sha3.js';
import { concatBytes } from '../bytes.ts';
import { bytesWord, uintWord } from './abi-word.ts';
import { type EscrowDomain, escrowTypedDigest, keccakText } from './escrow-eip712.ts';

const ROTATION_TYPEHASH = keccakText('Rotation(uint64 epoch,address[] members,uint256 threshold)');

/**
 * What the current committee signs to install `members` (20-byte settlement addresses, strictly ascending) with
 * `threshold` as the committee of `toEpoch` = current epoch + 1: the EIP-712 digest of `Rotation` (the
 * contract's `rotationDigest`).
 */
export function escrowRotationDigest(
  domain: EscrowDomain,
  toEpoch: bigint,
  members: readonly Uint8Array[],
  threshold: bigint,
): Uint8Array {
  const membersHash = keccak_256(concatBytes(...members.map(bytesWord)));
  return escrowTypedDigest(
    domain,
    keccak_256(concatBytes(ROTATION_TYPEHASH, uintWord(toEpoch), membersHash, uintWord(threshold))),
  );
}
