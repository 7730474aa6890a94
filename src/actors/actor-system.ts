import { pino } from 'pino';
import { type ActorRefFrom, createActor, type InspectionEvent, type Observer } from 'xstate';
import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import type { ChainHead, ChainPort } from '../chain/chain-port.ts';
import { bytesEqual, toHex } from '../protocol/bytes.ts';
import { type Committee, faultTolerance, quorumThreshold } from '../protocol/committee.ts';
import { createNodeCryptoSuite } from '../protocol/crypto/node-suite.ts';
import type { CryptoSuite } from '../protocol/crypto/suite.ts';
import { txHash } from '../protocol/hashing.ts';
import { TERMINAL_STAGES } from '../protocol/stage.ts';
import { type SubmitRequest, TempoTxFormat } from '../protocol/types.ts';
import { prepareSubmission } from '../protocol/validation/prepare-submission.ts';
import type { Store } from '../store/store.ts';
import { createClient, type ServiceClient } from '../wire/grpc-client.ts';
import { grpcAddress } from '../wire/grpc-transport.ts';
import type { SidecarTransport } from '../wire/sidecar-transport.ts';
import { ChainWatcher, chainWatcherLogic } from './chain-watcher.ts';
import { chainFieldsOf, type FollowedPayments, followedPaymentOf } from './followed-payments.ts';
import type { PaymentInput } from './payment.machine.ts';
import type { PaymentEvent } from './payment-events.ts';
import { paymentRecordReader, type RecordFields, recordFields } from './payment-record.ts';
import type { PaymentView } from './payment-registry.ts';
import { PaymentSystem } from './payment-system.ts';
import { sidecarHeads } from './sidecar-heads.ts';
import { proxyTransport, type SidecarProxyRef, sidecarProxyLogic } from './sidecar-proxy.ts';

/** Store key of the chain watcher's last scanned block height. */
const SCANNED_KEY = 'chain-watcher/scanned';

export interface ActorSystemOptions {
  /** The pinned committee; every member needs the `url` of its sidecar. */
  readonly committee: Committee;
  /** Payment snapshots and the requests of unfinished payments. */
  readonly store: Store;
  /**
   * The chain node (heads, blocks, receipts, lane nonces) the chain watcher reads. Without it, the head is the
   * (f+1)-th highest the sidecars report and settlement stages come from the sidecars only. Either way a sidecar's
   * stage counts once f+1 sidecars report it at the same block (the payment machine's `trusted` guard).
   */
  readonly chain?: Pick<ChainPort, 'head' | 'watchHeads' | 'block' | 'receipt' | 'nonce'>;
  /** Inspection observer attached to every actor (see inspector.ts). */
  readonly inspect?: Observer<InspectionEvent>;
  /** Blocks on top of the including block before FINALIZED; default 2 (the sidecars' default). */
  readonly finalityDepth?: number;
  readonly suite?: CryptoSuite;
  readonly now?: () => number;
  readonly logger?: Pick<pino.Logger, 'warn'>;
}

/**
 * The actor system (ARCHITECTURE.md "Actors"): one payment actor per payment (PaymentSystem, persisted), one
 * sidecar-proxy actor per validator (one gRPC channel each) and the chain-watcher actor (ChainWatcher, the same
 * one the aggregator runs), wired together. Payer clients that submit through `transports()` are tracked from their
 * first request; what they saw (certificates, refusals, the QC: `deliver`), the sidecars' settlement stages and the
 * chain's blocks all drive the payment's machine. On start, unfinished payments are restored and followed again
 * (sidecar streams reopened with their stored request, blocks scanned from where the last run stopped), so a
 * payment queued on chain before a restart still settles.
 */
export class ActorSystem {
  readonly payments: PaymentSystem;
  readonly committee: Committee;
  readonly #suite: CryptoSuite;
  readonly #now: () => number;
  readonly #logger: Pick<pino.Logger, 'warn'>;
  readonly #channels: ServiceClient<typeof FastPaySidecar>[] = [];
  readonly #proxies = new Map<string, SidecarProxyRef>();
  /** Each payment's record, read from its context (the signed request, its lane and deadlines). */
  readonly #records: ReturnType<typeof paymentRecordReader>;
  readonly #headListeners = new Set<(head: ChainHead) => void>();
  #watcher!: ChainWatcher;
  #watcherActor!: ActorRefFrom<ReturnType<typeof chainWatcherLogic>>;
  #head: ChainHead | undefined;
  #unsubscribe: () => void = () => undefined;

