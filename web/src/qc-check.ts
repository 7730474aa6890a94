/** The browser's own check of a quorum certificate against the pinned committee (pure JS crypto, no server trust). */

import { fromHex } from '../../src/protocol/bytes.ts';
import { certificateSigner } from '../../src/protocol/certificate.ts';
import { type Committee, findMember } from '../../src/protocol/committee.ts';
import { createBrowserCryptoSuite } from '../../src/protocol/crypto/browser-suite.ts';
import { verifyQuorumCertificate } from '../../src/protocol/quorum.ts';
import type { QuorumCertificate, ValidatorCertificate } from '../../src/protocol/types.ts';
import type { CertificateNode, CommitteeNode, QuorumCertificateNode } from './nodes.ts';

/** Ed25519 by @noble/ed25519, hashes by @noble/hashes: the node crypto suite is never bundled. */
export const browserSuite = createBrowserCryptoSuite();

export type QcCheck =
  | { readonly ok: true; readonly verifiedBy: readonly string[] }
  | { readonly ok: false; readonly message: string };

export function committeeFromNode(node: CommitteeNode): Committee {
  return {
    chainId: BigInt(node.chainId),
    epoch: BigInt(node.epoch),
    members: node.validators.map((v) => ({
      name: v.name,
      id: fromHex(v.id),
      publicKey: fromHex(v.publicKey),
    })),
  };
}

/** The protocol's QC from its GraphQL form, bytes as sent. */
export function qcFromNode(node: QuorumCertificateNode): QuorumCertificate {
  return {
    txHash: fromHex(node.txHash),
    effectsHash: fromHex(node.effectsHash),
    qcHash: fromHex(node.qcHash),
    threshold: node.threshold,
    certs: node.certificates.map(certificateFromNode),
  };
}

/**
 * Verifies the QC with the protocol's own rule (every certificate's Ed25519 signature against the committee's
 * keys, distinct signers reaching 2f+1 of the committee, qc_hash recomputed) and names the validators it verified.
 */
export function checkQc(committee: Committee, node: QuorumCertificateNode): QcCheck {
  const qc = qcFromNode(node);
  const verdict = verifyQuorumCertificate(browserSuite, committee, qc);
  if (!verdict.ok) return verdict;
  const names = qc.certs.map((c) => findMember(committee, certificateSigner(c)!)!.name);
  return { ok: true, verifiedBy: names };
}

function certificateFromNode(node: CertificateNode): ValidatorCertificate {
  const e = node.effects;
  return {
    signer: {
      name: node.validator.name,
      id: fromHex(node.validator.id),
      pubkey: fromHex(node.validator.publicKey),
    },
    txHash: fromHex(node.txHash),
    effectsHash: fromHex(node.effectsHash),
    ...(e
      ? {
          effects: {
            sender: fromHex(e.sender),
            recipient: fromHex(e.recipient),
            amount: BigInt(e.amount),
            asset: fromHex(e.asset),
            nonce: { nonceKey: fromHex(e.nonceKey), seq: BigInt(e.sequence) },
          },
        }
      : {}),
    signature: fromHex(node.signature),
    createdUnixMillis: BigInt(node.createdUnixMillis),
  };
}
