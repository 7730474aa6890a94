import { compareBytes } from './bytes.ts';
import { CanonicalWriter } from './canonical-writer.ts';
import { CERT_DOMAIN_TAG, CERT_PROTOCOL_VERSION } from './committee.ts';
import type { CryptoSuite } from './crypto/suite.ts';
import type { Effects, Expiry, Nonce2D } from './types.ts';

/** Byte lengths of the fixed-size ids (reference §1). */
export const ADDRESS_LENGTH = 20;
export const HASH_LENGTH = 32;
export const NONCE_KEY_LENGTH = 32;
export const VALIDATOR_ID_LENGTH = 32;

const TX_TAG = 'tempo.fastpay.tx.v1';
const EFFECTS_TAG = 'tempo.fastpay.effects.v1';
const CERT_PREIMAGE_TAG = 'tempo.fastpay.cert.preimage.v1';
const QC_TAG = 'tempo.fastpay.qc.v1';
const CERT_DOMAIN_TAG_BYTES = new TextEncoder().encode(CERT_DOMAIN_TAG);
/**
 * The writer of every hash below, reused: each encoding runs synchronously from `reset` to its digest, which reads
 * the bytes in place, so hashing a payment allocates no buffer of its own.
 */
const scratch = new CanonicalWriter();

/** The `FastPayTx` fields that tx_hash covers. `parentQcHash` empty means no parent. */
export interface TxHashInput {
  readonly chainId: bigint;
  readonly tempoTx: Uint8Array;
  readonly nonce: Nonce2D;
  readonly expiry: Expiry;
  readonly parentQcHash: Uint8Array;
}

/**
 * The signing context of a certificate (reference §4 `CertSigningContext`). The domain tag and protocol version
 * default to the fixed ones of committee.ts; only a hash vector that names others sets them.
 */
export interface CertContext {
  readonly chainId: bigint;
  readonly epoch: bigint;
  readonly domainTag?: string;
  /** A u16. */
  readonly protocolVersion?: number;
}

/** One certificate as qc_hash sees it: the 32-byte signer id, signature and creation time. */
export interface QcHashCert {
  readonly signerId: Uint8Array;
  readonly signature: Uint8Array;
  readonly createdUnixMillis: bigint;
}

/** The QC fields that qc_hash covers. `threshold` is the QC's declared value, as the reference hashes it. */
export interface QcHashInput {
  readonly txHash: Uint8Array;
  readonly effectsHash: Uint8Array;
  readonly threshold: number;
  readonly certs: readonly QcHashCert[];
}

/**
 * tx_hash = SHA-256 of tag ‖ chain_id ‖ len‖tempo_tx ‖ nonce_key ‖ nonce_seq ‖ expiry tag/value ‖ parent flag
 * [‖ parent_qc_hash] (reference §3.1). An empty parent is the single byte 0x00. Intent, overlay, format and
 * client_request_id are not hashed. Throws RangeError for a nonce key or non-empty parent that is not 32 bytes.
 */
export function txHash(suite: CryptoSuite, tx: TxHashInput): Uint8Array {
  const w = scratch
    .reset()
    .tag(TX_TAG)
    .u64(tx.chainId)
    .bytes(tx.tempoTx)
    .fixed(tx.nonce.nonceKey, NONCE_KEY_LENGTH)
    .u64(tx.nonce.seq)
    .u8(tx.expiry.kind === 'maxBlockHeight' ? 0 : 1)
    .u64(tx.expiry.value);
  if (tx.parentQcHash.length === 0) w.u8(0);
  else w.u8(1).fixed(tx.parentQcHash, HASH_LENGTH);
  return suite.sha256(w.written());
}

/**
 * effects_hash = SHA-256 of tag ‖ sender ‖ recipient ‖ amount ‖ asset ‖ nonce_key ‖ nonce_seq (reference §3.2).
 * Expiry, chain id and parent are not included.
 */
export function effectsHash(suite: CryptoSuite, effects: Effects): Uint8Array {
  const w = scratch
    .reset()
    .tag(EFFECTS_TAG)
    .fixed(effects.sender, ADDRESS_LENGTH)
    .fixed(effects.recipient, ADDRESS_LENGTH)
    .u64(effects.amount)
    .fixed(effects.asset, ADDRESS_LENGTH)
    .fixed(effects.nonce.nonceKey, NONCE_KEY_LENGTH)
    .u64(effects.nonce.seq);
  return suite.sha256(w.written());
}

/**
 * The certificate preimage: tag ‖ len‖domain_tag ‖ protocol_version u16 ‖ chain_id ‖ epoch ‖ tx_hash ‖
 * effects_hash (reference §3.3 `build_cert_signing_preimage`, which takes the tag and version as inputs);
 * by default the fixed "tempo.fastpay.cert.v1" and version 1 of committee.ts.
 */
export function certPreimage(ctx: CertContext, txHash: Uint8Array, effectsHash: Uint8Array): Uint8Array {
  return writeCertPreimage(new CanonicalWriter(), ctx, txHash, effectsHash).finish();
}

function writeCertPreimage(
  w: CanonicalWriter,
  ctx: CertContext,
  txHash: Uint8Array,
  effectsHash: Uint8Array,
): CanonicalWriter {
  return w
    .tag(CERT_PREIMAGE_TAG)
    .bytes(ctx.domainTag === undefined ? CERT_DOMAIN_TAG_BYTES : new TextEncoder().encode(ctx.domainTag))
    .u16(ctx.protocolVersion ?? CERT_PROTOCOL_VERSION)
    .u64(ctx.chainId)
    .u64(ctx.epoch)
    .fixed(txHash, HASH_LENGTH)
    .fixed(effectsHash, HASH_LENGTH);
}

/** cert_digest = SHA-256(certPreimage): the 32-byte message every certificate signs (reference §3.3, §4). */
export function certDigest(
  suite: CryptoSuite,
  ctx: CertContext,
  txHash: Uint8Array,
  effectsHash: Uint8Array,
): Uint8Array {
  return suite.sha256(writeCertPreimage(scratch.reset(), ctx, txHash, effectsHash).written());
}

/**
 * qc_hash = SHA-256 of tag ‖ tx_hash ‖ effects_hash ‖ threshold u32 ‖ cert_count u32 ‖ per cert, stably sorted
 * ascending by signer id: signer_id ‖ len‖signature ‖ created_unix_millis (reference §3.4). Independent of
 * the input order of distinct signers.
 */
export function qcHash(suite: CryptoSuite, qc: QcHashInput): Uint8Array {
  const w = scratch
    .reset()
    .tag(QC_TAG)
    .fixed(qc.txHash, HASH_LENGTH)
    .fixed(qc.effectsHash, HASH_LENGTH)
    .u32(qc.threshold)
    .u32(qc.certs.length);
  const sorted = [...qc.certs].sort((a, b) => compareBytes(a.signerId, b.signerId));
  for (const cert of sorted) {
    w.fixed(cert.signerId, VALIDATOR_ID_LENGTH).bytes(cert.signature).u64(cert.createdUnixMillis);
  }
  return suite.sha256(w.written());
}
