import { createActor } from 'xstate';
import {
  chainFieldsOf,
  type FollowedPayment,
  type FollowedPayments,
  followedPaymentOf,
} from '../../actors/followed-payments.ts';
import type { PaymentEvent } from '../../actors/payment-events.ts';
import {
  formedQc,
  type PaymentRecord,
  paymentRecordReader,
  recordFields,
} from '../../actors/payment-record.ts';
import type { PaymentPage, PaymentRegistry, PaymentView } from '../../actors/payment-registry.ts';
import { type SidecarProxyRef, sidecarProxyLogic } from '../../actors/sidecar-proxy.ts';
import type { ChainHead } from '../../chain/chain-port.ts';
import type { ClientEvent } from '../../client/client-event.ts';
import { type CollectionTarget, collectCertificates } from '../../client/collect-certificates.ts';
import type { RetryPolicy } from '../../client/retry-policy.ts';
import type { ValidatorReport } from '../../client/validator-answer.ts';
import { bytesEqual, fromHex, toHex } from '../../protocol/bytes.ts';
import { certificateSigner, verifyCertificate } from '../../protocol/certificate.ts';
import {
  type Committee,
  type CommitteeMember,
  faultTolerance,
  findMember,
  quorumThreshold,
} from '../../protocol/committee.ts';
import type { CryptoSuite } from '../../protocol/crypto/suite.ts';
import { effectsFromSummary } from '../../protocol/effects-from-summary.ts';
import { effectsHash } from '../../protocol/hashing.ts';
import { LruMap } from '../../protocol/lru-map.ts';
import { assembleQuorumCertificate } from '../../protocol/quorum.ts';
import { isTransientReject, type Reject, RejectCode, rejectCodeName } from '../../protocol/reject.ts';
import type { ApiStage } from '../../protocol/stage.ts';
import type {
  Effects,
  QuorumCertificate,
  SubmitRequest,
  ValidatorCertificate,
} from '../../protocol/types.ts';
import { prepareSubmission } from '../../protocol/validation/prepare-submission.ts';
import type { Logger } from '../../util/logger.ts';
import type { BulletinBoard, BulletinBoardPage, BulletinBoardQuery } from '../shared/bulletin-board.ts';
import type { SidecarLink } from '../shared/sidecar-links.ts';
import type { AggregatorMetrics } from './aggregator-metrics.ts';
import { type ChainHeadNode, chainHeadNode, type PaymentNode, paymentNode } from './api-nodes.ts';
import { BoardMirror } from './board-mirror.ts';

/** What subscribers hear: JSON-native, so it can travel through Redis pubsub unchanged. */
export type AggregatorEvent =
  | {
      readonly type: 'paymentUpdated';
      readonly payment: PaymentNode;
      readonly previousStage: ApiStage | null;
    }
  | { readonly type: 'qcFormed'; readonly payment: PaymentNode }
  | { readonly type: 'blockHeight'; readonly head: ChainHeadNode };

/** A validator's final refusal of a submission (a transport failure counts as TEMPORARY_UNAVAILABLE). */
export interface ValidatorRejection {
  readonly member: CommitteeMember;
  readonly reject: Reject;
  readonly permanent: boolean;
}

/** The answer to a submission that passed the aggregator's own checks. */
export interface Submission {
  readonly payment: PaymentNode;
  readonly effectsHash: Uint8Array;
  readonly qc?: QuorumCertificate;
  /** Every verified certificate for the payment. */
  readonly certs: readonly ValidatorCertificate[];
  readonly rejections: readonly ValidatorRejection[];
}

export type SubmitOutcome =
  | { readonly ok: true; readonly submission: Submission }
  | { readonly ok: false; readonly reject: Reject };

export interface AggregatorOptions {
  readonly suite: CryptoSuite;
  readonly committee: Committee;
  readonly links: readonly SidecarLink[];
  readonly registry: PaymentRegistry;
  /** Verified certificates only, one per (tx, signer). */
  readonly board: BulletinBoard;
  /** Certificate collection timing: overall deadline and per-sidecar attempt deadline. */
  readonly policy: RetryPolicy;
  /** Board mirroring: pause between rounds (0: on demand only) and page size. */
  readonly mirror: { readonly intervalMs: number; readonly pageSize: number };
  readonly metrics: AggregatorMetrics;
  readonly logger: Logger;
  /** Where its chain head comes from, stated with every height it reports (`nodeHeadSource`, `SIDECAR_HEAD_SOURCE`). */
  readonly headSource: string;
  readonly now?: () => number;
}

