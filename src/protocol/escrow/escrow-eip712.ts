import { keccak_256 } from '@noble/hashes/sha3.js';
import { concatBytes } from '../bytes.ts';
import { bytesWord, uintWord } from './abi-word.ts';

/** Which escrow a digest is for: EIP-712 binds every signature to one chain and one contract address. */
export interface EscrowDomain {
  readonly chainId: bigint;
  /** 20-byte address of the AllegroEscrow contract. */
  readonly escrow: Uint8Array;
}

const utf8 = new TextEncoder();

/** keccak256 of a UTF-8 string (an EIP-712 type string, a domain name). */
export function keccakText(text: string): Uint8Array {
  return keccak_256(utf8.encode(text));
}

const DOMAIN_TYPEHASH = keccakText(
  'EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)',
);
const NAME_HASH = keccakText('AllegroEscrow');
const VERSION_HASH = keccakText('1');

/** The EIP-712 domain separator: name "AllegroEscrow", version "1", the chain id and the escrow address. */
export function escrowDomainSeparator(domain: EscrowDomain): Uint8Array {
  return keccak_256(
    concatBytes(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, uintWord(domain.chainId), bytesWord(domain.escrow)),
  );
}

/** The EIP-712 digest `keccak256(0x1901 ‖ domainSeparator ‖ structHash)`, the 32 bytes that get signed. */
export function escrowTypedDigest(domain: EscrowDomain, structHash: Uint8Array): Uint8Array {
  return keccak_256(concatBytes(Uint8Array.of(0x19, 0x01), escrowDomainSeparator(domain), structHash));
}
