import { bytesEqual, toHex } from '../bytes.ts';
import type { Committee } from '../committee.ts';
import type { CryptoSuite } from '../crypto/suite.ts';
import { effectsHash, txHash } from '../hashing.ts';
import { type Reject, RejectCode, reject } from '../reject.ts';
import { type DecodedTempoTx, decodeTempoTx, MAX_TEMPO_TX_BYTES } from '../tempo/decode-tempo-tx.ts';
import { isTip20Address } from '../tempo/tip20-transfer.ts';
import type { Effects, Expiry, FastPayTx, Nonce2D, Payment, PaymentIntent } from '../types.ts';

/** A submission that passed every stateless check: decoded, bound to its wrapper, hashed. */
export interface PreparedSubmission {
  readonly decoded: DecodedTempoTx;
  readonly signedTx: Uint8Array;
  readonly effects: Effects;
  readonly expiry: Expiry;
  readonly parentQcHash?: Uint8Array;
  readonly txHash: Uint8Array;
  readonly effectsHash: Uint8Array;
  readonly requestId?: string;
}

type Step<T> = { ok: true; value: T } | { ok: false; reject: Reject };

const invalid = (message: string): { ok: false; reject: Reject } => ({
  ok: false,
  reject: reject(RejectCode.INVALID_FORMAT, message),
});

/** Parses a claimed payment: sender, recipient and asset present and 20 bytes (reference §6.2 A9/A14). */
function parseClaim(p: PaymentIntent, field: string): Step<Payment> {
  for (const name of ['sender', 'recipient', 'asset'] as const) {
    const v = p[name];
    if (v?.length !== 20) return invalid(`${field}.${name}: expected a 20-byte address`);
  }
  return {
    ok: true,
    value: { sender: p.sender!, recipient: p.recipient!, amount: p.amount, asset: p.asset! },
  };
}

function samePayment(a: Payment, b: Payment): boolean {
  return (
    bytesEqual(a.sender, b.sender) &&
    bytesEqual(a.recipient, b.recipient) &&
    a.amount === b.amount &&
    bytesEqual(a.asset, b.asset)
  );
}

/**
 * The wrapper's nonce must be the signed tx's nonce (fixes reference §14 "contention key not bound"): otherwise a
 * sender could certify several txs that cannot all settle, or anyone could re-wrap a victim's old tx.
 */
function bindNonce(nonce: Nonce2D | undefined, decoded: DecodedTempoTx): Step<Nonce2D> {
  if (!nonce) return invalid('missing nonce');
  if (nonce.nonceKey.length !== 32) return invalid('nonce_key must be 32 bytes');
  if (!bytesEqual(nonce.nonceKey, decoded.nonceKey) || nonce.seq !== decoded.nonce) {
    return invalid('wrapper nonce does not match the signed tx (nonce key and sequence must be equal)');
  }
  return { ok: true, value: nonce };
}

/**
 * The wrapper's expiry is canonical: with a `validBefore`, it must be exactly that instant in unix millis, so a
 * certificate never outlives the tx's own deadline on chain (reference §6.2 A15, §14) and a relayer cannot re-wrap
 * a payer's signed tx with another expiry to split the votes.
 */
function bindExpiry(expiry: Expiry | null | undefined, decoded: DecodedTempoTx): Step<Expiry> {
  if (expiry === undefined) return invalid('missing expiry');
  if (expiry === null) return invalid('missing expiry kind');
  if (decoded.validBefore !== undefined) {
    if (expiry.kind !== 'unixMillis')
      return invalid('expiry must be unix millis when the signed tx has validBefore');
    if (expiry.value !== decoded.validBefore * 1000n)
      return invalid(
        `expiry must equal the signed tx validBefore in unix millis (${decoded.validBefore * 1000n})`,
      );
  }
  return { ok: true, value: expiry };
}

/**
 * A TIP-20 transfer reverts for some recipients (measured on the devnet): the zero address and any TIP-20 token
 * address (the token itself or another). A QC for such a payment would certify a transfer that cannot happen.
 */
