import { type Actor, createActor, fromPromise, type InspectionEvent, type Observer } from 'xstate';
import {
  type Fate,
  type SendOutcome,
  type SettlementContext,
  type SettlementEmitted,
  type SettlementInput,
  settlementMachine,
} from '../../actors/settlement.machine.ts';
import { ChainError, type ChainHead, type ChainPort } from '../../chain/chain-port.ts';
import { byteKey, bytesEqual, toHex } from '../../protocol/bytes.ts';
import { laneKey } from '../../protocol/keys.ts';
import type { Ledger, LockRecord } from '../../protocol/ledger/ledger.ts';
import { LruMap } from '../../protocol/lru-map.ts';
import { type Reject, RejectCode, reject } from '../../protocol/reject.ts';
import { WireStage } from '../../protocol/stage.ts';
import { Backoff, type BackoffOptions, backoffDelay } from '../../util/backoff.ts';
import { latestWins } from '../../util/latest-wins.ts';
import type { Logger } from '../../util/logger.ts';
import type { ChainAdvance } from './chain-follower.ts';
import type { LifecycleHub } from './lifecycle-hub.ts';
import type { SettlementSnapshots } from './settlement-snapshots.ts';

export interface SettlementOptions {
  readonly port: Pick<ChainPort, 'sendRawTransaction' | 'receipt' | 'nonce'>;
  /** The validator's ledger: a payment is settled while its lock is live, and resolved once the chain releases it. */
  readonly ledger: Ledger;
  readonly lifecycle: LifecycleHub;
  readonly keccak256: (data: Uint8Array) => Uint8Array;
  readonly logger: Logger;
  /** Durable snapshots of the machines a restart must put back in their state (forwarded, evicted, included). */
  readonly snapshots: SettlementSnapshots;
  /**
   * Payments queued or awaiting finality at most; beyond it new submissions are refused (push-back). The last
   * resort only: a payment the node keeps refusing leaves the queue (`evictAfterRefusals`).
   */
  readonly maxPending: number;
  /** Refusals by the node (other than ALREADY_KNOWN / NONCE_TOO_LOW, which B decides) before a tx is evicted. */
  readonly evictAfterRefusals: number;
  /** Chain-time millis an evicted tx's sender is refused new certificates (Ledger.coolOff). */
  readonly coolOffMs: number;
  /** Blocks on top of the including block before FINALIZED (0: at once; Tempo's consensus is final per block). */
  readonly finalityDepth: number;
  /** Blocks this sidecar waits before forwarding a payment on `nonceKey` (settlementRoute). */
  readonly forwardDelayBlocks: (nonceKey: Uint8Array) => number;
  /** Retry backoff (full jitter) after a refused send, and of all sending while the node is unreachable. */
  readonly retry?: BackoffOptions;
  /** Inspection observer attached to every settlement machine (`--inspect`). */
  readonly inspect?: Observer<InspectionEvent>;
  readonly now?: () => number;
}

type SettlementActor = Actor<typeof settlementMachine>;
type StageEvent = Extract<SettlementEmitted, { type: 'stage' }>;

/** Machine states whose snapshot is persisted (see SettlementSnapshots). */
const PERSISTED_STATES = new Set(['forwarded', 'evicted', 'included']);
/** States of a payment still in its lane (not given up on, not released). */
const LANE_STATES = new Set(['queued', 'sending', 'backingOff', 'forwarded']);

/** Failed payments remembered so that their chained children fail too (each child is resolved within blocks). */
const MAX_FAILED_PARENTS = 65_536;

/**
 * Settles certified payments on the Tempo chain (ARCHITECTURE.md "Settle" step 6), one `settlementMachine` per
 * payment, fixing reference §8/§14: a full queue refuses new submissions before they are decided, every refused send
 * is retried with backoff, ALREADY_KNOWN / NONCE_TOO_LOW are checked against the receipt instead of assumed, and a
 * payment's fate is read from the chain at B only: when the ledger releases its lock, a receipt of OUR tx means
 * INCLUDED (FAILED if reverted), none means another tx took the nonce (FAILED) or the deadline passed (EXPIRED).
 *
 * This class is the machines' owner: it tells each its turn (FORWARD: one send in flight per lane, in sequence
 * order, a chained child only once its parent is included, GIVE_UP once the parent failed), passes B's releases
 * and heads on, performs the chain calls the machines invoke, publishes their stages, cools off the sender of an
 * evicted tx, pauses all sending while the node is unreachable, and persists the snapshots a restart needs; a
 * stage is announced only once the snapshot of the state it reports is saved, so a payment seen QUEUED_ONCHAIN
 * comes back forwarded after a crash, not queued as new.
 */
