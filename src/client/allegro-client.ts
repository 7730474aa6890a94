import { setMaxListeners } from 'node:events';
import type { EscrowChain, EscrowReceipt, EscrowWithdrawal } from '../chain/escrow/escrow-chain.ts';
import { ALPHA_USD } from '../chain/tempo-tokens.ts';
import { bytesEqual, isU64, toHex } from '../protocol/bytes.ts';
import { type Committee, committeeProblem, quorumThreshold } from '../protocol/committee.ts';
import { createNodeCryptoSuite } from '../protocol/crypto/node-suite.ts';
import { rememberingVerifies } from '../protocol/crypto/remembered-verifies.ts';
import type { CryptoSuite } from '../protocol/crypto/suite.ts';
import { readEscrowPaymentTx } from '../protocol/escrow/decode-escrow-payment.ts';
import type { EscrowDomain } from '../protocol/escrow/escrow-eip712.ts';
import { escrowPaymentDigest } from '../protocol/escrow/escrow-payment.ts';
import { ADDRESS_LENGTH } from '../protocol/hashing.ts';
import { verifyQuorumCertificate } from '../protocol/quorum.ts';
import {
  type FastPayTx,
  type QuorumCertificate,
  TempoTxFormat,
  type ValidatorCertificate,
} from '../protocol/types.ts';
import type { Store } from '../store/store.ts';
import type { SidecarTransport } from '../wire/sidecar-transport.ts';
import { buildEscrowPayment } from './build-escrow-payment.ts';
import { type BuiltPayment, buildPayment } from './build-payment.ts';
import type { ClientEvent } from './client-event.ts';
import { type CollectionResult, type CollectionTarget, collectCertificates } from './collect-certificates.ts';
import {
  AllegroClientError,
  type LaneDisposition,
  PaymentRejectedError,
  PendingPaymentError,
  QuorumTimeoutError,
} from './errors.ts';
import { DEFAULT_LANE, type Lane } from './lane.ts';
import { type LaneFate, laneAfterFailure } from './lane-fate.ts';
import { type LaneRecord, type LaneSnapshot, LaneStore, type PendingPayment } from './lane-store.ts';
import { type PayerKey, payerAddress, payerKeyBytes } from './payer-key.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.ts';
import type { ValidatorReport } from './validator-answer.ts';

export { checkPayment, type PayeeChainReader, type PaymentCheck } from './check-payment.ts';

/** How long a payment stays valid when the caller names no `validBefore`. */
export const DEFAULT_VALID_FOR_MS = 120_000;

/** Valid certificate signatures a client remembers (a few payments' worth). */
const REMEMBERED_SIGNATURES = 256;

/** Resyncs one sendPayment follows before it reports the failure (each is a full round to every validator). */
const MAX_RESYNCS = 3;

export interface AllegroClientOptions {
  /** The pinned validator set; certificates are verified against it. */
  readonly committee: Committee;
  /**
   * One transport per committee member, in committee order or keyed by the member's 0x-hex id. The caller owns
   * them: `close()` does not close them.
   */
  readonly transports: readonly SidecarTransport[] | ReadonlyMap<string, SidecarTransport>;
  readonly account: PayerKey;
  /** Where the lane's sequence state lives; it survives a restart with a durable store. */
  readonly store: Store;
  /** Must be the committee's chain id (the default). */
  readonly chainId?: bigint;
  readonly lane?: Lane;
  /** Token the fees are paid in; default pathUSD. */
  readonly feeToken?: Uint8Array;
  readonly suite?: CryptoSuite;
  /** Wall clock, unix millis: expiries are computed and checked with it. */
  readonly now?: () => number;
  readonly retry?: Partial<RetryPolicy>;
  /** Progress events; a listener that throws is ignored. */
  readonly onEvent?: (event: ClientEvent) => void;
  /**
   * ESCROWED mode: payments are ALLEGRO_ESCROW_V1 payments out of this AllegroEscrow (no fee for the payer: the
   * settling sidecar pays it). `chain` (owned by the caller) is needed for deposit, withdrawals and escrowState.
   */
  readonly escrow?: {
    readonly address: Uint8Array;
    readonly chain?: Pick<
      EscrowChain,
      'deposit' | 'announceWithdrawal' | 'completeWithdrawal' | 'balanceOf' | 'announcedOf'
    >;
  };
}

/** The payer's escrowed funds of one token: what sidecars count is `balance − announced`. */
export interface EscrowState {
  readonly balance: bigint;
  /** Announced, not yet completed withdrawals: spent for the sidecars from their announcement. */
  readonly announced: bigint;
}

