import { bytesEqual, compareBytes, isU64, toHex } from './bytes.ts';
import { certificateSigner, verifyCertificate } from './certificate.ts';
import { type Committee, quorumThreshold } from './committee.ts';
import type { CryptoSuite } from './crypto/suite.ts';
import { effectsFromSummary } from './effects-from-summary.ts';
import { effectsHash, HASH_LENGTH, type QcHashCert, qcHash } from './hashing.ts';
import type { Effects, QuorumCertificate, ValidatorCertificate } from './types.ts';

const U32_MAX = 0xffff_ffff;

/** Outcome of verifying a QC: its recomputed qc_hash and the certified effects, or the problem. */
export type QuorumVerification =
  | { readonly ok: true; readonly qcHash: Uint8Array; readonly effects: Effects | undefined }
  | { readonly ok: false; readonly message: string };

/**
 * Verifies a QC against the pinned committee (reference §5.1, made strict per §14): 32-byte hashes; every
 * certificate names the QC's tx and effects hash, verifies (verifyCertificate) and has a distinct signer; the
 * number of signers reaches quorumThreshold(committee), NEVER the QC's self-declared threshold; qc_hash is
 * recomputed over the QC's certificates and declared threshold (§3.4) and must equal a non-empty declared
 * qc_hash. `effects` comes from any certificate whose summary hashes to the QC's effects hash.
 */
export function verifyQuorumCertificate(
  suite: CryptoSuite,
  committee: Committee,
  qc: QuorumCertificate,
): QuorumVerification {
  if (qc.txHash.length !== HASH_LENGTH) return fail(`qc tx hash must be ${HASH_LENGTH} bytes`);
  if (qc.effectsHash.length !== HASH_LENGTH) return fail(`qc effects hash must be ${HASH_LENGTH} bytes`);
  if (!isU32(qc.threshold)) return fail('qc threshold must be a u32');
  const signers = new Set<string>();
  for (const [i, cert] of qc.certs.entries()) {
    if (!bytesEqual(cert.txHash, qc.txHash)) {
      return fail(`qc certificate ${i}: tx hash differs from the qc's`);
    }
    if (!bytesEqual(cert.effectsHash, qc.effectsHash)) {
      return fail(`qc certificate ${i}: effects hash differs from the qc's`);
    }
    const problem = verifyCertificate(suite, committee, cert);
    if (problem) return fail(`qc certificate ${i}: ${problem}`);
    const signer = toHex(certificateSigner(cert)!);
    if (signers.has(signer)) return fail(`qc certificate ${i}: duplicate signer ${signer}`);
    signers.add(signer);
  }
  const needed = quorumThreshold(committee);
  if (signers.size < needed) {
    return fail(`qc has ${signers.size} valid certificates, committee needs ${needed}`);
  }
  const computed = quorumCertificateHash(suite, qc)!;
  if (qc.qcHash.length > 0 && !bytesEqual(qc.qcHash, computed)) {
    return fail(`qc hash mismatch: declared ${toHex(qc.qcHash)}, computed ${toHex(computed)}`);
  }
  return { ok: true, qcHash: computed, effects: certifiedEffects(suite, qc) };
}

/**
 * Builds a QC from collected certificates (reference §5.3 dominant-group rule, with signatures checked):
 * certificates that fail verifyCertificate are ignored; the rest are grouped by (tx hash, effects hash) with
 * one certificate per signer (the earliest); among groups reaching quorumThreshold(committee) the one with
 * the most signers wins, ties going to the smallest effects hash. The QC holds exactly threshold certificates
 * with the lowest signer ids, declares that threshold and carries its qc_hash. Undefined if no group reaches it.
 */
export function assembleQuorumCertificate(
  suite: CryptoSuite,
  committee: Committee,
  certs: readonly ValidatorCertificate[],
): QuorumCertificate | undefined {
  const threshold = quorumThreshold(committee);
  const groups = new Map<string, Map<string, ValidatorCertificate>>();
  for (const cert of certs) {
    if (verifyCertificate(suite, committee, cert) !== undefined) continue;
    const key = `${toHex(cert.effectsHash)}${toHex(cert.txHash)}`;
    const group = groups.get(key) ?? new Map<string, ValidatorCertificate>();
    groups.set(key, group);
    const signer = toHex(certificateSigner(cert)!);
    const held = group.get(signer);
    if (!held || isEarlier(cert, held)) group.set(signer, cert);
  }
  let best: { key: string; group: Map<string, ValidatorCertificate> } | undefined;
  for (const [key, group] of groups) {
    if (group.size < threshold) continue;
    if (!best || group.size > best.group.size || (group.size === best.group.size && key < best.key)) {
      best = { key, group };
    }
  }
  if (!best) return undefined;
  const chosen = [...best.group.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .slice(0, threshold)
    .map(([, cert]) => cert);
  const { txHash, effectsHash } = chosen[0]!;
  const qc = { txHash, effectsHash, certs: chosen, threshold };
  return { ...qc, qcHash: quorumCertificateHash(suite, qc)! };
}

/**
 * The qc_hash of a QC exactly as sent (reference §3.4): over its own certificates (signer id by the §2.3 rule)
 * and its declared threshold, verifying nothing. Undefined when a QC hash is not 32 bytes, the threshold is not
 * a u32, or a certificate has a malformed signer id or creation time; never throws.
 */
export function quorumCertificateHash(
  suite: CryptoSuite,
  qc: Pick<QuorumCertificate, 'txHash' | 'effectsHash' | 'threshold' | 'certs'>,
): Uint8Array | undefined {
  if (qc.txHash.length !== HASH_LENGTH || qc.effectsHash.length !== HASH_LENGTH || !isU32(qc.threshold)) {
    return undefined;
  }
  const certs: QcHashCert[] = [];
  for (const cert of qc.certs) {
    const signerId = certificateSigner(cert);
    if (!signerId || !isU64(cert.createdUnixMillis)) return undefined;
    certs.push({ signerId, signature: cert.signature, createdUnixMillis: cert.createdUnixMillis });
  }
  return qcHash(suite, { txHash: qc.txHash, effectsHash: qc.effectsHash, threshold: qc.threshold, certs });
}

function isU32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= U32_MAX;
}

function fail(message: string): QuorumVerification {
  return { ok: false, message };
}

/** The effects of the first certificate whose summary hashes to the QC's effects hash. */
function certifiedEffects(suite: CryptoSuite, qc: QuorumCertificate): Effects | undefined {
  for (const cert of qc.certs) {
    const effects = cert.effects && effectsFromSummary(cert.effects);
    if (effects && bytesEqual(effectsHash(suite, effects), qc.effectsHash)) return effects;
  }
  return undefined;
}

/** Deterministic choice between two certificates of one signer: earliest creation, then smallest signature. */
function isEarlier(a: ValidatorCertificate, b: ValidatorCertificate): boolean {
  if (a.createdUnixMillis !== b.createdUnixMillis) return a.createdUnixMillis < b.createdUnixMillis;
  return compareBytes(a.signature, b.signature) < 0;
}
