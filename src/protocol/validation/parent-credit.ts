import { bytesEqual } from '../bytes.ts';
import type { Committee } from '../committee.ts';
import type { CryptoSuite } from '../crypto/suite.ts';
import { quorumCertificateHash, verifyQuorumCertificate } from '../quorum.ts';
import { type Reject, RejectCode, reject } from '../reject.ts';
import type { Effects, Expiry, QuorumCertificate, SubmitRequest } from '../types.ts';
import type { ChainRead, ChainView } from './chain-view.ts';
import type { Credit } from './decision.ts';
import type { DecisionRules } from './decision-rules.ts';
import { landabilityProblem } from './landability.ts';
import type { LedgerView } from './ledger-view.ts';
import { prepareSubmission } from './prepare-submission.ts';

/** At most this many QCs may be attached to one submission; each costs signature checks. */
export const MAX_PARENT_QCS = 8;

export type ParentCredit = { ok: true; credit: Credit } | { ok: false; reject: Reject };

const fail = (code: RejectCode, message: string): ParentCredit => ({
  ok: false,
  reject: reject(code, message),
});

/**
 * Finds, verifies and prices the parent a child cites (reference §6.4 `parent_credit`, with the §14 fixes and the
 * audit's phantom-credit fix). The QC with exactly the cited hash must be attached (unless verified before); its
 * certificates must verify against the committee with the committee's quorum, whatever `threshold` it carries; it
 * must pay the child's sender in the child's asset. The validator must also know the parent's signed tx, from its
 * own lock or from `parent_txs`, so it can check the parent is landable now and learn its deadline: a credit lives
 * exactly as long as the parent can still land. The child's deadline may not outlive its parent's.
 */
export function resolveParentCredit(
  suite: CryptoSuite,
  committee: Committee,
  ledger: LedgerView,
  chain: ChainView,
  rules: DecisionRules,
  parentQcHash: Uint8Array,
  request: SubmitRequest,
  child: { readonly effects: Effects; readonly deadline: Expiry },
  reads: ChainRead[],
): ParentCredit {
  const known = ledger.knownParent(parentQcHash);
  if (known) return usable(known, child, chain, rules);
  if (request.parentQcs.length > MAX_PARENT_QCS)
    return fail(RejectCode.INVALID_FORMAT, `at most ${MAX_PARENT_QCS} parent_qcs`);
  const qc = findQc(suite, request.parentQcs, parentQcHash);
  if (!qc) return fail(RejectCode.MISSING_PARENT_QC, 'missing required parent QC');
  const verified = verifyQuorumCertificate(suite, committee, qc);
  if (!verified.ok) return fail(RejectCode.INVALID_PARENT_QC, verified.message);

  const own = ledger.lockOf(qc.txHash);
  if (own) {
    if (!bytesEqual(own.cert.effectsHash, qc.effectsHash))
      return fail(
        RejectCode.INVALID_PARENT_QC,
        'parent qc effects differ from the payment this validator locked',
      );
    const { delta } = own;
    const deadline: Expiry | undefined =
      delta.inclusionDeadlineMs !== undefined
        ? { kind: 'unixMillis', value: delta.inclusionDeadlineMs }
        : undefined;
    if (!deadline && rules.landability) return fail(RejectCode.NOT_LANDABLE, 'parent has no validBefore');
    const escrow = delta.pool && delta.paymentId ? delta.paymentId : undefined;
    return usable(creditOf(qc, delta.effects, deadline ?? parentExpiryUnknown, escrow), child, chain, rules);
  }

  const parentTxs = request.parentTxs ?? [];
  if (parentTxs.length > MAX_PARENT_QCS)
    return fail(RejectCode.INVALID_FORMAT, `at most ${MAX_PARENT_QCS} parent_txs`);
  for (const candidate of parentTxs) {
    const prepared = prepareSubmission(suite, committee, candidate);
    if (!prepared.ok || !bytesEqual(prepared.value.txHash, qc.txHash)) continue;
    const p = prepared.value;
    if (!bytesEqual(p.effectsHash, qc.effectsHash))
      return fail(RejectCode.INVALID_PARENT_QC, 'parent tx effects do not match the parent QC');
    if (rules.landability) {
      const problem = landabilityProblem(p.decoded, chain, rules.landability, reads, 'parent');
      if (problem) return { ok: false, reject: problem };
    }
    const deadline: Expiry =
      p.decoded.validBefore !== undefined
        ? { kind: 'unixMillis', value: p.decoded.validBefore * 1000n }
        : p.expiry;
    const escrow = p.decoded.kind === 'escrow' ? p.decoded.signingHash : undefined;
    return usable(creditOf(qc, p.effects, deadline, escrow), child, chain, rules);
  }
  return fail(
    RejectCode.MISSING_PARENT_QC,
    'this validator has not seen the parent payment: attach its FastPayTx (parent_txs) so it can check the parent is landable',
  );
}