  private constructor(options: ActorSystemOptions, payments: PaymentSystem) {
    this.payments = payments;
    this.committee = options.committee;
    this.#suite = options.suite ?? createNodeCryptoSuite();
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger ?? pino({ base: { component: 'actors' } });
    this.#records = paymentRecordReader(options.committee, this.#suite);
  }

  static async start(options: ActorSystemOptions): Promise<ActorSystem> {
    const { committee, inspect } = options;
    const unreachable = committee.members.find((m) => !m.url);
    if (unreachable) throw new Error(`committee member ${unreachable.name} has no sidecar url`);
    const payments = await PaymentSystem.open({
      store: options.store,
      ...(inspect ? { inspect } : {}),
      ...(options.now ? { now: options.now } : {}),
    });
    const system = new ActorSystem(options, payments);
    const inspection = inspect ? { inspect } : {};
    for (const member of committee.members) {
      const url = member.url!;
      const channel = createClient(FastPaySidecar, grpcAddress(url, {}));
      system.#channels.push(channel);
      const logic = sidecarProxyLogic({
        client: channel,
        onSubmit: (request) => system.#onSubmit(request),
        validatorId: toHex(member.id),
        deliver: (hash, event) => system.deliver(hash, event),
        now: system.#now,
      });
      const proxy = createActor(logic, {
        id: `sidecar ${member.name}`,
        input: { validator: member.name, url },
        ...inspection,
      });
      system.#proxies.set(toHex(member.id), proxy.start());
    }
    const { chain } = options;
    system.#watcher = new ChainWatcher({
      payments: system.#followedPayments(),
      heads: chain ?? sidecarHeads(system.#channels, faultTolerance(committee)),
      ...(chain ? { chain } : {}),
      scanned: { store: options.store, key: SCANNED_KEY },
      finalityDepth: options.finalityDepth ?? 2,
      now: system.#now,
      onError: (error, what) => system.#warn(error, `chain watcher: ${what}`),
    });
    system.#unsubscribe = payments.subscribe((view) => system.#onChange(view));
    system.#resume();
    const logic = chainWatcherLogic(system.#watcher, (error) => system.#warn(error, 'chain watcher'));
    system.#watcherActor = createActor(logic, { id: 'chain watcher', ...inspection }).start();
    await system.#watcher.start();
    return system;
  }

  /** The latest head seen, if any. */
  head(): ChainHead | undefined {
    return this.#head;
  }

  /** The system's clock, unix millis: the `at` of the events it delivers. */
  now(): number {
    return this.#now();
  }

  /** Calls `listener` with every new head until the returned function is called. */
  onHead(listener: (head: ChainHead) => void): () => void {
    this.#headListeners.add(listener);
    return () => this.#headListeners.delete(listener);
  }

