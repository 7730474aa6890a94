import { toHex } from '../../protocol/bytes.ts';
import { signCertificate } from '../../protocol/certificate.ts';
import type { Committee } from '../../protocol/committee.ts';
import type { CryptoSuite, Ed25519Signer } from '../../protocol/crypto/suite.ts';
import type { EscrowDomain } from '../../protocol/escrow/escrow-eip712.ts';
import { escrowSettlementDigest } from '../../protocol/escrow/escrow-payment.ts';
import { signEscrowDigest } from '../../protocol/escrow/escrow-signature.ts';
import type { Ledger, LockRecord } from '../../protocol/ledger/ledger.ts';
import { type Reject, RejectCode, reject } from '../../protocol/reject.ts';
import type { DecodedTempoTx } from '../../protocol/tempo/decoded-tempo-tx.ts';
import type { SubmitRequest, ValidatorCertificate } from '../../protocol/types.ts';
import type { ChainRead } from '../../protocol/validation/chain-view.ts';
import { decideSubmission } from '../../protocol/validation/decide-submission.ts';
import type { LedgerDelta } from '../../protocol/validation/decision.ts';
import { DEFAULT_RULES, type DecisionRules } from '../../protocol/validation/decision-rules.ts';
import type { ChainSource } from './chain-source.ts';
import type { SafetyJournal } from './safety-journal.ts';

/** What a submission finally gets: a certificate (new or existing) or an in-band reject. */
export type SubmitOutcome =
  | {
      readonly cert: ValidatorCertificate;
      readonly fresh?: { readonly decoded: DecodedTempoTx; readonly record: LockRecord };
    }
  | { readonly reject: Reject };

/** One synchronous step of a submission: finished, waiting for chain reads, or reserved and awaiting persistence. */
export type SubmitStep =
  | { readonly kind: 'done'; readonly outcome: SubmitOutcome | Promise<SubmitOutcome> }
  | { readonly kind: 'fetch'; readonly reads: readonly ChainRead[] }
  | {
      readonly kind: 'persist';
      readonly record: LockRecord;
      readonly decoded: DecodedTempoTx;
      readonly requestId?: string;
    };

/**
 * The validator's secp256k1 settlement key, registered in the escrow's committee: on accepting an escrow payment
 * it signs escrowSettlementDigest(domain, paymentId, epoch), which `settle` verifies on chain (Ed25519 has no EVM
 * precompile). The Ed25519 certificate is unchanged; the signature rides in `settlementSignature`.
 */
export interface SettlementSigner {
  readonly domain: EscrowDomain;
  /** The escrow committee's epoch whose members include this key. */
  readonly epoch: bigint;
  readonly privateKey: Uint8Array;
}

/** Where the core reports how long its steps took, in seconds (the sidecar's histograms). */
export interface CoreTimings {
  readonly decision: { observe(seconds: number): void };
  readonly durableWrite: { observe(seconds: number): void };
}

/** Chain-read rounds per submission before answering TEMPORARY_UNAVAILABLE (the head kept moving). */
const MAX_FETCH_ROUNDS = 8;

export interface ValidatorIdentity {
  readonly name: string;
  readonly id: Uint8Array;
}

/**
 * The validator's certify loop around the pure decision. `step` decides and, on accept, signs and reserves the
 * lock in the in-memory ledger in the same synchronous step, so no concurrent request can see the state without
 * it; `persist` then writes the lock durably and only after that releases the certificate. If the write fails the
 * answer is TEMPORARY_UNAVAILABLE: never release what is not persisted. The reservation is taken back only once
 * the lock is durably deleted; if even that fails (the write may have landed, as with a Redis WAITAOF timeout)
 * the contention key stays reserved for this tx (a tombstone) and a resubmission persists it again (audit M3).
 */
export class ValidatorCore {
  readonly #pending = new Map<string, Promise<void>>();
  /** Locks reserved whose durable state is unknown: their certificate is released only after a successful write. */
  readonly #unconfirmed = new Set<string>();
  /** Observers of the decision and durable-write times; none until the node sets them. */
  timings: CoreTimings | undefined;

  constructor(
    private readonly suite: CryptoSuite,
    readonly committee: Committee,
    readonly identity: ValidatorIdentity,
    private readonly signer: Ed25519Signer,
    readonly ledger: Ledger,
    private readonly journal: SafetyJournal,
    readonly chain: ChainSource,
    private readonly now: () => bigint,
    private readonly rules: DecisionRules = DEFAULT_RULES,
    private readonly settlementSigner?: SettlementSigner,
  ) {}

  get publicKey(): Uint8Array {
    return this.signer.publicKey;
  }

