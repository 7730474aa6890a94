import * as P256 from 'ox/P256';
import type { SignatureEnvelope } from 'ox/tempo';
import type { CryptoSuite } from '../crypto/suite.ts';
import { type Reject, RejectCode, reject } from '../reject.ts';
import { recoverSecp256k1Sender, type Secp256k1Signature } from './secp256k1-sender.ts';
import { uintFromBytes } from './uint-bytes.ts';

/** A secp256k1 sender signature, as views into the envelope bytes. */
export interface Secp256k1Envelope extends Secp256k1Signature {
  readonly type: 'secp256k1';
}

/** A P256 sender signature (ox's form, for `P256.verify`) and the 64 bytes x‖y of its public key. */
export interface P256Envelope extends SignatureEnvelope.P256 {
  readonly publicKeyXY: Uint8Array;
}

/** The sender signature envelopes we can check without chain state. */
export type VerifiableTempoSignature = Secp256k1Envelope | P256Envelope;

const P256_ENVELOPE_BYTES = 130;
const UNSUPPORTED_TYPES: Readonly<Record<number, string>> = {
  2: 'webAuthn',
  3: 'keychain',
  4: 'keychain',
  5: 'multisig',
};

const invalid = (message: string): Reject => reject(RejectCode.INVALID_FORMAT, message);

/**
 * Parses the sender signature envelope of a 0x76 tx (Tempo `TempoSignature::from_bytes`; ox
 * `SignatureEnvelope.deserialize`): 65 bytes r‖s‖v is secp256k1 (v must be 27 or 28, the canonical byte), and
 * `0x01 ‖ r ‖ s ‖ x ‖ y ‖ prehash` is P256 (prehash byte 0 or 1). WebAuthn (0x02) is refused because Tempo's
 * authenticator-data and clientDataJSON rules differ from ox's and between hardforks; keychain (0x03/0x04) and
 * multisig (0x05) are refused because their validity depends on chain state (access keys, account configs).
 * The type byte is checked before any parsing, so an oversized WebAuthn blob costs nothing; a secp256k1 signature
 * stays bytes (views into `signature`). Fixes reference §7.2, which assumed a trailing 65-byte signature.
 */
export function parseTempoSignature(signature: Uint8Array): VerifiableTempoSignature | Reject {
  if (signature.length === 65) {
    const v = signature[64]!;
    if (v !== 27 && v !== 28) return invalid('secp256k1 signature v must be 27 or 28');
    return {
      type: 'secp256k1',
      r: signature.subarray(0, 32),
      s: signature.subarray(32, 64),
      yParity: v - 27,
    };
  }
  const typeId = signature[0];
  if (typeId === 0x01) {
    if (signature.length !== P256_ENVELOPE_BYTES) return invalid('invalid p256 signature length');
    const prehash = signature[129]!;
    if (prehash > 1) return invalid('p256 prehash flag must be 0 or 1');
    return {
      type: 'p256',
      signature: { r: word(signature, 1), s: word(signature, 33) },
      publicKey: { prefix: 4, x: word(signature, 65), y: word(signature, 97) },
      prehash: prehash === 1,
      publicKeyXY: signature.subarray(65, 129),
    };
  }
  const unsupported = typeId === undefined ? undefined : UNSUPPORTED_TYPES[typeId];
  if (unsupported) return invalid(`unsupported signature type: ${unsupported}`);
  return invalid('unknown signature type');
}

/**
 * The sender of a 0x76 tx whose sender signed `signingHash` (Tempo `PrimitiveSignature::recover_signer`):
 * secp256k1 by recovery through the suite; P256 by verifying the signature (low s, over sha256(hash) when
 * `prehash`) against the embedded public key, whose address is keccak256(x‖y)[12..].
 */
export function recoverTempoSender(
  suite: CryptoSuite,
  signingHash: Uint8Array,
  envelope: VerifiableTempoSignature,
): Uint8Array | Reject {
  if (envelope.type === 'secp256k1') return recoverSecp256k1Sender(suite, signingHash, envelope);
  let valid: boolean;
  try {
    valid = P256.verify({
      hash: envelope.prehash,
      payload: signingHash,
      publicKey: envelope.publicKey,
      signature: envelope.signature,
    });
  } catch {
    valid = false;
  }
  if (!valid) return invalid('invalid p256 signature');
  return suite.keccak256(envelope.publicKeyXY).slice(12);
}

function word(bytes: Uint8Array, offset: number): bigint {
  return uintFromBytes(bytes.subarray(offset, offset + 32));
}
