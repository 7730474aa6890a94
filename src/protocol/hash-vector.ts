import { ByteFormatError, fromHex, isU64, repeatByte } from './bytes.ts';
import {
  ADDRESS_LENGTH,
  type CertContext,
  HASH_LENGTH,
  NONCE_KEY_LENGTH,
  type QcHashCert,
  type TxHashInput,
  VALIDATOR_ID_LENGTH,
} from './hashing.ts';
import type { Effects, Expiry } from './types.ts';

/** The outputs a hash vector can pin, named as in the reference's `hash_vectors.json` without `_hex`. */
export const VECTOR_OUTPUTS = ['tx_hash', 'effects_hash', 'cert_preimage', 'cert_digest', 'qc_hash'] as const;
export type VectorOutput = (typeof VECTOR_OUTPUTS)[number];

/**
 * The two certificates and threshold of the reference's golden QC (reference §0, §3.5): signer `0x0a*32`,
 * signature `0xaa*64`, created 1000 and signer `0x0b*32`, signature `0xbb*64`, created 1001; threshold 2.
 */
export const REFERENCE_QC_CERTS: readonly QcHashCert[] = [
  { signerId: repeatByte(0x0a, 32), signature: repeatByte(0xaa, 64), createdUnixMillis: 1000n },
  { signerId: repeatByte(0x0b, 32), signature: repeatByte(0xbb, 64), createdUnixMillis: 1001n },
];
export const REFERENCE_QC_THRESHOLD = 2;

/** A parsed hash vector: the hashing inputs and the expected outputs it pins. */
export interface HashVector {
  readonly name: string;
  readonly tx: TxHashInput;
  readonly effects: Effects;
  readonly context: CertContext;
  readonly qcThreshold: number;
  readonly qcCerts: readonly QcHashCert[];
  readonly expected: Readonly<Partial<Record<VectorOutput, Uint8Array>>>;
}

class VectorError extends Error {}

const SIGNATURE_LENGTH = 64;
const U16_MAX = 0xffff;
const U32_MAX = 0xffff_ffff;

/**
 * Parses one vector in the format of the reference's `hash_vectors.json` (reference §3.5), plus optional
 * `qc_certs` [{signer_id_hex, signature_hex, created_unix_millis}] with a required `qc_threshold`; without
 * `qc_certs` the golden QC certificates of §0 apply. Hex may carry `0x`; u64 values are JSON integers (read
 * exactly by parseExactJson, so bigint above 2^53) or decimal strings. `parent_qc_hash_hex` null or absent means
 * no parent. `domain_tag` and `protocol_version` (u16), when given, enter the certificate preimage as the
 * reference's `build_cert_signing_preimage` takes them; absent, the fixed ones of §3.3 apply.
 */
export function parseHashVector(
  json: unknown,
): { readonly ok: true; readonly vector: HashVector } | { readonly ok: false; readonly message: string } {
  try {
    return { ok: true, vector: readVector(object(json, 'vector')) };
  } catch (err) {
    if (err instanceof VectorError) return { ok: false, message: err.message };
    throw err;
  }
}

function readVector(v: Record<string, unknown>): HashVector {
  if (v.version !== undefined && v.version !== 1) throw new VectorError(`unsupported version ${v.version}`);
  const nonce = { nonceKey: hex(v, 'nonce_key_hex', NONCE_KEY_LENGTH), seq: u64(v, 'nonce_seq') };
  const chainId = u64(v, 'chain_id');
  const noParent = v.parent_qc_hash_hex === undefined || v.parent_qc_hash_hex === null;
  const parent = noParent ? new Uint8Array() : hex(v, 'parent_qc_hash_hex');
  if (parent.length !== 0 && parent.length !== HASH_LENGTH) {
    throw new VectorError(`parent_qc_hash_hex: expected empty or ${HASH_LENGTH} bytes, got ${parent.length}`);
  }
  return {
    name: string(v, 'vector_name'),
    tx: { chainId, tempoTx: hex(v, 'tempo_tx_hex'), nonce, expiry: expiry(v), parentQcHash: parent },
    effects: {
      sender: hex(v, 'sender_hex', ADDRESS_LENGTH),
      recipient: hex(v, 'recipient_hex', ADDRESS_LENGTH),
      amount: u64(v, 'amount'),
      asset: hex(v, 'asset_hex', ADDRESS_LENGTH),
      nonce,
    },
    context: { chainId, epoch: u64(v, 'epoch'), ...signingDomain(v) },
    ...qc(v),
    expected: expected(object(v.expected, 'expected')),
  };
}

