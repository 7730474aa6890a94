import { bytesEqual, toHex } from '../bytes.ts';
import type { Committee } from '../committee.ts';
import type { CryptoSuite } from '../crypto/suite.ts';
import { certDigest } from '../hashing.ts';
import { holdingKey, liveLaneKey, type Pool } from '../keys.ts';
import { verifyQuorumCertificate } from '../quorum.ts';
import { isTransientReject, type Reject, RejectCode, reject } from '../reject.ts';
import type { Expiry, SubmitRequest } from '../types.ts';
import type { ChainRead, ChainView } from './chain-view.ts';
import type { Credit, Debit, Decision, ParentRef } from './decision.ts';
import { DEFAULT_RULES, type DecisionRules } from './decision-rules.ts';
import { escrowPaymentProblem, landabilityProblem } from './landability.ts';
import type { LedgerView } from './ledger-view.ts';
import { resolveParentCredit } from './parent-credit.ts';
import { type PreparedSubmission, prepareSubmission } from './prepare-submission.ts';

/** Expired iff the head is at or past the bound: valid only while strictly below (reference §6.2 B2). */
export function isExpired(expiry: Expiry, head: ChainView['head']): boolean {
  return expiry.kind === 'maxBlockHeight' ? head.height >= expiry.value : head.timestampMs >= expiry.value;
}

/**
 * The sidecar's validation decision: a pure function of the ledger, the chain view at B, the rules and the request
 * (reference §6.2 order: phase A, then request cache, expiry, contention, sequence, funds), with our fixes:
 * sequences follow the chain nonce, plain overspend is INSUFFICIENT_FUNDS, a parent's credit is counted once per
 * parent and only while the parent can land, the maximum fee is reserved (from a sponsor too), transient rejects
 * are not cacheable; and the audit's: only landable txs, bounded expiry, pending quotas and cool-off, one live
 * lane per sender, and a later seq only once the previous one's QC was shown (FastPay's confirmation order), so
 * the QC'd outflow of an account never exceeds what every honest quorum member saw it hold. An escrow payment
 * (ALLEGRO_ESCROW_V1) follows the same rules in its own pool: its funds are the payer's escrow balance at B minus
 * announced withdrawals, its lane's chain nonce is the escrow's nextSeq, and it spends only escrow credits.
 */
export function decideSubmission(
  suite: CryptoSuite,
  committee: Committee,
  ledger: LedgerView,
  chain: ChainView,
  request: SubmitRequest,
  rules: DecisionRules = DEFAULT_RULES,
): Decision {
  const prepared = prepareSubmission(suite, committee, request.tx);
  if (!prepared.ok) return { kind: 'reject', reject: prepared.reject };
  return decidePrepared(suite, committee, ledger, chain, request, prepared.value, rules);
}

