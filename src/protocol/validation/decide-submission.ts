import { bytesEqual, toHex } from '../bytes.ts';
import type { Committee } from '../committee.ts';
import type { CryptoSuite } from '../crypto/suite.ts';
import { certDigest } from '../hashing.ts';
import { holdingKey } from '../ledger/keys.ts';
import { isTransientReject, type Reject, RejectCode, reject } from '../reject.ts';
import type { Expiry, SubmitRequest } from '../types.ts';
import type { ChainRead, ChainView } from './chain-view.ts';
import type { Credit, Debit, Decision, ParentRef } from './decision.ts';
import type { LedgerView } from './ledger-view.ts';
import { resolveParentCredit } from './parent-credit.ts';
import { type PreparedSubmission, prepareSubmission } from './prepare-submission.ts';

/** Expired iff the head is at or past the bound: valid only while strictly below (reference §6.2 B2). */
export function isExpired(expiry: Expiry, head: ChainView['head']): boolean {
  return expiry.kind === 'maxBlockHeight' ? head.height >= expiry.value : head.timestampMs >= expiry.value;
}

/**
 * The sidecar's validation decision: a pure function of the ledger, the chain view at B and the request
 * (reference §6.2 order: phase A, then request cache, expiry, contention, sequence, funds), with our fixes:
 * sequences follow the chain nonce, plain overspend is INSUFFICIENT_FUNDS, a parent's credit is counted once per
 * parent whatever the number of children, the maximum fee is reserved, transient rejects are not cacheable.
 */
export function decideSubmission(
  suite: CryptoSuite,
  committee: Committee,
  ledger: LedgerView,
  chain: ChainView,
  request: SubmitRequest,
): Decision {
  const prepared = prepareSubmission(suite, committee, request.tx);
  if (!prepared.ok) return { kind: 'reject', reject: prepared.reject };
  return decidePrepared(suite, committee, ledger, chain, request, prepared.value);
}

function decidePrepared(
  suite: CryptoSuite,
  committee: Committee,
  ledger: LedgerView,
  chain: ChainView,
  request: SubmitRequest,
  p: PreparedSubmission,
): Decision {
  const { sender, nonce, asset } = p.effects;
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

  const locked = ledger.lockedTx(sender, nonce.nonceKey, nonce.seq);
  if (locked && !bytesEqual(locked, p.txHash))
    return refuse(reject(RejectCode.EQUIVOCATION, 'equivocation detected'));
  if (locked) {
    const cert = ledger.ownCertificate(p.txHash);
    return cert
      ? { kind: 'existing', cert }
      : {
          kind: 'reject',
          reject: reject(RejectCode.TEMPORARY_UNAVAILABLE, 'certificate for locked tx not available'),
        };
  }

  const settled = ledger.ownCertificate(p.txHash);
  if (settled) return { kind: 'existing', cert: settled };

  const reads: ChainRead[] = [];
  const chainNonce = chain.nonceOf(sender, nonce.nonceKey);
  if (chainNonce === undefined) reads.push({ kind: 'nonce', account: sender, nonceKey: nonce.nonceKey });

  let credit: Credit | undefined;
  let parentRef: ParentRef | undefined;
  if (p.parentQcHash) {
    const parent = resolveParentCredit(
      suite,
      committee,
      ledger,
      p.parentQcHash,
      request.parentQcs,
      p.effects,
    );
    if (!parent.ok) return refuse(parent.reject);
    const { parentTxHash, parentSender, parentNonceKey, parentSeq } = parent.credit;
    parentRef = {
      qcHash: p.parentQcHash,
      txHash: parentTxHash,
      sender: parentSender,
      nonceKey: parentNonceKey,
      seq: parentSeq,
    };
    const parentNonce = chain.nonceOf(parent.credit.parentSender, parent.credit.parentNonceKey);
    if (parentNonce === undefined) {
      reads.push({
        kind: 'nonce',
        account: parent.credit.parentSender,
        nonceKey: parent.credit.parentNonceKey,
      });
    } else if (parentNonce <= parent.credit.parentSeq && !ledger.hasCredit(parent.credit.parentTxHash)) {
      credit = parent.credit;
    }
  }

  const debits = requiredDebits(chain, p, reads);
  if (!Array.isArray(debits)) return refuse(debits);
  for (const d of debits) {
    if (chain.balanceOf(d.account, d.asset) === undefined)
      reads.push({ kind: 'balance', account: d.account, asset: d.asset });
  }
  if (reads.length > 0) return { kind: 'fetch', reads };

  const expected = maxBig(chainNonce!, (ledger.highestLockedSeq(sender, nonce.nonceKey) ?? -1n) + 1n);
  if (nonce.seq < expected)
    return refuse(reject(RejectCode.NONCE_SEQ_TOO_LOW, `nonce sequence too low: expected ${expected}`));
  if (nonce.seq > expected)
    return refuse(reject(RejectCode.NONCE_SEQ_TOO_HIGH, `nonce sequence too high: expected ${expected}`));

  for (const d of debits) {
    const fresh =
      credit && holdingKey(credit.recipient, credit.asset) === holdingKey(d.account, d.asset)
        ? credit.amount
        : 0n;
    const available =
      chain.balanceOf(d.account, d.asset)! -
      ledger.debitOf(d.account, d.asset) +
      ledger.creditOf(d.account, d.asset) +
      fresh;
    if (available < d.amount) {
      const what = bytesEqual(d.asset, asset) ? 'insufficient funds' : 'insufficient fee token balance';
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
    },
  };
}

/**
 * What the payment holds back: the amount in its asset, plus the maximum fee in the fee token unless a sponsor
 * pays it or the chain charges none (ARCHITECTURE.md ledger: "amount, plus the maximum fee when the fee token is
 * the asset; a fee in another token is checked against that token the same way").
 */
function requiredDebits(chain: ChainView, p: PreparedSubmission, reads: ChainRead[]): Debit[] | Reject {
  const { sender, asset, amount } = p.effects;
  const debits: Debit[] = [{ account: sender, asset, amount }];
  if (!chain.chargesFees || p.decoded.sponsored || p.decoded.maxFee === 0n) return debits;
  const feeToken = p.decoded.feeToken ?? chain.defaultFeeToken(sender);
  if (feeToken === null) {
    return reject(
      RejectCode.INVALID_FORMAT,
      'the signed tx must name its fee token (feeToken) on this chain',
    );
  }
  if (!feeToken) {
    reads.push({ kind: 'feeToken', account: sender });
    return debits;
  }
  if (bytesEqual(feeToken, asset)) return [{ account: sender, asset, amount: amount + p.decoded.maxFee }];
  debits.push({ account: sender, asset: feeToken, amount: p.decoded.maxFee });
  return debits;
}

function maxBig(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