export interface SendPaymentInput {
  /** 20-byte recipient. */
  readonly to: Uint8Array;
  readonly amount: bigint;
  /** TIP-20 token paid; default AlphaUSD. */
  readonly asset?: Uint8Array;
  /** Unix seconds the signed tx is valid before; default now + `validForMs`. */
  readonly validBefore?: bigint;
  readonly validForMs?: number;
  /** QC of a payment to this payer to spend from at once (a chained spend). */
  readonly parent?: QuorumCertificate;
  /**
   * The parent's own FastPayTx (`PaymentResult.tx` of whoever paid it): a sidecar that has not seen the parent
   * credits it only when it can check the parent is landable, so send it along with `parent`. Required for an
   * escrow child, which signs its parent's payment id.
   */
  readonly parentTx?: FastPayTx;
}

export interface PaymentResult {
  readonly qc: QuorumCertificate;
  /** The payment as sent: hand it to the payee with the QC, so it can spend it as a parent (`parentTx`). */
  readonly tx: FastPayTx;
  readonly txHash: Uint8Array;
  readonly seq: bigint;
  /** Escrow payments: the payment id (what the settlement signatures in the certificates sign). */
  readonly paymentId?: Uint8Array;
  /** Every verified certificate received before the QC formed. */
  readonly certs: readonly ValidatorCertificate[];
  /** Validators that had answered something other than a valid certificate by then. */
  readonly rejects: readonly ValidatorReport[];
}

/** What finishing the lane's pending payment did. */
export type PendingResolution =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'certified';
      readonly txHash: Uint8Array;
      readonly seq: bigint;
      readonly qc: QuorumCertificate;
    }
  /** `superseded`: it expired, so it can never be certified or included and its sequence goes to the next payment. */
  | { readonly kind: 'released' | 'superseded'; readonly txHash: Uint8Array; readonly seq: bigint }
  | { readonly kind: 'resynced'; readonly txHash: Uint8Array; readonly seq: bigint; readonly next: bigint };

/**
 * The payer library (reference §10.3 `FastPayClient`, with the §14 client fixes): builds real 0x76 payments on one
 * lane, submits each to every sidecar in parallel, verifies every certificate and returns the QC at 2f+1.
 *
 * Sequence rule (the lane state is durable in the Store and written before any request leaves): a payment reserves
 * the lane's next sequence together with its signed tx ("pending"); the lane moves past it only once its QC exists.
 * A payment without a QC is kept, released or resynced by `laneAfterFailure`; a kept payment is finished first by
 * the next sendPayment (resubmitted unchanged, which sidecars answer idempotently), or superseded at the same
 * sequence once it expired. So the next sequence is always either one a quorum certified the predecessor of, or
 * one a quorum expects: never a gap that blocks the lane. Calls are serialised per client.
 */