function decidePrepared(
  suite: CryptoSuite,
  committee: Committee,
  ledger: LedgerView,
  chain: ChainView,
  request: SubmitRequest,
  p: PreparedSubmission,
  rules: DecisionRules,
): Decision {
  const { sender, nonce, asset } = p.effects;
  const pool: Pool | undefined = p.decoded.kind === 'escrow' ? 'escrow' : undefined;
  const refuse = (r: Reject): Decision =>
    p.requestId && !isTransientReject(r.code)
      ? { kind: 'reject', reject: r, cacheAs: { sender, requestId: p.requestId, txHash: p.txHash } }
      : { kind: 'reject', reject: r };

  if (p.requestId) {
    const cached = ledger.cachedResponse(sender, p.requestId);
    if (cached && !bytesEqual(cached.txHash, p.txHash)) {
      return {
        kind: 'reject',
        reject: reject(RejectCode.INVALID_FORMAT, 'client_request_id reused for different tx'),
      };
    }
    if (cached)
      return 'cert' in cached.response
        ? { kind: 'existing', cert: cached.response.cert }
        : { kind: 'reject', reject: cached.response.reject };
  }
  if (isExpired(p.expiry, chain.head)) return refuse(reject(RejectCode.EXPIRED, 'transaction expired'));

  const locked = ledger.lockAt(sender, nonce.nonceKey, nonce.seq, pool);
  if (locked) {
    // A relayer may re-wrap a payer's signed tx (other wrapper fields): that is the payment already locked.
    const same = bytesEqual(locked.delta.txHash, p.txHash) || bytesEqual(locked.delta.signedTx, p.signedTx);
    return same
      ? { kind: 'existing', cert: locked.cert }
      : refuse(reject(RejectCode.EQUIVOCATION, 'equivocation detected'));
  }
  const settled = ledger.ownCertificate(p.txHash);
  if (settled) return { kind: 'existing', cert: settled };

  const deadline = deadlineOf(p);
  const tooFar = expiryTooFar(deadline, chain.head, rules);
  if (tooFar) return refuse(tooFar);
  const cooling = ledger.coolingOffUntil(sender);
  if (cooling !== undefined && cooling > chain.head.timestampMs) {
    return refuse(
      reject(
        RejectCode.RATE_LIMITED,
        `sender is cooling off for ${cooling - chain.head.timestampMs} ms: the node kept refusing one of its txs`,
      ),
    );
  }
  if (pool) {
    const problem = escrowPaymentProblem(p.decoded, chain) ?? escrowParentProblem(p);
    if (problem) return refuse(problem);
  }
  const reads: ChainRead[] = [];
  if (rules.landability) {
    const problem = landabilityProblem(p.decoded, chain, rules.landability, reads);
    if (problem) return refuse(problem);
    // Learn whether the fee token is usable before reading balances in it (a non-token has none to read).
    if (reads.length > 0) return { kind: 'fetch', reads };
  }
  const busy = laneQuotaProblem(ledger, sender, liveLaneKey(nonce.nonceKey, pool), rules);
  if (busy) return refuse(busy);

  const chainNonce = laneNonce(chain, sender, nonce.nonceKey, pool, reads);

  let credit: Credit | undefined;
  let parentRef: ParentRef | undefined;
  if (p.parentQcHash) {
    const parent = resolveParentCredit(
      suite,
      committee,
      ledger,
      chain,
      rules,
      p.parentQcHash,
      request,
      { effects: p.effects, deadline },
      reads,
    );
    if (!parent.ok) return refuse(parent.reject);
    const mismatch = parentPoolProblem(parent.credit, p);
    if (mismatch) return refuse(mismatch);
    const { parentTxHash, parentSender, parentNonceKey, parentSeq } = parent.credit;
    parentRef = {
      qcHash: p.parentQcHash,
      txHash: parentTxHash,
      sender: parentSender,
      nonceKey: parentNonceKey,
      seq: parentSeq,
    };
    const parentNonce = laneNonce(chain, parentSender, parentNonceKey, pool, reads);
    if (parentNonce !== undefined && parentNonce <= parentSeq && !ledger.hasCredit(parentTxHash)) {
      credit = parent.credit;
    }
  }

  const debits = requiredDebits(chain, p, reads);
  if (!Array.isArray(debits)) return refuse(debits);
  for (const d of debits) {
    if (balanceAtB(chain, d) === undefined)
      reads.push({ kind: d.pool ? 'escrowBalance' : 'balance', account: d.account, asset: d.asset });
  }
  if (reads.length > 0) return { kind: 'fetch', reads };

  const expected = maxBig(chainNonce!, (ledger.highestLockedSeq(sender, nonce.nonceKey, pool) ?? -1n) + 1n);
  if (nonce.seq < expected)
    return refuse(reject(RejectCode.NONCE_SEQ_TOO_LOW, `nonce sequence too low: expected ${expected}`));
  if (nonce.seq > expected)
    return refuse(reject(RejectCode.NONCE_SEQ_TOO_HIGH, `nonce sequence too high: expected ${expected}`));
  const previous =
    nonce.seq > chainNonce! ? ledger.lockAt(sender, nonce.nonceKey, nonce.seq - 1n, pool) : undefined;
  let confirms: Uint8Array | undefined;
  if (previous && !previous.confirmed) {
    const shown = request.parentQcs.find((q) => bytesEqual(q.txHash, previous.delta.txHash));
    if (!shown || !verifyQuorumCertificate(suite, committee, shown).ok) {
      return refuse(
        reject(
          RejectCode.MISSING_PARENT_QC,
          `attach the QC of your previous payment in this lane (seq ${nonce.seq - 1n}, tx ${toHex(previous.delta.txHash)}) in parent_qcs`,
        ),
      );
    }
    confirms = previous.delta.txHash;
  }

  for (const d of debits) {
    const fresh =
      credit &&
      holdingKey(credit.recipient, credit.asset, credit.pool) === holdingKey(d.account, d.asset, d.pool)
        ? credit.amount
        : 0n;
    const available =
      balanceAtB(chain, d)! -
      ledger.debitOf(d.account, d.asset, d.pool) +
      ledger.creditOf(d.account, d.asset, d.pool) +
      fresh;
    if (available < d.amount) {
      const what = d.pool
        ? 'insufficient escrow balance'
        : bytesEqual(d.asset, asset)
          ? 'insufficient funds'
          : 'insufficient fee token balance';
      return refuse(
        reject(
          RejectCode.INSUFFICIENT_FUNDS,
          `${what}: available ${available}, needed ${d.amount} of ${toHex(d.asset)}`,
        ),
      );
    }
  }

  return {
    kind: 'accept',
    txHash: p.txHash,
    effectsHash: p.effectsHash,
    digest: certDigest(suite, committee, p.txHash, p.effectsHash),
    decoded: p.decoded,
    ...(p.requestId ? { requestId: p.requestId } : {}),
    delta: {
      txHash: p.txHash,
      effects: p.effects,
      debits,
      ...(credit ? { credit } : {}),
      ...(p.decoded.validBefore !== undefined ? { inclusionDeadlineMs: p.decoded.validBefore * 1000n } : {}),
      ...(parentRef ? { parent: parentRef } : {}),
      signedTx: p.signedTx,
      ...(confirms ? { confirms } : {}),
      ...(pool ? { pool, paymentId: p.decoded.signingHash } : {}),
    },
  };
}