  /**
   * Answers one submission: decides, signs and reserves in one synchronous `step`, then persists and only then
   * releases the certificate. No mailbox is needed to serialise decisions: `step` runs to completion before any
   * other request's does, and only the durable write, the reply and chain reads are awaited, so other requests
   * proceed meanwhile. A decision that needs chain values loads them and decides again, at most MAX_FETCH_ROUNDS
   * times (then TEMPORARY_UNAVAILABLE: the head kept moving).
   */
  async submit(request: SubmitRequest): Promise<SubmitOutcome> {
    for (let round = 0; ; round++) {
      const step = this.step(request);
      if (step.kind === 'done') return step.outcome;
      if (step.kind === 'persist') return this.persist(step);
      if (round >= MAX_FETCH_ROUNDS) {
        return { reject: reject(RejectCode.TEMPORARY_UNAVAILABLE, 'chain view kept changing; retry') };
      }
      try {
        await this.chain.load(step.reads);
      } catch (err) {
        return {
          reject: reject(RejectCode.TEMPORARY_UNAVAILABLE, `chain unavailable: ${(err as Error).message}`),
        };
      }
    }
  }

  /** Decides `request` against the ledger and the chain view as they are now. Synchronous: callers serialise it. */
  step(request: SubmitRequest): SubmitStep {
    if (this.chain.moving?.()) return { kind: 'fetch', reads: [] };
    const decideStarted = performance.now();
    const decision = decideSubmission(
      this.suite,
      this.committee,
      this.ledger,
      this.chain.view(),
      request,
      this.rules,
    );
    this.timings?.decision.observe((performance.now() - decideStarted) / 1000);
    switch (decision.kind) {
      case 'fetch':
        return { kind: 'fetch', reads: decision.reads };
      case 'existing':
        return { kind: 'done', outcome: this.#whenDurable(decision.cert) };
      case 'reject':
        if (decision.cacheAs) {
          const { sender, requestId, txHash } = decision.cacheAs;
          this.ledger.cacheResponse(sender, requestId, { txHash, response: { reject: decision.reject } });
        }
        return { kind: 'done', outcome: { reject: decision.reject } };
      case 'accept': {
        const signed = signCertificate(
          this.suite,
          this.signer,
          this.identity,
          this.committee,
          decision.delta.effects,
          decision.txHash,
          decision.effectsHash,
          this.now(),
        );
        const cert = this.#withSettlementSignature(signed, decision.delta);
        this.ledger.record(decision.delta, cert);
        const record = { delta: decision.delta, cert };
        return {
          kind: 'persist',
          record,
          decoded: decision.decoded,
          ...(decision.requestId ? { requestId: decision.requestId } : {}),
        };
      }
    }
  }

  /** An escrow payment's certificate also carries the settlement signature over its payment id. */
  #withSettlementSignature(cert: ValidatorCertificate, delta: LedgerDelta): ValidatorCertificate {
    const key = this.settlementSigner;
    if (!key || !delta.paymentId) return cert;
    const digest = escrowSettlementDigest(key.domain, delta.paymentId, key.epoch);
    return { ...cert, settlementSignature: signEscrowDigest(digest, key.privateKey) };
  }

  /** Makes a reserved lock durable, then answers with its certificate (or takes the reservation back). */
  async persist(step: Extract<SubmitStep, { kind: 'persist' }>): Promise<SubmitOutcome> {
    const { record } = step;
    const hex = toHex(record.delta.txHash);
    const writeStarted = performance.now();
    const write = this.journal.persist(record);
    this.#pending.set(hex, write);
    try {
      await write;
      this.timings?.durableWrite.observe((performance.now() - writeStarted) / 1000);
    } catch (err) {
      this.#pending.delete(hex);
      await this.#undo(record);
      return { reject: storeUnavailable(err) };
    }
    this.#pending.delete(hex);
    if (step.requestId) {
      this.ledger.cacheResponse(record.delta.effects.sender, step.requestId, {
        txHash: record.delta.txHash,
        response: { cert: record.cert },
      });
    }
    return { cert: record.cert, fresh: { decoded: step.decoded, record } };
  }

  /** Takes a reservation back once its lock is durably gone; otherwise keeps it as a tombstone. */
  async #undo(record: LockRecord): Promise<void> {
    const hex = toHex(record.delta.txHash);
    try {
      await this.journal.undo(record);
      this.ledger.unrecord(record.delta);
      this.#unconfirmed.delete(hex);
    } catch {
      this.#unconfirmed.add(hex);
    }
  }

  /**
   * An existing certificate is returned only once its lock is durable: it may still be in flight, or be a
   * tombstone whose write must be tried again.
   */
  async #whenDurable(cert: ValidatorCertificate): Promise<SubmitOutcome> {
    const hex = toHex(cert.txHash);
    const pending = this.#pending.get(hex);
    if (pending) {
      try {
        await pending;
      } catch (err) {
        return { reject: storeUnavailable(err) };
      }
    }
    const lock = this.#unconfirmed.has(hex) ? this.ledger.lockOf(cert.txHash) : undefined;
    if (lock) {
      try {
        await this.journal.persist(lock);
        this.#unconfirmed.delete(hex);
      } catch (err) {
        return { reject: storeUnavailable(err) };
      }
    }
    return { cert };
  }
}

function storeUnavailable(err: unknown): Reject {
  return reject(
    RejectCode.TEMPORARY_UNAVAILABLE,
    `safety state could not be persisted, nothing was signed: ${(err as Error).message}`,
  );
}
