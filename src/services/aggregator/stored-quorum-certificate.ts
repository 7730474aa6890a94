import { bytesEqual, toHex } from '../../protocol/bytes.ts';
import { certificateSigner } from '../../protocol/certificate.ts';
import { type Committee, findMember } from '../../protocol/committee.ts';
import type { CryptoSuite } from '../../protocol/crypto/suite.ts';
import { quorumCertificateHash } from '../../protocol/quorum.ts';
import type { Effects, QuorumCertificate, ValidatorCertificate } from '../../protocol/types.ts';

/**
 * A QC as a payment record stores it: per certificate only what its signer contributed (signer id, signature,
 * time, settlement signature). The tx hash, effects hash and effects every certificate repeats, and each signer's
 * name and key, come back from the record and the committee, so a record stays small (one B-tree leaf entry,
 * not overflow pages).
 */
export interface StoredQuorumCertificate {
  readonly threshold: number;
  readonly qcHash: Uint8Array;
  readonly certs: readonly {
    readonly signerId: Uint8Array;
    readonly signature: Uint8Array;
    readonly createdUnixMillis: bigint;
    readonly settlementSignature?: Uint8Array;
  }[];
}

export function storedQuorumCertificate(qc: QuorumCertificate): StoredQuorumCertificate {
  return {
    threshold: qc.threshold,
    qcHash: qc.qcHash,
    certs: qc.certs.map((cert) => ({
      signerId: certificateSigner(cert)!,
      signature: cert.signature,
      createdUnixMillis: cert.createdUnixMillis,
      ...(cert.settlementSignature ? { settlementSignature: cert.settlementSignature } : {}),
    })),
  };
}

/**
 * The QC exactly as formed, from its stored form and the payment's record. Its hash is computed again and must be
 * the stored one: a record that does not rebuild to its QC is refused (thrown), never served.
 */
export function restoredQuorumCertificate(
  stored: StoredQuorumCertificate,
  payment: { readonly txHash: Uint8Array; readonly effectsHash: Uint8Array; readonly effects: Effects },
  committee: Committee,
  suite: CryptoSuite,
): QuorumCertificate {
  const { txHash, effectsHash } = payment;
  const { sender, recipient, amount, asset, nonce } = payment.effects;
  const effects = { sender, recipient, amount, asset, nonce };
  const certs = stored.certs.map((c): ValidatorCertificate => {
    const member = findMember(committee, c.signerId);
    return {
      signer: { name: member?.name ?? '', id: c.signerId, pubkey: member?.publicKey ?? new Uint8Array() },
      txHash,
      effectsHash,
      effects,
      signature: c.signature,
      createdUnixMillis: c.createdUnixMillis,
      ...(c.settlementSignature ? { settlementSignature: c.settlementSignature } : {}),
    };
  });
  const qc = { txHash, effectsHash, certs, threshold: stored.threshold };
  const qcHash = quorumCertificateHash(suite, qc);
  if (!qcHash || !bytesEqual(qcHash, stored.qcHash)) {
    throw new Error(
      `stored QC ${toHex(stored.qcHash)} of payment ${toHex(txHash)} does not rebuild to its hash`,
    );
  }
  return { ...qc, qcHash };
}