  /** The transport to each committee member (keyed by 0x-hex id), through its proxy actor. */
  transports(): ReadonlyMap<string, SidecarTransport> {
    return new Map([...this.#proxies].map(([id, proxy]) => [id, proxyTransport(proxy)]));
  }

  /** Sends `event` to the actor of the payment `hash` (0x-hex tx hash); a failure is logged. */
  deliver(hash: string, event: PaymentEvent): void {
    this.payments.send(hash, event).catch((error: unknown) => this.#warn(error, event.type, hash));
  }

  /**
   * Stops every actor and closes the channels; the store stays open. Close the payer clients that use
   * `transports()` first: their later submissions fail.
   */
  async stop(): Promise<void> {
    this.#unsubscribe();
    for (const proxy of this.#proxies.values()) proxy.stop();
    this.#watcherActor.stop();
    await this.#watcher.stop();
    await this.payments.close();
    for (const channel of this.#channels) channel.close();
  }

  /** Follows the restored unfinished payments again: the sidecar streams of the requests their contexts hold. */
  #resume(): void {
    for (const view of this.payments.active()) {
      const request = this.#records(view.context)?.request;
      if (!request) continue;
      for (const proxy of this.#proxies.values()) proxy.send({ type: 'WATCH', txHash: view.txHash, request });
    }
  }

  /**
   * A request a proxy is about to send (every proxy sends it): tracks its payment, with the request and what the
   * stateless checks make of it, the first time only.
   */
  #onSubmit(request: SubmitRequest): void {
    const input = this.#inputOf(request);
    if (!input || this.payments.tracks(input.txHash)) return;
    const tracked = { ...input, ...this.#recordFieldsOf(request) };
    this.payments.track(tracked).catch((error: unknown) => this.#warn(error, 'track', input.txHash));
  }

  /** The payment a request makes, or undefined when it is too malformed to hash (the sidecars will refuse it). */
  #inputOf(request: SubmitRequest): PaymentInput | undefined {
    const tx = request.tx;
    const intent = tx?.intent;
    if (!tx?.tempoTx || !tx.nonce || !tx.expiry || tx.chainId === undefined) return undefined;
    if (!intent?.sender || !intent.recipient || !intent.asset) return undefined;
    const { chainId, tempoTx, nonce, expiry, parentQcHash } = tx;
    return {
      txHash: toHex(txHash(this.#suite, { chainId, tempoTx, nonce, expiry, parentQcHash })),
      sender: toHex(intent.sender),
      recipient: toHex(intent.recipient),
      asset: toHex(intent.asset),
      amount: intent.amount.toString(),
      ...(parentQcHash.length > 0 ? { parentQcHash: toHex(parentQcHash) } : {}),
      // An escrow payment lands inside a sidecar's settle transaction, not as its own: no receipt to read, so its
      // on-chain stages come from f+1 sidecars alike.
      ...(tx.format === TempoTxFormat.ALLEGRO_ESCROW_V1
        ? {}
        : { chainTxHash: toHex(this.#suite.keccak256(tempoTx)) }),
      threshold: quorumThreshold(this.committee),
      faultTolerance: faultTolerance(this.committee),
      blockAtSubmit: (this.#head?.height ?? 0n).toString(),
      submittedAt: this.#now(),
    };
  }

  /**
   * The record a request gives its payment (effects hash, lane, the request, deadlines); nothing for a request the
   * stateless checks refuse (the sidecars refuse it too, and its view is all there is to show).
   */
  #recordFieldsOf(request: SubmitRequest): RecordFields {
    const prepared = prepareSubmission(this.#suite, this.committee, request.tx);
    if (!prepared.ok) return {};
    const p = prepared.value;
    const { chainTxHash: _chainTxHash, ...fields } = chainFieldsOf(this.#suite, p);
    const {
      sender: _s,
      recipient: _r,
      asset: _a,
      amount: _m,
      ...record
    } = recordFields({
      effectsHash: p.effectsHash,
      ...fields,
      request,
    });
    return record;
  }

  /** The payments as the chain watcher follows them: the open ones, with their chain fields. */
  #followedPayments(): FollowedPayments {
    const followed = (view: PaymentView) => followedPaymentOf(view, this.#records(view.context));
    return {
      setHead: (head) => this.#onHead(head),
      openPayments: () => this.payments.active().map(followed),
      openPayment: (key) => {
        const view = this.payments.get(key);
        return view && !TERMINAL_STAGES.has(view.stage) ? followed(view) : undefined;
      },
      advance: (key, event) =>
        this.payments.send(key, event).catch((error: unknown) => this.#warn(error, event.type, key)),
    };
  }

  /** Every distinct head is the system's head, a lower one too: the chain reorganised or was reset. */
  #onHead(head: ChainHead): void {
    if (this.#head && head.height === this.#head.height && bytesEqual(head.hash, this.#head.hash)) return;
    this.#head = head;
    for (const listener of this.#headListeners) listener(head);
  }

  /** Stops following a payment that reached a final stage. */
  #onChange(view: PaymentView): void {
    if (!TERMINAL_STAGES.has(view.stage)) return;
    for (const proxy of this.#proxies.values()) proxy.send({ type: 'UNWATCH', txHash: view.txHash });
  }

  #warn(error: unknown, what: string, txHash?: string): void {
    const err = error instanceof Error ? error.message : String(error);
    this.#logger.warn({ ...(txHash ? { txHash } : {}), err }, what);
  }
}