/**
 * The lane's chain nonce at B: the account's 2D nonce, or for an escrow lane the escrow's nextSeq. Undefined (and
 * the read queued) when not loaded.
 */
function laneNonce(
  chain: ChainView,
  account: Uint8Array,
  nonceKey: Uint8Array,
  pool: Pool | undefined,
  reads: ChainRead[],
): bigint | undefined {
  const value = pool ? chain.escrowNextSeq?.(account, nonceKey) : chain.nonceOf(account, nonceKey);
  if (value === undefined) reads.push({ kind: pool ? 'escrowNextSeq' : 'nonce', account, nonceKey });
  return value;
}

/** What a debit's holding holds at B: the wallet's balance, or the escrow balance minus announced withdrawals. */
function balanceAtB(chain: ChainView, d: Debit): bigint | undefined {
  return d.pool ? chain.escrowBalanceOf?.(d.account, d.asset) : chain.balanceOf(d.account, d.asset);
}

/** An escrow payment names a parent payment id exactly when it cites a parent QC (the contract checks the id). */
function escrowParentProblem(p: PreparedSubmission): Reject | undefined {
  const names = p.decoded.escrowParent?.some((b) => b !== 0) ?? false;
  if (names && !p.parentQcHash)
    return reject(
      RejectCode.MISSING_PARENT_QC,
      'the escrow payment names a parent: cite its QC (parent_qc_hash)',
    );
  if (!names && p.parentQcHash)
    return reject(
      RejectCode.INVALID_FORMAT,
      'the escrow payment cites a parent QC but names no parent payment',
    );
  return undefined;
}

/**
 * A credit funds only its own pool: an escrow child spends only an escrow parent's credit, and names that parent's
 * payment id (else the contract would settle it without its funding); a wallet child never spends escrow credit.
 */
function parentPoolProblem(credit: Credit, p: PreparedSubmission): Reject | undefined {
  if (p.decoded.kind !== 'escrow')
    return credit.pool
      ? reject(
          RejectCode.INVALID_PARENT_QC,
          'an escrow parent credits the escrow: spend it with an escrow payment',
        )
      : undefined;
  if (!credit.pool)
    return reject(RejectCode.INVALID_PARENT_QC, 'an escrow payment may cite only an escrow parent');
  if (!credit.paymentId || !bytesEqual(credit.paymentId, p.decoded.escrowParent!))
    return reject(RejectCode.INVALID_PARENT_QC, "the escrow payment's parent is not the cited QC's payment");
  return undefined;
}