export class AllegroClient {
  /** The payer's 20-byte address. */
  readonly address: Uint8Array;
  readonly #committee: Committee;
  readonly #targets: readonly CollectionTarget[];
  readonly #account: PayerKey;
  readonly #chainId: bigint;
  readonly #lane: Lane;
  readonly #feeToken: Uint8Array | undefined;
  readonly #suite: CryptoSuite;
  readonly #now: () => number;
  readonly #policy: RetryPolicy;
  readonly #onEvent: ((event: ClientEvent) => void) | undefined;
  readonly #lanes: LaneStore;
  readonly #escrow: AllegroClientOptions['escrow'];
  readonly #closing = new AbortController();
  readonly #background = new Set<Promise<void>>();
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: AllegroClientOptions) {
    // Every request in flight listens to #closing until its call ends (a payment's late requests run on after its
    // QC): as many listeners as requests in flight, which Node's default of 10 would report as a leak.
    setMaxListeners(0, this.#closing.signal);
    const { committee } = options;
    const problem = committeeProblem(committee);
    if (problem) throw new AllegroClientError('CONFIG', problem);
    this.#chainId = options.chainId ?? committee.chainId;
    if (this.#chainId !== committee.chainId) {
      throw new AllegroClientError(
        'CONFIG',
        `chain id ${this.#chainId} is not the committee's ${committee.chainId}`,
      );
    }
    this.#committee = committee;
    this.#targets = pairTransports(committee, options.transports);
    this.#account = options.account;
    this.address = payerAddress(options.account);
    this.#lane = options.lane ?? DEFAULT_LANE;
    this.#feeToken = options.feeToken;
    // Each certificate is checked as it arrives and again when the QC is assembled: the second is a lookup.
    this.#suite = rememberingVerifies(options.suite ?? createNodeCryptoSuite(), REMEMBERED_SIGNATURES);
    this.#now = options.now ?? Date.now;
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#onEvent = options.onEvent;
    this.#escrow = options.escrow;
    this.#lanes = new LaneStore(options.store, this.address, this.#lane, options.escrow?.address);
  }

  /** Escrow mode: approves and deposits `amount` of `token` into the escrow (one 0x76 tx, fee from the payer). */
  deposit(token: Uint8Array, amount: bigint): Promise<EscrowReceipt> {
    return this.#escrowChain().deposit(this.#sender(), token, amount);
  }

  /**
   * Escrow mode: announces a withdrawal. Sidecars count it as spent from its block on; it completes only W later
   * (completeWithdrawal), paying what payments settled meanwhile left of it.
   */
  async announceWithdrawal(token: Uint8Array, amount: bigint): Promise<EscrowWithdrawal> {
    return (await this.#escrowChain().announceWithdrawal(this.#sender(), token, amount)).withdrawal;
  }

  /** Escrow mode: completes an announced withdrawal; the escrow refuses it before its executableAt. */
  completeWithdrawal(id: bigint): Promise<EscrowReceipt> {
    return this.#escrowChain().completeWithdrawal(this.#sender(), id);
  }

  /** Escrow mode: the payer's escrow balance and announced withdrawals of `token` at the head. */
  async escrowState(token: Uint8Array = ALPHA_USD): Promise<EscrowState> {
    const chain = this.#escrowChain();
    const [balance, announced] = await Promise.all([
      chain.balanceOf(this.address, token),
      chain.announcedOf(this.address, token),
    ]);
    return { balance, announced };
  }

  #escrowChain(): NonNullable<NonNullable<AllegroClientOptions['escrow']>['chain']> {
    const chain = this.#escrow?.chain;
    if (!chain) throw new AllegroClientError('CONFIG', 'escrow operations need options.escrow.chain');
    return chain;
  }

  #sender() {
    return { privateKey: payerKeyBytes(this.#account), address: this.address };
  }

  /**
   * Pays `to`: finishes the lane's pending payment first, reserves the next sequence durably, collects
   * certificates and returns the QC. Throws PaymentRejectedError (quorum impossible), QuorumTimeoutError,
   * PendingPaymentError (an earlier payment still blocks the lane) or AllegroClientError (INVALID_PAYMENT,
   * INVALID_PARENT_QC, LANE_CONFLICT, CLIENT_CLOSED). When a quorum of sidecars expects another sequence the lane
   * resyncs to it and the payment is rebuilt at that sequence (up to MAX_RESYNCS times). A failure is reported once
   * the requests still in flight have ended (each within its attempt timeout), never later than the deadline.
   */
  sendPayment(input: SendPaymentInput): Promise<PaymentResult> {
    return this.#exclusive(() => this.#send(input));
  }

  /** Finishes, releases or supersedes the lane's pending payment; PendingPaymentError when it can do none. */
  finishPending(): Promise<PendingResolution> {
    return this.#exclusive(async () => (await this.#finishPending()).resolution);
  }

  /** The lane's durable state: next sequence and pending payment. */
  async laneState(): Promise<LaneRecord> {
    return (await this.#lanes.read()).record;
  }

  /** Cancels requests still running (late ones included) and waits for them; later calls fail with CLIENT_CLOSED. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.#queue;
    await Promise.all(this.#background);
  }

  #exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(() => {
      if (this.#closing.signal.aborted) throw new AllegroClientError('CLIENT_CLOSED', 'the client is closed');
      return work();
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #send(input: SendPaymentInput): Promise<PaymentResult> {
    const asset = input.asset ?? ALPHA_USD;
    this.#checkPayment(input, asset);
    const validBefore =
      input.validBefore ??
      minBig(
        BigInt(Math.ceil((this.#now() + (input.validForMs ?? DEFAULT_VALID_FOR_MS)) / 1000)),
        parentValidBefore(input.parentTx),
      );
    let lane = (await this.#finishPending()).lane;
    for (let resyncs = 0; ; resyncs++) {
      const seq = lane.record.next;
      const built = this.#build(input, asset, seq, validBefore);
      const previousQc = lane.record.previousQc;
      const pending: PendingPayment = {
        request: {
          tx: built.tx,
          parentQcs: [...(input.parent ? [input.parent] : []), ...(previousQc ? [previousQc] : [])],
          ...(input.parentTx ? { parentTxs: [input.parentTx] } : {}),
        },
        txHash: built.txHash,
        effectsHash: built.effectsHash,
        expiresAtMs: validBefore * 1000n,
      };
      lane = await this.#lanes.write(lane, { next: seq, pending, ...(previousQc ? { previousQc } : {}) });
      const result = await this.#collect(pending, seq);
      if (result.kind === 'qc') {
        await this.#lanes.write(lane, { next: seq + 1n, previousQc: result.qc });
        return {
          qc: result.qc,
          tx: built.tx,
          txHash: built.txHash,
          seq,
          ...('paymentId' in built ? { paymentId: built.paymentId as Uint8Array } : {}),
          certs: result.reports.flatMap((r) => (r.answer.kind === 'certificate' ? [r.answer.cert] : [])),
          rejects: result.reports.filter((r) => r.answer.kind !== 'certificate' && r.answer.kind !== 'none'),
        };
      }
      const fate = this.#fateOf(result, seq);
      lane = await this.#applyFate(lane, fate);
      if (fate.kind === 'resync' && resyncs < MAX_RESYNCS) continue;
      const failure = { txHash: built.txHash, seq, reports: result.reports, lane: disposition(fate) };
      throw result.kind === 'rejected'
        ? new PaymentRejectedError(failure)
        : new QuorumTimeoutError({ ...failure, needed: quorumThreshold(this.#committee) });
    }
  }

  /** The payment at `seq`: an escrow payment in escrow mode, else a signed 0x76 transfer. */
  #build(input: SendPaymentInput, asset: Uint8Array, seq: bigint, validBefore: bigint): BuiltPayment {
    const common = {
      suite: this.#suite,
      account: this.#account,
      to: input.to,
      amount: input.amount,
      asset,
      lane: this.#lane,
      seq,
    };
    if (!this.#escrow) {
      return buildPayment({
        ...common,
        chainId: this.#chainId,
        validBefore,
        ...(this.#feeToken ? { feeToken: this.#feeToken } : {}),
        ...(input.parent ? { parentQc: input.parent } : {}),
      });
    }
    const domain: EscrowDomain = { chainId: this.#chainId, escrow: this.#escrow.address };
    return buildEscrowPayment({
      ...common,
      domain,
      deadline: validBefore,
      ...(input.parent
        ? { parent: { qc: input.parent, paymentId: escrowParentId(domain, input.parentTx) } }
        : {}),
    });
  }

  async #finishPending(): Promise<{ lane: LaneSnapshot; resolution: PendingResolution }> {
    const lane = await this.#lanes.read();
    const { next: seq, pending } = lane.record;
    if (!pending) return { lane, resolution: { kind: 'none' } };
    const { txHash } = pending;
    if (BigInt(this.#now()) >= pending.expiresAtMs) {
      return {
        lane: await this.#lanes.write(lane, keepPrevious(lane, { next: seq })),
        resolution: { kind: 'superseded', txHash, seq },
      };
    }
    const result = await this.#collect(pending, seq);
    if (result.kind === 'qc') {
      return {
        lane: await this.#lanes.write(lane, { next: seq + 1n, previousQc: result.qc }),
        resolution: { kind: 'certified', txHash, seq, qc: result.qc },
      };
    }
    const fate = this.#fateOf(result, seq);
    if (fate.kind === 'keep') throw new PendingPaymentError({ txHash, seq, reports: result.reports });
    return {
      lane: await this.#applyFate(lane, fate),
      resolution:
        fate.kind === 'resync'
          ? { kind: 'resynced', txHash, seq, next: fate.next }
          : { kind: 'released', txHash, seq },
    };
  }

  /**
   * Collects certificates for `pending`. A QC returns at once; a failure returns once the requests still in flight
   * have ended (each within its attempt timeout), so the lane rule sees every validator's last answer.
   */
  async #collect(pending: PendingPayment, seq: bigint): Promise<CollectionResult> {
    const running = collectCertificates({
      suite: this.#suite,
      committee: this.#committee,
      targets: this.#targets,
      request: pending.request,
      txHash: pending.txHash,
      effectsHash: pending.effectsHash,
      seq,
      policy: this.#policy,
      signal: this.#closing.signal,
      emit: (event) => this.#emit(event),
    });
    const finished = running.finished.then(() => undefined);
    this.#background.add(finished);
    void finished.then(() => this.#background.delete(finished));
    const result = await running.result;
    return result.kind === 'qc' ? result : { kind: result.kind, reports: await running.finished };
  }

  #fateOf(result: Exclude<CollectionResult, { kind: 'qc' }>, seq: bigint): LaneFate {
    if (result.kind === 'closed')
      throw new AllegroClientError('CLIENT_CLOSED', 'the client closed during a payment');
    return laneAfterFailure(result.reports, quorumThreshold(this.#committee), seq);
  }

  async #applyFate(lane: LaneSnapshot, fate: LaneFate): Promise<LaneSnapshot> {
    if (fate.kind === 'keep') return lane;
    if (fate.kind === 'resync') return this.#lanes.write(lane, { next: fate.next });
    return this.#lanes.write(lane, keepPrevious(lane, { next: lane.record.next }));
  }

  #checkPayment(input: SendPaymentInput, asset: Uint8Array): void {
    const invalid = (message: string) => new AllegroClientError('INVALID_PAYMENT', message);
    if (input.amount <= 0n || !isU64(input.amount)) throw invalid('amount must be a u64 greater than zero');
    if (input.to.length !== ADDRESS_LENGTH) throw invalid('recipient must be a 20-byte address');
    if (asset.length !== ADDRESS_LENGTH) throw invalid('asset must be a 20-byte address');
    if (bytesEqual(input.to, this.address)) throw invalid('sender and recipient must differ');
    if (!input.parent) return;
    const verified = verifyQuorumCertificate(this.#suite, this.#committee, input.parent);
    if (!verified.ok) throw new AllegroClientError('INVALID_PARENT_QC', `parent QC: ${verified.message}`);
    const paid = verified.effects;
    if (paid && (!bytesEqual(paid.recipient, this.address) || !bytesEqual(paid.asset, asset))) {
      throw new AllegroClientError(
        'INVALID_PARENT_QC',
        `parent QC does not pay ${toHex(this.address)} in this asset`,
      );
    }
  }

  #emit(event: ClientEvent): void {
    try {
      this.#onEvent?.(event);
    } catch {
      // An observer's failure must not change the payment's outcome.
    }
  }
}

/** The payment id an escrow child signs as its parent, from the parent's FastPayTx. */
function escrowParentId(domain: EscrowDomain, parentTx: FastPayTx | undefined): Uint8Array {
  if (parentTx?.format !== TempoTxFormat.ALLEGRO_ESCROW_V1 || !parentTx.tempoTx) {
    throw new AllegroClientError(
      'INVALID_PARENT_QC',
      'an escrow payment spends an escrow parent: pass its parentTx',
    );
  }
  return escrowPaymentDigest(domain, readEscrowPaymentTx(parentTx.tempoTx).payment);
}

function disposition(fate: LaneFate): LaneDisposition {
  return fate.kind === 'keep' ? 'pending' : fate.kind === 'release' ? 'released' : 'resynced';
}

/** The transport of every committee member, in committee order; CONFIG error when one is missing. */
function pairTransports(
  committee: Committee,
  transports: AllegroClientOptions['transports'],
): readonly CollectionTarget[] {
  if (Array.isArray(transports) && transports.length !== committee.members.length) {
    throw new AllegroClientError(
      'CONFIG',
      `${transports.length} transports for ${committee.members.length} validators`,
    );
  }
  return committee.members.map((member, i) => {
    const transport = Array.isArray(transports)
      ? (transports as readonly SidecarTransport[])[i]
      : (transports as ReadonlyMap<string, SidecarTransport>).get(toHex(member.id));
    if (!transport) throw new AllegroClientError('CONFIG', `no transport for validator ${member.name}`);
    return { member, transport };
  });
}

/** The lane record `record` with the lane's previous QC kept (the sequence before `next` did not change). */
function keepPrevious(lane: LaneSnapshot, record: LaneRecord): LaneRecord {
  const { previousQc } = lane.record;
  return previousQc ? { ...record, previousQc } : record;
}

/**
 * A child may not outlive its parent (sidecars refuse it: its funding would vanish at the parent's deadline), so
 * by default it expires with the parent: the parent's canonical expiry is its validBefore in unix millis.
 */
function parentValidBefore(parentTx: FastPayTx | undefined): bigint | undefined {
  const expiry = parentTx?.expiry;
  return expiry?.kind === 'unixMillis' ? expiry.value / 1000n : undefined;
}

function minBig(a: bigint, b: bigint | undefined): bigint {
  return b !== undefined && b < a ? b : a;
}