const BEFORE_QC: ReadonlySet<ApiStage | undefined> = new Set(['SUBMITTED', 'CERTIFIED']);
const TERMINAL: ReadonlySet<ApiStage> = new Set(['FINALIZED', 'REJECTED', 'EXPIRED', 'FAILED']);
const ON_CHAIN: ReadonlySet<ApiStage> = new Set(['QUEUED_ONCHAIN', 'INCLUDED', ...TERMINAL]);

/**
 * The aggregator's state and operations behind its gRPC, REST and GraphQL faces (ARCHITECTURE.md "Observe";
 * reference §9 with the §14 backend fixes): one payment actor per payment, submitted here or mirrored from the
 * sidecars' boards; only certificates that verify against the committee count; the QC is assembled here and
 * kept exactly as formed; every change is published as an AggregatorEvent.
 */
export class Aggregator implements FollowedPayments {
  readonly committee: Committee;
  readonly #o: AggregatorOptions;
  readonly #now: () => number;
  readonly #listeners = new Set<(event: AggregatorEvent) => void>();
  readonly #serial = new Map<string, Promise<void>>();
  /** Payments per stage: the open ones restored at start, and every change since. */
  readonly #counts = new Map<ApiStage, number>();
  readonly #open = new Set<string>();
  readonly #byContention = new Map<string, Set<string>>();
  /** QCs by hash, of open and recent payments: a child citing an older parent brings the parent's QC itself. */
  readonly #qcByHash = new LruMap<string, QuorumCertificate>(2_000);
  /** Certificates refused already (tx hash and signature), so a board read again does not count them again. */
  readonly #refused = new LruMap<string, true>(10_000);
  /** One sidecar-proxy actor per validator: follows payments' SubmitFastPayStreams for their settlement stages. */
  readonly #proxies: SidecarProxyRef[];
  readonly #mirror: BoardMirror;
  readonly #closing = new AbortController();
  /** Each payment's record, read from its context. */
  readonly #records: ReturnType<typeof paymentRecordReader>;
  #head: ChainHead | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(options: AggregatorOptions) {
    this.#o = options;
    this.committee = options.committee;
    this.#now = options.now ?? Date.now;
    this.#records = paymentRecordReader(options.committee, options.suite);
    this.#proxies = options.links.map(({ member, url, client }) =>
      createActor(
        sidecarProxyLogic({
          client,
          onSubmit: () => undefined,
          validatorId: toHex(member.id),
          deliver: (txHash, event) => this.#onSidecarStage(txHash, event),
          now: this.#now,
        }),
        { id: `sidecar ${member.name}`, input: { validator: member.name, url } },
      ).start(),
    );
    this.#mirror = new BoardMirror({
      ...options.mirror,
      ingest: (cert) => this.ingest(cert),
      links: options.links,
      timeoutMs: options.policy.attemptTimeoutMs,
      logger: options.logger,
    });
  }

  /**
   * Restores the open payments (certificates, QC, open collections and streams) and starts publishing. Finished
   * payments stay in the store and are read on demand.
   */
  async start(): Promise<void> {
    this.#unsubscribe = this.#o.registry.subscribe((view, previous) => this.#onChange(view, previous));
    const open = this.#o.registry.active();
    for (const view of open) {
      const key = view.txHash;
      const record = this.#recordOf(view);
      if (!record) continue;
      if (record.qc) this.#qcByHash.set(toHex(record.qc.qcHash), record.qc);
      for (const cert of this.#certsFromContext(record, view)) this.#o.board.add(cert);
      this.#count(view.stage, undefined);
      this.#markOpen(key, view);
      if (record.request && BEFORE_QC.has(view.stage) && !this.#expired(record)) {
        this.#collect(key, record.request, record).catch((error: unknown) =>
          this.#o.logger.error({ err: error, txHash: key }, 'resumed collection failed'),
        );
      } else if (record.request && !ON_CHAIN.has(view.stage)) {
        this.#follow(key, record.request);
      }
    }
    this.#o.logger.info({ open: this.#open.size }, 'payments restored');
    this.#mirror.start();
  }

  async close(): Promise<void> {
    this.#closing.abort();
    await this.#mirror.stop();
    for (const proxy of this.#proxies) proxy.stop();
    this.#unsubscribe?.();
    await Promise.all(this.#serial.values());
  }

  subscribe(listener: (event: AggregatorEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Submits a payment to every sidecar and collects verified certificates until a QC forms, more than f validators
   * refuse for good, or the deadline (reference §9.3 SubmitFastPay, made honest: rejects are reported, not hidden).
   * The aggregator's own stateless checks come first; a payment it already knows past CERTIFIED is not resubmitted.
   * A request without parent QCs gets those the aggregator knows it needs (knownParents).
   */
  async submit(request: SubmitRequest): Promise<SubmitOutcome> {
    const { suite, committee } = this.#o;
    const prepared = prepareSubmission(suite, committee, request.tx);
    if (!prepared.ok) {
      this.#o.metrics.rejects.inc({ code: rejectCodeName(prepared.reject.code) });
      return prepared;
    }
    const p = prepared.value;
    const key = toHex(p.txHash);
    const full: SubmitRequest =
      request.parentQcs.length === 0 ? { ...this.knownParents(p), tx: request.tx! } : request;
    const record = await this.#remember(
      { txHash: p.txHash, effectsHash: p.effectsHash, ...chainFieldsOf(suite, p), request: full },
      this.#now(),
    );
    const stage = this.#o.registry.get(key)?.stage;
    const reports = BEFORE_QC.has(stage) ? await this.#collect(key, full, record) : [];
    await this.#serial.get(key);
    const qc = this.quorumCertificate(key);
    return {
      ok: true,
      submission: {
        payment: this.payment(key)!,
        effectsHash: record.effectsHash,
        ...(qc ? { qc } : {}),
        certs: this.certificates(key),
        rejections: reports.flatMap((r) => this.#rejectionOf(r)),
      },
    };
  }

  /**
   * Takes in a certificate from a sidecar's board: it counts only if it verifies against the committee and its
   * effects summary hashes to the signed effects hash (the summary itself is unsigned). An unknown payment is
   * tracked from the certified effects. Returns whether the certificate was new.
   */
  ingest(cert: ValidatorCertificate): Promise<boolean> {
    const { suite, committee, board } = this.#o;
    const refusal = `${toHex(cert.txHash)}${toHex(cert.signature)}`;
    if (board.has(cert) || this.#refused.get(refusal)) return Promise.resolve(false);
    const problem = verifyCertificate(suite, committee, cert);
    const effects = cert.effects && effectsFromSummary(cert.effects);
    if (problem || !effects || !bytesEqual(effectsHash(suite, effects), cert.effectsHash)) {
      this.#refused.set(refusal, true);
      const signer = certificateSigner(cert);
      this.#o.metrics.forgedCertificates.inc({ validator: signer ? toHex(signer) : 'none' });
      this.#o.logger.warn(
        { txHash: toHex(cert.txHash), reason: problem ?? 'effects summary does not match the effects hash' },
        'certificate refused',
      );
      return Promise.resolve(false);
    }
    const key = toHex(cert.txHash);
    let added = false;
    return this.#queue(key, async () => {
      if (!this.#o.registry.get(key)) {
        const at = Math.min(Number(cert.createdUnixMillis), this.#now());
        await this.#remember({ txHash: cert.txHash, effectsHash: cert.effectsHash, effects }, at);
      }
      added = await this.#addCertificate(key, cert);
    }).then(() => added);
  }

  /**
   * The QCs a payment must show that this aggregator holds (the credit rule and FastPay's confirmation order): the
   * QC of the parent it cites with the parent's FastPayTx (so a validator that never saw the parent can check it
   * is landable), and the QC of the sender's previous payment in the same lane while that one is still open.
   */
  knownParents(p: {
    readonly parentQcHash?: Uint8Array;
    readonly effects: Effects;
  }): Pick<SubmitRequest, 'parentQcs' | 'parentTxs'> {
    const parent = p.parentQcHash && this.#qcByHash.get(toHex(p.parentQcHash));
    const parentTx = parent && this.#record(toHex(parent.txHash))?.request?.tx;
    const { sender, nonce } = p.effects;
    const previous =
      nonce.seq > 0n
        ? this.byContention(sender, nonce.nonceKey, nonce.seq - 1n).flatMap(
            (key) => this.quorumCertificate(key) ?? [],
          )
        : [];
    const own = previous.find((qc) => !parent || !bytesEqual(qc.qcHash, parent.qcHash));
    return {
      parentQcs: [...(parent ? [parent] : []), ...(own ? [own] : [])],
      ...(parentTx ? { parentTxs: [parentTx] } : {}),
    };
  }

  /**
   * A new chain head: published, and the reference for expiry and finality. Every distinct head counts, a lower
   * one too: the chain reorganised or was reset, and a stale head would refuse submissions and claim health.
   */
  setHead(head: ChainHead): void {
    if (this.#head && head.height === this.#head.height && bytesEqual(head.hash, this.#head.hash)) return;
    this.#head = head;
    this.#emit({ type: 'blockHeight', head: chainHeadNode(head, this.#o.headSource) });
  }

  head(): ChainHead | undefined {
    return this.#head;
  }

  /** Where the head comes from: the block heights this aggregator reports (at submit, at QC) are read there. */
  get headSource(): string {
    return this.#o.headSource;
  }

  /** Delivers an on-chain event to the payment's actor (the chain watcher's findings). */
  advance(txHash: string, event: PaymentEvent): Promise<void> {
    return this.#queue(txHash, () => this.#o.registry.send(txHash, event));
  }

  /** Payments not in a terminal stage, with their views and what the chain can show of them (their records). */
  openPayments(): FollowedPayment[] {
    return [...this.#open].flatMap((key) => this.openPayment(key) ?? []);
  }

  /** The open payments claiming this contention key (sender, nonce key, sequence): at most one can land. */
  byContention(sender: Uint8Array, nonceKey: Uint8Array, seq: bigint): string[] {
    return [...(this.#byContention.get(contentionKey(toHex(sender), toHex(nonceKey), seq.toString())) ?? [])];
  }

  /** An open payment with its view and what the chain can show of it (its record). */
  openPayment(key: string): FollowedPayment | undefined {
    const view = this.#open.has(key) ? this.#o.registry.get(key) : undefined;
    return view && followedPaymentOf(view, this.#recordOf(view));
  }

  payment(txHash: string): PaymentNode | undefined {
    const view = this.#o.registry.get(txHash);
    const record = this.#recordOf(view);
    return view && record && paymentNode(this.committee, view, record, this.#certsOf(record, view));
  }

  /** A page of payments, newest first, from the store's index (finished ones read back from the store). */
  async payments(
    filter: Parameters<PaymentRegistry['list']>[0],
  ): Promise<Omit<PaymentPage, 'items'> & { items: PaymentNode[] }> {
    const page = await this.#o.registry.list(filter);
    const items = await Promise.all(page.items.map((view) => this.#nodeOf(view)));
    return { ...page, items: items.flatMap((node) => node ?? []) };
  }

  async #nodeOf(view: PaymentView): Promise<PaymentNode | undefined> {
    const record = this.#recordOf(view);
    return record && paymentNode(this.committee, view, record, this.#certsOf(record, view));
  }

  /** The payment's verified certificates: from the board, or rebuilt from its snapshot once the board evicted them. */
  #certsOf(record: PaymentRecord, view: PaymentView): ValidatorCertificate[] {
    const held = this.certificates(view.txHash);
    return held.length >= Object.keys(view.context.certificates).length
      ? held
      : this.#certsFromContext(record, view);
  }

  /**
   * The payment, reading the sidecars' boards first when it is not known yet (a status query may come first), or
   * the registry's persisted view when it finished long ago and left memory.
   */
  async lookup(txHash: string): Promise<PaymentNode | undefined> {
    if (!(await this.#stored(txHash))) {
      await this.#mirror.refresh({ filter: { case: 'txHash', value: fromHex(txHash) } });
      await this.#serial.get(txHash);
      return this.payment(txHash);
    }
    const stored = await this.#stored(txHash);
    return (
      stored &&
      paymentNode(this.committee, stored.view, stored.record, this.#certsOf(stored.record, stored.view))
    );
  }

  /** The payment's QC as formed, from memory or read back from the store. */
  async storedQuorumCertificate(txHash: string): Promise<QuorumCertificate | undefined> {
    return (await this.#stored(txHash))?.record.qc;
  }

  /** The payment's verified certificates, rebuilt from its stored snapshot once the board evicted them. */
  async storedCertificates(txHash: string): Promise<ValidatorCertificate[]> {
    const stored = await this.#stored(txHash);
    return stored ? this.#certsOf(stored.record, stored.view) : this.certificates(txHash);
  }

  /** A payment's record and view, from memory or read back from the store once it finished and left memory. */
  async #stored(txHash: string): Promise<{ record: PaymentRecord; view: PaymentView } | undefined> {
    const view = this.#o.registry.get(txHash) ?? (await this.#o.registry.load?.(txHash));
    const record = this.#recordOf(view);
    return record && view ? { record, view } : undefined;
  }

  /**
   * The merged bulletin board (reference §9.3 GetBulletinBoard): for a first page every sidecar's matching
   * certificates are read and verified first; the page then comes from this aggregator's board of verified
   * certificates, de-duplicated per (tx, validator), with its own cursors. `answered` counts the sidecars read.
   */
  async bulletinBoard(query: BulletinBoardQuery): Promise<BulletinBoardPage & { answered: number }> {
    const filter = query.txHash
      ? { case: 'txHash' as const, value: query.txHash }
      : query.address
        ? { case: 'address' as const, value: { data: query.address } }
        : undefined;
    const answered = query.cursor
      ? this.#o.links.length
      : await this.#mirror.refresh({
          ...(filter ? { filter } : {}),
          sinceUnixMillis: query.sinceUnixMillis ?? 0n,
          limit: query.limit,
        });
    return { ...this.#o.board.query(query), answered };
  }

  /** The payment's QC as formed, while the payment is in memory. */
  quorumCertificate(txHash: string): QuorumCertificate | undefined {
    const qcHash = this.#o.registry.get(txHash)?.context.qcHash;
    return qcHash === undefined ? undefined : (this.#qcByHash.get(qcHash) ?? this.#record(txHash)?.qc);
  }

  /** The record of a payment in memory, read from its context. */
  #record(txHash: string): PaymentRecord | undefined {
    return this.#recordOf(this.#o.registry.get(txHash));
  }

  #recordOf(view: PaymentView | undefined): PaymentRecord | undefined {
    return view && this.#records(view.context);
  }

  /** Verified certificates of a payment, one per validator. */
  certificates(txHash: string): ValidatorCertificate[] {
    const page = this.#o.board.query({ txHash: fromHex(txHash), limit: 0 });
    return page.ok ? [...page.certs] : [];
  }

  /** How many payments are in each stage: the open ones restored at start and every one seen since. */
  stageCounts(): Map<ApiStage, number> {
    return new Map(this.#counts);
  }

  #count(stage: ApiStage, previous: ApiStage | undefined): void {
    if (previous === stage) return;
    if (previous) this.#counts.set(previous, Math.max(0, (this.#counts.get(previous) ?? 0) - 1));
    this.#counts.set(stage, (this.#counts.get(stage) ?? 0) + 1);
  }

  #emit(event: AggregatorEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        this.#o.logger.error({ err: error }, 'event listener failed');
      }
    }
  }

  #onChange(view: PaymentView, previous: ApiStage | undefined): void {
    this.#count(view.stage, previous);
    if (TERMINAL.has(view.stage)) {
      this.#close(view.txHash);
      for (const proxy of this.#proxies) proxy.send({ type: 'UNWATCH', txHash: view.txHash });
    }
    const payment = this.payment(view.txHash);
    if (!payment) return;
    this.#emit({ type: 'paymentUpdated', payment, previousStage: previous ?? null });
    if (
      payment.qcHash &&
      BEFORE_QC.has(previous) &&
      !BEFORE_QC.has(view.stage) &&
      view.stage !== 'REJECTED'
    ) {
      this.#emit({ type: 'qcFormed', payment });
    }
  }

  /** Runs `task` after every earlier task of the same payment, so its actor hears events in order. */
  #queue(key: string, task: () => Promise<void>): Promise<void> {
    const next = (this.#serial.get(key) ?? Promise.resolve()).then(task).catch((error: unknown) => {
      this.#o.logger.error({ err: error, txHash: key }, 'payment update failed');
    });
    this.#serial.set(key, next);
    void next.then(() => {
      if (this.#serial.get(key) === next) this.#serial.delete(key);
    });
    return next;
  }

  /**
   * Tracks the payment with everything known of it (idempotent); a payment first seen on a board gets its signed
   * submission (and chain fields) once one comes through here. Returns its record as its context now holds it.
   */
  async #remember(record: Omit<PaymentRecord, 'qc'>, submittedAt: number): Promise<PaymentRecord> {
    const key = toHex(record.txHash);
    const known = this.#o.registry.get(key);
    const fields = recordFields(record);
    if (!known) await this.#track(record, submittedAt);
    else if (fields.request && known.context.request === undefined) {
      await this.#o.registry.send(key, {
        type: 'SUBMISSION',
        at: this.#now(),
        request: fields.request,
        ...(fields.chainTxHash ? { chainTxHash: fields.chainTxHash } : {}),
        ...(fields.expiresAtMs ? { expiresAtMs: fields.expiresAtMs } : {}),
        ...(fields.validBeforeMs ? { validBeforeMs: fields.validBeforeMs } : {}),
      });
    }
    const view = this.#o.registry.get(key)!;
    if (!TERMINAL.has(view.stage)) this.#markOpen(key, view);
    return this.#recordOf(view)!;
  }

  #track(record: Omit<PaymentRecord, 'qc'>, submittedAt: number): Promise<PaymentView> {
    const { committee } = this;
    const parent = record.request?.tx?.parentQcHash;
    return this.#o.registry.track({
      txHash: toHex(record.txHash),
      ...recordFields(record),
      ...(parent?.length ? { parentQcHash: toHex(parent) } : {}),
      threshold: quorumThreshold(committee),
      faultTolerance: faultTolerance(committee),
      blockAtSubmit: (this.#head?.height ?? 0n).toString(),
      submittedAt,
    });
  }

  #markOpen(key: string, view: PaymentView): void {
    this.#open.add(key);
    const { sender, nonceKey, sequence } = view.context;
    if (nonceKey === undefined || sequence === undefined) return;
    const contention = contentionKey(sender, nonceKey, sequence);
    this.#byContention.set(contention, (this.#byContention.get(contention) ?? new Set()).add(key));
  }

  #close(key: string): void {
    this.#open.delete(key);
    const context = this.#o.registry.get(key)?.context;
    if (context?.nonceKey === undefined || context.sequence === undefined) return;
    const contention = contentionKey(context.sender, context.nonceKey, context.sequence);
    const claims = this.#byContention.get(contention);
    claims?.delete(key);
    if (claims?.size === 0) this.#byContention.delete(contention);
  }

  #expired(record: PaymentRecord): boolean {
    return record.expiresAtMs !== undefined && BigInt(this.#now()) >= record.expiresAtMs;
  }

  async #collect(key: string, request: SubmitRequest, record: PaymentRecord): Promise<ValidatorReport[]> {
    const targets: CollectionTarget[] = this.#o.links.map(({ member, transport }) => ({ member, transport }));
    const running = collectCertificates({
      suite: this.#o.suite,
      committee: this.committee,
      targets,
      request,
      txHash: record.txHash,
      effectsHash: record.effectsHash,
      seq: record.effects.nonce.seq,
      policy: this.#o.policy,
      signal: this.#closing.signal,
      emit: (event) => this.#onClientEvent(key, event),
    });
    const result = await running.result;
    return [...result.reports];
  }

  #onClientEvent(key: string, event: ClientEvent): void {
    const member = this.committee.members.find(
      (m) => m.name === ('validator' in event ? event.validator : ''),
    );
    if (event.type === 'certificate') {
      void this.#queue(key, async () => {
        await this.#addCertificate(key, event.cert);
      });
    } else if (event.type === 'reject' && !event.willRetry && member) {
      const permanent = !isTransientReject(event.code);
      this.#o.metrics.rejects.inc({ code: rejectCodeName(event.code) });
      void this.advance(key, {
        type: 'REJECT',
        at: this.#now(),
        validatorId: toHex(member.id),
        validator: member.name,
        code: event.code,
        message: event.message,
        permanent,
      });
    } else if (event.type === 'invalidCertificate') {
      this.#o.metrics.forgedCertificates.inc({ validator: member ? toHex(member.id) : 'none' });
      this.#o.logger.warn(
        { txHash: key, validator: event.validator, reason: event.message },
        'invalid certificate',
      );
    }
  }

  /** Adds a verified certificate, tells the actor, and forms the QC once quorumThreshold signers agree. */
  async #addCertificate(key: string, cert: ValidatorCertificate): Promise<boolean> {
    if (!this.#o.board.add(cert)) return false;
    const member = findMember(this.committee, certificateSigner(cert)!)!;
    await this.#o.registry.send(key, {
      type: 'CERTIFICATE',
      at: this.#now(),
      validatorId: toHex(member.id),
      validator: member.name,
      signature: toHex(cert.signature),
      createdUnixMillis: cert.createdUnixMillis.toString(),
    });
    const view = this.#o.registry.get(key);
    const record = this.#recordOf(view);
    if (!view || !record || view.context.qcHash !== undefined) return true;
    const qc = assembleQuorumCertificate(this.#o.suite, this.committee, this.certificates(key));
    if (!qc) return true;
    this.#qcByHash.set(toHex(qc.qcHash), qc);
    const submittedAt = view.context.stageTimes.SUBMITTED;
    if (record.request && submittedAt !== undefined) {
      this.#o.metrics.qcLatency.observe((this.#now() - submittedAt) / 1000);
    }
    await this.#o.registry.send(key, {
      type: 'QC_FORMED',
      at: this.#now(),
      qcHash: toHex(qc.qcHash),
      blockHeight: (this.#head?.height ?? 0n).toString(),
      qc: formedQc(qc, view.context.certificates),
    });
    if (record.request) this.#follow(key, record.request);
    return true;
  }

  /** Follows the payment's settlement stages on every sidecar's SubmitFastPayStream (resubmitting is idempotent). */
  #follow(key: string, request: SubmitRequest): void {
    for (const proxy of this.#proxies) proxy.send({ type: 'WATCH', txHash: key, request });
  }

  /**
   * A sidecar's settlement stage, passed on as that validator's vote: the payment's machine moves only once f+1
   * validators report the same stage at the same block height and hash (ARCHITECTURE.md "Actors"), also when the
   * aggregator reads the chain itself: an escrow payment lands in the sidecars' settle transaction, which the chain
   * watcher's block scan (by the payer's contention key) cannot recognise.
   */
  #onSidecarStage(key: string, event: PaymentEvent): void {
    void this.advance(key, event);
  }

  #certsFromContext(record: PaymentRecord, view: PaymentView): ValidatorCertificate[] {
    const e = record.effects;
    return Object.entries(view.context.certificates).flatMap(([id, c]) => {
      const member = findMember(this.committee, fromHex(id));
      if (!member) return [];
      return [
        {
          signer: { name: member.name, id: member.id, pubkey: member.publicKey },
          txHash: record.txHash,
          effectsHash: record.effectsHash,
          effects: {
            sender: e.sender,
            recipient: e.recipient,
            amount: e.amount,
            asset: e.asset,
            nonce: e.nonce,
          },
          signature: fromHex(c.signature),
          createdUnixMillis: BigInt(c.createdUnixMillis),
        },
      ];
    });
  }

  #rejectionOf(report: ValidatorReport): ValidatorRejection[] {
    const member = this.committee.members.find((m) => m.name === report.validator);
    const { answer } = report;
    if (!member) return [];
    if (answer.kind === 'reject') {
      return [{ member, reject: answer, permanent: !isTransientReject(answer.code) }];
    }
    if (answer.kind === 'transportError') {
      return [
        {
          member,
          reject: { code: RejectCode.TEMPORARY_UNAVAILABLE, message: `unreachable: ${answer.message}` },
          permanent: false,
        },
      ];
    }
    return [];
  }
}

/** Sender, nonce key and sequence of a payment (0x-hex and decimal): at most one payment per key can land. */
function contentionKey(sender: string, nonceKey: string, seq: string): string {
  return `${sender}:${nonceKey}:${seq}`;
}
