import { bytesEqual, isU64, toHex } from './bytes.ts';
import { type Committee, findMember } from './committee.ts';
import type { CryptoSuite, Ed25519Signer } from './crypto/suite.ts';
import { type CertContext, certDigest, HASH_LENGTH, VALIDATOR_ID_LENGTH } from './hashing.ts';
import type { Effects, ValidatorCertificate } from './types.ts';

const SIGNATURE_LENGTH = 64;

/**
 * The 32-byte domain id of a certificate's signer: `signer.id` when non-empty, otherwise `signer.pubkey`
 * (reference §2.3 conversion rule). Undefined when the chosen field is not exactly 32 bytes or there is no signer.
 */
export function certificateSigner(cert: ValidatorCertificate): Uint8Array | undefined {
  const signer = cert.signer;
  if (!signer) return undefined;
  const id = signer.id.length > 0 ? signer.id : signer.pubkey;
  return id.length === VALIDATOR_ID_LENGTH ? id : undefined;
}

/**
 * Signs (tx_hash, effects_hash) as a validator: pure Ed25519 over the 32-byte cert digest of §3.3 under `ctx`
 * (reference §4). The certificate carries the signer's name, id and public key and the effects summary.
 * `createdUnixMillis` is the caller's clock reading; it is not signed but enters qc_hash (§3.4).
 */
export function signCertificate(
  suite: CryptoSuite,
  signer: Ed25519Signer,
  identity: { readonly name: string; readonly id: Uint8Array },
  ctx: CertContext,
  effects: Effects,
  txHash: Uint8Array,
  effectsHash: Uint8Array,
  createdUnixMillis: bigint,
): ValidatorCertificate {
  const { sender, recipient, amount, asset, nonce } = effects;
  return {
    signer: { name: identity.name, id: identity.id, pubkey: signer.publicKey },
    txHash,
    effectsHash,
    effects: { sender, recipient, amount, asset, nonce },
    signature: signer.sign(certDigest(suite, ctx, txHash, effectsHash)),
    createdUnixMillis,
  };
}

/**
 * Verifies one certificate against the pinned committee (reference §4, made stricter): 32-byte hashes, a
 * 64-byte signature, a u64 creation time, a signer that is a committee member (a pubkey the certificate
 * carries must be that member's key), and an Ed25519 signature by the COMMITTEE's key over the digest under
 * the committee's chain id and epoch, so a wrong chain or epoch fails. Returns the problem, or undefined.
 */
export function verifyCertificate(
  suite: CryptoSuite,
  committee: Committee,
  cert: ValidatorCertificate,
): string | undefined {
  if (cert.txHash.length !== HASH_LENGTH) return `tx hash must be ${HASH_LENGTH} bytes`;
  if (cert.effectsHash.length !== HASH_LENGTH) return `effects hash must be ${HASH_LENGTH} bytes`;
  if (cert.signature.length !== SIGNATURE_LENGTH) return `signature must be ${SIGNATURE_LENGTH} bytes`;
  if (!isU64(cert.createdUnixMillis)) return 'created_unix_millis must be a u64';
  const signerId = certificateSigner(cert);
  if (!signerId) return `signer id must be ${VALIDATOR_ID_LENGTH} bytes`;
  const member = findMember(committee, signerId);
  if (!member) return `signer ${toHex(signerId)} is not a committee member`;
  const pubkey = cert.signer?.pubkey;
  if (pubkey?.length && !bytesEqual(pubkey, member.publicKey)) {
    return `signer ${member.name}: public key ${toHex(pubkey)} is not the committee's key`;
  }
  const digest = certDigest(suite, committee, cert.txHash, cert.effectsHash);
  if (!suite.ed25519.verify(member.publicKey, digest, cert.signature)) {
    return `signer ${member.name}: invalid signature for chain ${committee.chainId} epoch ${committee.epoch}`;
  }
  return undefined;
}