export class Settlement {
  readonly #actors = new Map<string, SettlementActor>();
  /** Payments given up on whose lock is still live, by FastPay tx hash: not counted against `maxPending`. */
  readonly #givenUp = new Set<string>();
  /** Why a payment failed, by FastPay tx hash: its children fail with it. */
  readonly #failedParents = new LruMap<string, string>(MAX_FAILED_PARENTS);
  /** The height each included payment was last told (HEAD): a pass tells it only a new one. */
  readonly #toldHeight = new WeakMap<SettlementActor, bigint>();
  readonly #machine: typeof settlementMachine;
  readonly #nodeBackoff: Backoff;
  readonly #now: () => number;
  #head: ChainHead | undefined;
  #nodeRetryAt = 0;
  /** Passes at B, one at a time; a kick while one runs asks for one more after it. */
  readonly #passes = latestWins<void>(
    () => this.#pass(),
    (err) => this.options.logger.error({ err }, 'settlement pass failed'),
  );
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(private readonly options: SettlementOptions) {
    this.#nodeBackoff = new Backoff(options.retry);
    this.#now = options.now ?? Date.now;
    this.#machine = settlementMachine.provide({
      actors: {
        send: fromPromise(({ input }) => this.#send(input.signedTx, input.chainTxHash)),
        fate: fromPromise(({ input }) => this.#fate(input.record, input.chainTxHash, input.height)),
      },
      delays: { retry: ({ context }) => backoffDelay(options.retry ?? {}, context.attempt) },
    });
  }

  /** Payments queued, forwarded or awaiting their fate or finality. */
  get size(): number {
    return this.#actors.size - this.#givenUp.size;
  }

  /**
   * Admission, checked before the validator decides: a reject when the queue is full (the reference dropped txs
   * when its channel was full, §14), so nothing is signed that could not be queued. Submissions admitted at once
   * may overshoot `maxPending` by the number being decided; that bound is the last resort, not a quota.
   */
  admit(): Reject | undefined {
    if (this.size < this.options.maxPending) return undefined;
    return reject(
      RejectCode.TEMPORARY_UNAVAILABLE,
      `settlement queue full (${this.options.maxPending} payments pending on chain); retry later`,
    );
  }

  /**
   * Queues a certified payment for forwarding; ignored when it is settling already, or its lock is no longer live
   * (the chain released it, and the release path resolves it).
   */
  enqueue(record: LockRecord): void {
    const { sender, nonce } = record.delta.effects;
    const key = byteKey(record.delta.txHash);
    const live = this.options.ledger.lockedTx(sender, nonce.nonceKey, nonce.seq);
    if (!live || !bytesEqual(live, record.delta.txHash) || this.#actors.has(key)) return;
    this.#start(key, this.#input(record));
    this.#kick();
  }

  /**
   * After a restart, once the follower processed its first head (which released every lock whose deadline or
   * nonce passed meanwhile): each persisted machine of a live lock comes back in its state, under the current
   * finality depth and eviction limit (an evicted one
   * reports its FAILED stage again and stays unsent), an included one comes back to be finalized, every other
   * live lock is queued, and snapshots of released payments are forgotten. Returns the payments put back to settle.
   */
  async restore(): Promise<number> {
    const live = new Map<string, LockRecord>();
    for (const record of this.options.ledger.locks()) live.set(byteKey(record.delta.txHash), record);
    const stale: Uint8Array[] = [];
    let restored = 0;
    for await (const { txHash, snapshot } of this.options.snapshots.all()) {
      const key = byteKey(txHash);
      if (this.#actors.has(key)) continue;
      const { value } = snapshot;
      if (value !== 'included' && !live.has(key)) {
        stale.push(txHash);
        continue;
      }
      const { finalityDepth, evictAfterRefusals } = this.options;
      const context = { ...snapshot.context, finalityDepth, evictAfterRefusals };
      this.#start(key, context, { ...snapshot, context });
      if (value === 'evicted') {
        this.#failedParents.set(key, context.givenUp ?? '');
        this.#publish(context, {
          type: 'stage',
          stage: WireStage.FAILED,
          blockNumber: context.height,
          message: context.givenUp ?? '',
        });
      } else {
        restored++;
      }
    }
    await this.options.snapshots.forget(stale);
    for (const [key, record] of live) {
      if (this.#actors.has(key)) continue;
      this.enqueue(record);
      restored++;
    }
    this.#kick();
    return restored;
  }

  /** The follower moved B: hand each released payment its release, then forward and finalize at B. */
  onAdvance({ head, released }: ChainAdvance): void {
    this.#head = head;
    for (const record of released) {
      const key = byteKey(record.delta.txHash);
      const actor = this.#actors.get(key) ?? this.#start(key, this.#input(record));
      actor.send({ type: 'RELEASED', head });
    }
    this.#kick();
  }

  /** Stops forwarding; a pass in progress finishes, and every machine stops where it is. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#passes.idle();
    for (const actor of this.#actors.values()) actor.stop();
  }

  #input(record: LockRecord): SettlementInput {
    return {
      record,
      chainTxHash: this.options.keccak256(record.delta.signedTx),
      forwardFrom:
        (this.#head?.height ?? 0n) +
        BigInt(this.options.forwardDelayBlocks(record.delta.effects.nonce.nonceKey)),
      finalityDepth: this.options.finalityDepth,
      evictAfterRefusals: this.options.evictAfterRefusals,
    };
  }

  /** Creates, wires and starts one payment's machine, fresh or restored from its persisted `snapshot`. */
  #start(key: string, input: SettlementInput, snapshot?: object): SettlementActor {
    const actor = createActor(this.#machine, {
      id: `settlement ${toHex(input.record.delta.txHash).slice(0, 10)}`,
      input,
      ...(snapshot ? { snapshot: snapshot as never } : {}),
      ...(this.options.inspect ? { inspect: this.options.inspect } : {}),
    });
    this.#actors.set(key, actor);
    /** Stages of the last transition: announced once the snapshot of the state they report is saved. */
    const stages: StageEvent[] = [];
    let announced: Promise<unknown> = Promise.resolve();
    actor.on('stage', (event) => {
      if (event.stage === WireStage.FAILED || event.stage === WireStage.EXPIRED) {
        this.#failedParents.set(key, event.message ?? '');
      }
      stages.push(event);
    });
    actor.on('evicted', () => {
      const head = this.#head;
      const sender = actor.getSnapshot().context.record.delta.effects.sender;
      if (head) this.options.ledger.coolOff(sender, head.timestampMs + BigInt(this.options.coolOffMs));
    });
    actor.on('refused', (event) =>
      this.options.logger.warn(
        {
          txHash: toHex(actor.getSnapshot().context.record.delta.txHash),
          code: event.code,
          err: event.message,
        },
        'node refused the payment; will retry',
      ),
    );
    let last: unknown = snapshot ? undefined : 'queued';
    actor.subscribe({
      next: (snapshot) => {
        if (this.#stopped) return;
        const txHash = snapshot.context.record.delta.txHash;
        const changed = snapshot.status === 'done' || snapshot.value !== last;
        let saved: Promise<void> | undefined;
        if (snapshot.status === 'done') {
          this.#actors.delete(key);
          this.#givenUp.delete(key);
          this.#write(this.options.snapshots.forget([txHash]));
        } else if (changed) {
          last = snapshot.value;
          if (snapshot.value === 'evicted') this.#givenUp.add(key);
          else this.#givenUp.delete(key);
          if (PERSISTED_STATES.has(snapshot.value)) {
            saved = this.#write(this.options.snapshots.save(txHash, actor.getPersistedSnapshot()));
          }
        }
        const due = stages.splice(0);
        if (due.length > 0) {
          announced = Promise.all([announced, saved]).then(() => {
            for (const event of due) this.#publish(snapshot.context, event);
          });
        }
        if (changed) this.#kick();
      },
      error: (err) =>
        this.options.logger.error(
          { txHash: toHex(actor.getSnapshot().context.record.delta.txHash), err },
          'settlement machine failed',
        ),
    });
    actor.start();
    if (actor.getSnapshot().value === 'evicted') this.#givenUp.add(key);
    return actor;
  }

  /** A store write whose failure is logged (a restart then restores less precisely, never unsafely). */
  #write(write: Promise<void>): Promise<void> {
    return write.catch((err) =>
      this.options.logger.warn({ err: err.message }, 'could not persist settlement state'),
    );
  }

  #kick(): void {
    if (!this.#stopped) this.#passes.offer();
  }

  /** One pass at B: finality, fate reads that failed, and the next send of every lane. */
  async #pass(): Promise<void> {
    const head = this.#head;
    if (!head) return;
    const actors = [...this.#actors.values()];
    for (const actor of actors) {
      if (actor.getSnapshot().value !== 'included' || this.#toldHeight.get(actor) === head.height) continue;
      this.#toldHeight.set(actor, head.height);
      actor.send({ type: 'HEAD', height: head.height });
    }
    const waitMs = this.#nodeRetryAt - this.#now();
    if (waitMs > 0) {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => this.#kick(), waitMs);
      return;
    }
    for (const actor of actors) {
      if (actor.getSnapshot().value === 'awaitingFate') actor.send({ type: 'READ_FATE' });
    }
    try {
      await this.#forward(head);
    } catch (err) {
      this.#pause(err);
      this.#kick();
    }
  }

  /**
   * Tells each lane's first payment not yet held by the node that it may go out, in sequence order, one send in
   * flight per lane: a later sequence waits while an earlier one is being sent or backs off. A payment given up on
   * (evicted, or its parent failed) leaves the lane; the next pass forwards its successors, which the node holds
   * (until their deadline) or refuses (and they are evicted in turn).
   */
  async #forward(head: ChainHead): Promise<void> {
    const parentNonces = new Map<string, bigint>();
    for (const lane of this.#lanes()) {
      for (const actor of lane) {
        const { value, context } = actor.getSnapshot();
        if (value === 'forwarded') {
          if (head.height < context.resendAt!) continue;
          actor.send({ type: 'FORWARD', height: head.height });
          break;
        }
        if (value !== 'queued' || head.height < context.forwardFrom) break;
        const parent = await this.#parentState(context, head, parentNonces);
        if (parent === 'waiting') break;
        if (parent === 'included') actor.send({ type: 'FORWARD', height: head.height });
        else actor.send({ type: 'GIVE_UP', reason: `parent failed: ${parent.failed}` });
        break;
      }
    }
  }

  /** Payments still in their lane, grouped by lane, each lane in sequence order. */
  #lanes(): SettlementActor[][] {
    const lanes = new Map<string, { seq: bigint; actor: SettlementActor }[]>();
    for (const actor of this.#actors.values()) {
      const { value, context } = actor.getSnapshot();
      if (!LANE_STATES.has(value)) continue;
      const { sender, nonce } = context.record.delta.effects;
      const key = laneKey(sender, nonce.nonceKey);
      const entry = { seq: nonce.seq, actor };
      const lane = lanes.get(key);
      if (lane) lane.push(entry);
      else lanes.set(key, [entry]);
    }
    return [...lanes.values()].map((lane) =>
      lane.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0)).map((e) => e.actor),
    );
  }

  /**
   * Where a chained payment's parent stands. Failed when this sidecar saw it fail (reverted, nonce taken by another
   * tx, expired, evicted); included when its machine here is included, or, for a parent this sidecar never settled,
   * once the parent lane's nonce at B passed its sequence; waiting while it settles here or its lock is live.
   */
  async #parentState(
    context: SettlementContext,
    head: ChainHead,
    nonces: Map<string, bigint>,
  ): Promise<'included' | 'waiting' | { readonly failed: string }> {
    const parent = context.record.delta.parent;
    if (!parent) return 'included';
    const key = byteKey(parent.txHash);
    const failed = this.#failedParents.get(key);
    if (failed !== undefined) return { failed };
    const own = this.#actors.get(key)?.getSnapshot().value;
    if (own === 'included') return 'included';
    if (own !== undefined) return 'waiting';
    if (this.options.ledger.lockedTx(parent.sender, parent.nonceKey, parent.seq)) return 'waiting';
    const lane = laneKey(parent.sender, parent.nonceKey);
    let nonce = nonces.get(lane);
    if (nonce === undefined) {
      nonce = await this.options.port.nonce(parent.sender, parent.nonceKey, head.height);
      nonces.set(lane, nonce);
    }
    return nonce > parent.seq ? 'included' : 'waiting';
  }

  /**
   * The `send` actor: broadcasts one tx. Held when the node accepted it now, or answered ALREADY_KNOWN (keyed by
   * tx hash: in its pool or a block), or NONCE_TOO_LOW with a receipt of this very tx (otherwise another tx may hold
   * the nonce, which B decides); neither is taken as inclusion. An unreachable node pauses all sending and throws.
   */
  async #send(signedTx: Uint8Array, chainTxHash: Uint8Array): Promise<SendOutcome> {
    try {
      await this.options.port.sendRawTransaction(signedTx);
    } catch (err) {
      const error = err instanceof ChainError ? err : new ChainError('REJECTED', String(err));
      if (error.code === 'UNAVAILABLE') return this.#nodeDown(error);
      const holds =
        error.code === 'ALREADY_KNOWN' ||
        (error.code === 'NONCE_TOO_LOW' &&
          (await this.options.port.receipt(chainTxHash).catch((e) => this.#nodeDown(e))) !== undefined);
      if (!holds) return { kind: 'refused', code: error.code, message: error.message };
    }
    this.#nodeBackoff.reset();
    return { kind: 'held' };
  }

  /** The `fate` actor: the fate of a payment whose lock the chain released at B. */
  async #fate(record: LockRecord, chainTxHash: Uint8Array, height: bigint): Promise<Fate> {
    const { port } = this.options;
    try {
      const receipt = await port.receipt(chainTxHash);
      if (receipt?.success) return { kind: 'included', receipt };
      if (receipt) return { kind: 'failed', message: `reverted in block ${receipt.blockNumber}`, receipt };
      const { sender, nonce } = record.delta.effects;
      if ((await port.nonce(sender, nonce.nonceKey, height)) > nonce.seq) {
        return { kind: 'failed', message: `nonce ${nonce.seq} of its lane was used by another transaction` };
      }
      return { kind: 'expired' };
    } catch (err) {
      return this.#nodeDown(err);
    }
  }

  /** The node is unreachable: nothing is sent or read until the shared backoff expires. */
  #pause(err: unknown): void {
    this.#nodeRetryAt = this.#now() + this.#nodeBackoff.next();
    this.options.logger.warn(
      { err: (err as Error).message },
      'settlement paused (chain node unavailable?); backing off',
    );
  }

  /** `#pause`, then throws `err`: the failure of an invoked chain call. */
  #nodeDown(err: unknown): never {
    this.#pause(err);
    throw err;
  }

  #publish(context: SettlementContext, event: StageEvent): void {
    const txHash = context.record.delta.txHash;
    this.options.lifecycle.publish({
      txHash,
      stage: event.stage,
      unixMillis: BigInt(this.#now()),
      blockHeight: event.blockNumber,
      ...(event.blockHash ? { blockHash: event.blockHash } : {}),
      ...(event.stage === WireStage.FAILED && event.message ? { message: event.message } : {}),
    });
    this.options.logger.info(
      {
        txHash: toHex(txHash),
        chainTxHash: toHex(context.chainTxHash),
        stage: WireStage[event.stage],
        block: String(event.blockNumber),
        ...(event.message ? { reason: event.message } : {}),
      },
      'settlement',
    );
  }
}