/** A deadline that never compares as known: credits from a parent without one are refused. */
const parentExpiryUnknown: Expiry = { kind: 'unixMillis', value: -1n };

function findQc(
  suite: CryptoSuite,
  qcs: readonly QuorumCertificate[],
  hash: Uint8Array,
): QuorumCertificate | undefined {
  return qcs.find((q) => {
    const h = quorumCertificateHash(suite, q);
    return h !== undefined && bytesEqual(h, hash);
  });
}

/** The credit of a parent; `escrowPaymentId` set for an escrow parent (credit to the recipient's escrow balance). */
function creditOf(
  qc: QuorumCertificate,
  effects: Effects,
  deadline: Expiry,
  escrowPaymentId?: Uint8Array,
): Credit {
  return {
    parentTxHash: qc.txHash,
    parentEffectsHash: qc.effectsHash,
    parentSender: effects.sender,
    parentNonceKey: effects.nonce.nonceKey,
    parentSeq: effects.nonce.seq,
    recipient: effects.recipient,
    asset: effects.asset,
    amount: effects.amount,
    deadline,
    ...(escrowPaymentId ? { pool: 'escrow', paymentId: escrowPaymentId } : {}),
  };
}

/**
 * A credit funds the child only if it pays the child's sender in the child's asset, the parent can still land
 * (its deadline leaves the node's minimum and the settlement margin after B, or is merely ahead of B standalone),
 * and the child cannot outlive it (same kind of deadline, not later).
 */
function usable(
  credit: Credit,
  child: { readonly effects: Effects; readonly deadline: Expiry },
  chain: ChainView,
  rules: DecisionRules,
): ParentCredit {
  if (!bytesEqual(credit.recipient, child.effects.sender) || !bytesEqual(credit.asset, child.effects.asset))
    return fail(RejectCode.INVALID_PARENT_QC, 'parent qc does not pay the sender in this asset');
  const { deadline } = credit;
  if (deadline.value < 0n) return fail(RejectCode.NOT_LANDABLE, 'parent deadline unknown');
  const l = rules.landability;
  const now = deadline.kind === 'unixMillis' ? chain.head.timestampMs : chain.head.height;
  const margin = deadline.kind === 'unixMillis' && l ? l.nodeMinValidBeforeMs + l.settlementMarginMs : 0n;
  if (deadline.value <= now + margin)
    return fail(
      RejectCode.NOT_LANDABLE,
      `parent can no longer land: its deadline ${deadline.value} is too close`,
    );
  if (child.deadline.kind !== deadline.kind)
    return fail(RejectCode.INVALID_PARENT_QC, `child expiry must be ${deadline.kind} like its parent's`);
  if (child.deadline.value > deadline.value) {
    return fail(
      RejectCode.NOT_LANDABLE,
      `child deadline ${child.deadline.value} is later than its parent's ${deadline.value}: it could outlive its funding`,
    );
  }
  return { ok: true, credit };
}