/** The vector's `domain_tag` and `protocol_version`, each only when given. */
function signingDomain(v: Record<string, unknown>): { domainTag?: string; protocolVersion?: number } {
  const out: { domainTag?: string; protocolVersion?: number } = {};
  if (v.domain_tag !== undefined) out.domainTag = string(v, 'domain_tag');
  if (v.protocol_version !== undefined) {
    const version = u64(v, 'protocol_version');
    if (version > U16_MAX) throw new VectorError('protocol_version must be a u16');
    out.protocolVersion = Number(version);
  }
  return out;
}

function expiry(v: Record<string, unknown>): Expiry {
  const e = object(v.expiry, 'expiry');
  const value = u64(e, 'value');
  if (e.kind === 'max_block_height') return { kind: 'maxBlockHeight', value };
  if (e.kind === 'unix_millis') return { kind: 'unixMillis', value };
  throw new VectorError('expiry.kind must be "max_block_height" or "unix_millis"');
}

function qc(v: Record<string, unknown>): { qcThreshold: number; qcCerts: readonly QcHashCert[] } {
  if (v.qc_certs === undefined) {
    if (v.qc_threshold !== undefined) throw new VectorError('qc_threshold needs qc_certs');
    return { qcThreshold: REFERENCE_QC_THRESHOLD, qcCerts: REFERENCE_QC_CERTS };
  }
  if (!Array.isArray(v.qc_certs)) throw new VectorError('qc_certs must be a list');
  const threshold = u64(v, 'qc_threshold');
  if (threshold > U32_MAX) throw new VectorError('qc_threshold must be a u32');
  const qcCerts = v.qc_certs.map((item: unknown, i) => {
    const c = object(item, `qc_certs[${i}]`);
    return {
      signerId: hex(c, 'signer_id_hex', VALIDATOR_ID_LENGTH, `qc_certs[${i}].`),
      signature: hex(c, 'signature_hex', SIGNATURE_LENGTH, `qc_certs[${i}].`),
      createdUnixMillis: u64(c, 'created_unix_millis', `qc_certs[${i}].`),
    };
  });
  return { qcThreshold: Number(threshold), qcCerts };
}

function expected(e: Record<string, unknown>): Partial<Record<VectorOutput, Uint8Array>> {
  const out: Partial<Record<VectorOutput, Uint8Array>> = {};
  for (const key of Object.keys(e)) {
    const output = VECTOR_OUTPUTS.find((o) => `${o}_hex` === key);
    if (!output) throw new VectorError(`expected.${key}: unknown output`);
    out[output] = hex(e, key, undefined, 'expected.');
  }
  if (Object.keys(out).length === 0) throw new VectorError('expected names no outputs');
  return out;
}

function object(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new VectorError(`${name} must be an object`);
  }
  return value as Record<string, unknown>;
}

function string(v: Record<string, unknown>, name: string): string {
  const value = v[name];
  if (typeof value !== 'string' || value === '') throw new VectorError(`${name} must be a non-empty string`);
  return value;
}

function hex(v: Record<string, unknown>, name: string, length?: number, path = ''): Uint8Array {
  const value = v[name];
  if (typeof value !== 'string') throw new VectorError(`${path}${name} must be a hex string`);
  try {
    return fromHex(value, length);
  } catch (err) {
    if (err instanceof ByteFormatError) throw new VectorError(`${path}${name}: ${err.message}`);
    throw err;
  }
}

function u64(v: Record<string, unknown>, name: string, path = ''): bigint {
  const value = v[name];
  const parsed =
    typeof value === 'bigint'
      ? value
      : typeof value === 'number' && Number.isSafeInteger(value)
        ? BigInt(value)
        : typeof value === 'string' && /^\d+$/.test(value)
          ? BigInt(value)
          : undefined;
  if (parsed === undefined || !isU64(parsed)) {
    throw new VectorError(`${path}${name} must be a u64 (a JSON integer read exactly, or a decimal string)`);
  }
  return parsed;
}