function recipientProblem(decoded: DecodedTempoTx): string | undefined {
  if (decoded.recipient.every((b) => b === 0))
    return 'recipient is the zero address: the transfer would revert';
  if (isTip20Address(decoded.recipient))
    return `recipient ${toHex(decoded.recipient)} is a TIP-20 token: the transfer would revert`;
  return undefined;
}

/**
 * Phase A of validation (reference §6.2 A1–A18): every check that needs no state, in the reference's order, plus
 * our bindings of the wrapper to the signed tx (chain id, nonce, expiry) and the payment sanity rules (amount > 0,
 * sender ≠ recipient). Never throws on malformed input.
 */
export function prepareSubmission(
  suite: CryptoSuite,
  committee: Committee,
  tx: FastPayTx | undefined,
): Step<PreparedSubmission> {
  if (!tx) return invalid('missing tx');
  if (tx.chainId === undefined) return invalid('missing chain_id');
  if (tx.chainId !== committee.chainId) {
    return { ok: false, reject: reject(RejectCode.WRONG_CHAIN, 'wrong chain_id') };
  }
  if (!tx.tempoTx) return invalid('missing tempo_tx');
  if (tx.tempoTx.length === 0) return invalid('empty tempo_tx');
  if (tx.tempoTx.length > MAX_TEMPO_TX_BYTES) return invalid('tempo_tx exceeds maximum size');
  const claimSource = tx.overlay?.payment ? 'overlay.payment' : tx.intent ? 'intent' : undefined;
  const claimed = tx.overlay?.payment ?? tx.intent;
  if (!claimed || !claimSource) return invalid('missing overlay payment metadata');
  const claim = parseClaim(claimed, claimSource);
  if (!claim.ok) return claim;

  const decodedResult = decodeTempoTx(suite, tx.format, tx.tempoTx);
  if (!decodedResult.ok) return decodedResult;
  const decoded = decodedResult.tx;
  if (!bytesEqual(decoded.sender, claim.value.sender))
    return invalid('overlay sender does not match tx signer');
  if (!samePayment(claim.value, decoded)) {
    return invalid('overlay payment does not match tempo_tx');
  }
  if (tx.intent && claimSource !== 'intent') {
    const intent = parseClaim(tx.intent, 'intent');
    if (!intent.ok) return intent;
    if (!samePayment(intent.value, claim.value)) return invalid('intent does not match tempo_tx');
  }
  if (decoded.chainId !== committee.chainId) {
    return {
      ok: false,
      reject: reject(RejectCode.WRONG_CHAIN, 'signed tx chain id does not match chain_id'),
    };
  }
  if (decoded.amount === 0n) return invalid('amount must be greater than zero');
  if (bytesEqual(decoded.sender, decoded.recipient)) return invalid('sender and recipient must differ');
  const badRecipient = recipientProblem(decoded);
  if (badRecipient) return { ok: false, reject: reject(RejectCode.INVALID_RECIPIENT, badRecipient) };

  const expiry = bindExpiry(tx.expiry, decoded);
  if (!expiry.ok) return expiry;
  const nonce = bindNonce(tx.nonce, decoded);
  if (!nonce.ok) return nonce;
  if (tx.parentQcHash.length !== 0 && tx.parentQcHash.length !== 32)
    return invalid('parent_qc_hash must be 32 bytes');

  const effects: Effects = { ...claim.value, nonce: nonce.value };
  const parentQcHash = tx.parentQcHash.length === 32 ? tx.parentQcHash : undefined;
  const requestId = tx.clientRequestId.trim();
  return {
    ok: true,
    value: {
      decoded,
      signedTx: tx.tempoTx,
      effects,
      expiry: expiry.value,
      ...(parentQcHash ? { parentQcHash } : {}),
      txHash: txHash(suite, {
        chainId: tx.chainId,
        tempoTx: tx.tempoTx,
        nonce: nonce.value,
        expiry: expiry.value,
        parentQcHash: tx.parentQcHash,
      }),
      effectsHash: effectsHash(suite, effects),
      ...(requestId ? { requestId } : {}),
    },
  };
}
