import { bytesEqual } from '../bytes.ts';
import type { Committee } from '../committee.ts';
import type { CryptoSuite } from '../crypto/suite.ts';
import { effectsFromSummary } from '../effects-from-summary.ts';
import { quorumCertificateHash, verifyQuorumCertificate } from '../quorum.ts';
import { type Reject, RejectCode, reject } from '../reject.ts';
import type { Effects, QuorumCertificate } from '../types.ts';
import type { Credit } from './decision.ts';
import type { LedgerView } from './ledger-view.ts';

/** At most this many QCs may be attached to one submission; each costs signature checks. */
export const MAX_PARENT_QCS = 8;

/**
 * Finds and verifies the parent QC a child cites (reference §6.4 `parent_credit`, with the §14 fixes): the QC with
 * exactly the cited hash must be attached; its certificates must verify against the committee with the
 * committee's quorum (not the QC's own threshold, and not "this validator signed it"); it must pay the child's
 * sender in the child's asset. A QC this validator verified before (by qc hash) is not checked again, nor needs to
 * be attached again. Effects come from a certificate's summary checked against the QC's effects hash,
 * or from this validator's own certificate of the parent. Other attached QCs are ignored.
 */
export function resolveParentCredit(
  suite: CryptoSuite,
  committee: Committee,
  ledger: LedgerView,
  parentQcHash: Uint8Array,
  parentQcs: readonly QuorumCertificate[],
  child: Effects,
): { ok: true; credit: Credit } | { ok: false; reject: Reject } {
  const fail = (code: RejectCode, message: string) => ({ ok: false as const, reject: reject(code, message) });
  const known = ledger.knownParent(parentQcHash);
  if (known)
    return paysChild(known, child)
      ? { ok: true, credit: known }
      : fail(RejectCode.INVALID_PARENT_QC, NOT_PAYING);
  if (parentQcs.length > MAX_PARENT_QCS)
    return fail(RejectCode.INVALID_FORMAT, `at most ${MAX_PARENT_QCS} parent_qcs`);
  const qc = parentQcs.find((q) => {
    const h = quorumCertificateHash(suite, q);
    return h !== undefined && bytesEqual(h, parentQcHash);
  });
  if (!qc) return fail(RejectCode.MISSING_PARENT_QC, 'missing required parent QC');
  const verified = verifyQuorumCertificate(suite, committee, qc);
  if (!verified.ok) return fail(RejectCode.INVALID_PARENT_QC, verified.message);
  const effects = verified.effects ?? ownEffects(ledger, qc);
  if (!effects) return fail(RejectCode.INVALID_PARENT_QC, 'missing effects summary');
  const credit: Credit = {
    parentTxHash: qc.txHash,
    parentSender: effects.sender,
    parentNonceKey: effects.nonce.nonceKey,
    parentSeq: effects.nonce.seq,
    recipient: effects.recipient,
    asset: effects.asset,
    amount: effects.amount,
  };
  return paysChild(credit, child) ? { ok: true, credit } : fail(RejectCode.INVALID_PARENT_QC, NOT_PAYING);
}

const NOT_PAYING = 'parent qc does not pay the sender in this asset';

/** A parent can only fund a child it pays: the child's sender is its recipient, in the child's asset. */
function paysChild(credit: Credit, child: Effects): boolean {
  return bytesEqual(credit.recipient, child.sender) && bytesEqual(credit.asset, child.asset);
}

/** Effects of this validator's own certificate for the QC's tx, when its effects hash matches the QC's. */
function ownEffects(ledger: LedgerView, qc: QuorumCertificate): Effects | undefined {
  const own = ledger.ownCertificate(qc.txHash);
  if (!own?.effects || !bytesEqual(own.effectsHash, qc.effectsHash)) return undefined;
  return effectsFromSummary(own.effects);
}