/** When the payment can no longer land: its signed validBefore, else the wrapper expiry. */
function deadlineOf(p: PreparedSubmission): Expiry {
  return p.decoded.validBefore !== undefined
    ? { kind: 'unixMillis', value: p.decoded.validBefore * 1000n }
    : p.expiry;
}

/** A deadline at most `maxExpiryMs` (or `maxExpiryBlocks`) after B: locks cannot be parked for ever. */
function expiryTooFar(deadline: Expiry, head: ChainView['head'], rules: DecisionRules): Reject | undefined {
  const [ahead, max, unit] =
    deadline.kind === 'unixMillis'
      ? [deadline.value - head.timestampMs, rules.maxExpiryMs, 'ms']
      : [deadline.value - head.height, rules.maxExpiryBlocks, 'blocks'];
  return ahead > max
    ? reject(RejectCode.INVALID_FORMAT, `expiry too far ahead: ${ahead} ${unit} > ${max} ${unit} allowed`)
    : undefined;
}

/**
 * One live lane per sender, and quotas of live payments per sender and per lane. With several lanes live at once,
 * quorums that each saw part of an account's payments could certify more than it holds (quorum intersection only
 * covers two payments at a time); within one lane the confirmation order covers them all.
 */
function laneQuotaProblem(
  ledger: LedgerView,
  sender: Uint8Array,
  key: string,
  rules: DecisionRules,
): Reject | undefined {
  const lanes = ledger.liveLanesOf(sender);
  for (const [other, count] of lanes) {
    if (other !== key) {
      return reject(
        RejectCode.RATE_LIMITED,
        `one lane at a time: ${count} payment(s) of this sender are pending on another nonce key; retry once they settle`,
      );
    }
  }
  const inLane = lanes.get(key) ?? 0;
  if (inLane >= rules.maxPendingPerLane)
    return reject(
      RejectCode.RATE_LIMITED,
      `lane quota full: ${inLane} pending (max ${rules.maxPendingPerLane})`,
    );
  if (inLane >= rules.maxPendingPerSender)
    return reject(
      RejectCode.RATE_LIMITED,
      `sender quota full: ${inLane} pending (max ${rules.maxPendingPerSender})`,
    );
  return undefined;
}

/**
 * What the payment holds back: the amount in its asset, plus the maximum fee in the fee token from whoever pays it,
 * the sender or a sponsor (ARCHITECTURE.md ledger: "amount, plus the maximum fee when the fee token is the asset;
 * a fee in another token is checked against that token the same way"; the audit: a sponsor's fee-token balance is
 * debited like a sender's). Nothing for the fee when the chain charges none.
 */
function requiredDebits(chain: ChainView, p: PreparedSubmission, reads: ChainRead[]): Debit[] | Reject {
  const { sender, asset, amount } = p.effects;
  if (p.decoded.kind === 'escrow') return [{ account: sender, asset, amount, pool: 'escrow' }];
  const debits: Debit[] = [{ account: sender, asset, amount }];
  if (!chain.chargesFees || p.decoded.maxFee === 0n) return debits;
  const payer = p.decoded.sponsored && p.decoded.feePayer ? p.decoded.feePayer : sender;
  const feeToken = p.decoded.feeToken ?? chain.defaultFeeToken(payer);
  if (feeToken === null) {
    return reject(
      RejectCode.INVALID_FORMAT,
      'the signed tx must name its fee token (feeToken) on this chain',
    );
  }
  if (!feeToken) {
    reads.push({ kind: 'feeToken', account: payer });
    return debits;
  }
  if (bytesEqual(payer, sender) && bytesEqual(feeToken, asset))
    return [{ account: sender, asset, amount: amount + p.decoded.maxFee }];
  debits.push({ account: payer, asset: feeToken, amount: p.decoded.maxFee });
  return debits;
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
