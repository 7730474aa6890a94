import { type Actor, createActor, type InspectionEvent, type Observer } from 'xstate';
import type { ApiStage } from '../protocol/stage.ts';
import { decodeTagged, encodeTagged } from '../protocol/tagged-json.ts';
import type { Store, StoreWrite } from '../store/store.ts';
import { type PaymentInput, paymentMachine, STAGE_OF_STATE } from './payment.machine.ts';
import type { PaymentEvent } from './payment-events.ts';
import {
  closeWrites,
  cursorOf,
  finishedPayments,
  forgetWrites,
  indexWrites,
  openPayments,
  orderOf,
  PAYMENT_INDEX_MARKER,
  parseCursor,
  paymentsInOrder,
} from './payment-index.ts';
import type { PaymentPage, PaymentRegistry, PaymentView } from './payment-registry.ts';

/** Store key prefix of the payment snapshots: `payment/<txHash>`. */
export const PAYMENT_KEY_PREFIX = 'payment/';

type PaymentActor = Actor<typeof paymentMachine>;
type PersistedPayment = ReturnType<PaymentActor['getPersistedSnapshot']>;

/** What is stored per payment: its persisted XState snapshot and when it last changed. */
interface StoredPayment {
  readonly updatedAt: number;
  readonly snapshot: PersistedPayment & { status: string; value: unknown; context: PaymentView['context'] };
}

interface Entry {
  /** Running actor; undefined once the payment reached a final stage (or before it started). */
  actor: PaymentActor | undefined;
  /** The last persisted view. */
  view: PaymentView | undefined;
  /** Transitions of this payment, applied and persisted one after another. */
  queue: Promise<void>;
}

export interface PaymentSystemOptions {
  readonly store: Store;
  /** Inspection observer attached to every payment actor (the Stately inspector). */
  readonly inspect?: Observer<InspectionEvent>;
  /** Wall clock, unix millis: `updatedAt` of the views. */
  readonly now?: () => number;
  /** Finished payments kept in memory at most (the oldest leave first); default 1 000. */
  readonly maxFinished?: number;
  /** How long a finished payment stays in memory; default 10 minutes. */
  readonly finishedTtlMs?: number;
  /** Write snapshots durably (fsync / WAITAOF) before listeners hear of them; default false. */
  readonly durable?: boolean;
  /**
   * Finished payments kept in the store at most; beyond it the first finished are deleted (snapshot and index
   * entries), so the store and its mapped pages stop growing with history. Default DEFAULT_RETAIN_FINISHED.
   */
  readonly retainFinished?: number;
}

/** Finished payments the store keeps by default: about 5.4 GB of LMDB at 5.4 KB each. */
export const DEFAULT_RETAIN_FINISHED = 1_000_000;
/** Finished payments deleted per store batch when the retention is exceeded. */
const FORGET_BATCH = 256;

/**
 * The payment actors (PaymentRegistry): one XState actor per payment. Every transition's persisted snapshot is
 * written to the Store (key `payment/<txHash>`, with its index entries in the same batch) before listeners are
 * told, and `open` restores every unfinished payment, so a restarted process resumes each one where it was.
 * Finished payments leave memory after `finishedTtlMs` or beyond `maxFinished` and stay readable from the store
 * (`load`, and `list`, which pages from the store's order index): memory follows open payments, not history.
 */
export class PaymentSystem implements PaymentRegistry {
  readonly #store: Store;
  readonly #inspect: Observer<InspectionEvent> | undefined;
  readonly #now: () => number;
  readonly #maxFinished: number;
  readonly #finishedTtlMs: number;
  readonly #durable: boolean;
  readonly #retainFinished: number;
  /** Finished payments in the store (counted at open, then kept up to date). */
  #storedFinished = 0;
  /** The count of the finished payments stored before open, while it runs. */
  #counting: Promise<void> | undefined;
  /** The running deletion of finished payments beyond the retention, if any. */
  #forgetting: Promise<void> | undefined;
  readonly #entries = new Map<string, Entry>();
  /** Finished payments in memory, oldest first, with the time they finished. */
  readonly #finished = new Map<string, number>();
  readonly #listeners = new Set<(view: PaymentView, previous: ApiStage | undefined) => void>();

  private constructor(options: PaymentSystemOptions) {
    this.#store = options.store;
    this.#inspect = options.inspect;
    this.#now = options.now ?? Date.now;
    this.#maxFinished = options.maxFinished ?? 1_000;
    this.#finishedTtlMs = options.finishedTtlMs ?? 600_000;
    this.#durable = options.durable ?? false;
    this.#retainFinished = options.retainFinished ?? DEFAULT_RETAIN_FINISHED;
  }

  /**
   * Opens the system on `options.store` and restores the unfinished payments stored there (finished ones stay in
   * the store, read on demand). The finished ones are counted in the background (a key scan bounded by the
   * retention, which waits for it), so a large history does not delay the start. A store written before the
   * indexes existed is indexed first, once.
   */
  static async open(options: PaymentSystemOptions): Promise<PaymentSystem> {
    const system = new PaymentSystem(options);
    if (!(await options.store.get(PAYMENT_INDEX_MARKER))) await system.#buildIndex();
    for await (const txHash of openPayments(options.store)) {
      const bytes = await options.store.get(PAYMENT_KEY_PREFIX + txHash);
      if (bytes) system.#restore(decodeTagged<StoredPayment>(bytes));
    }
    system.#counting = system.#countFinished(system.#now()).finally(() => {
      system.#counting = undefined;
      system.#retain();
    });
    return system;
  }

  track(input: PaymentInput): Promise<PaymentView> {
    let entry = this.#entries.get(input.txHash);
    if (!entry) {
      const created: Entry = { actor: undefined, view: undefined, queue: Promise.resolve() };
      this.#entries.set(input.txHash, created);
      this.#enqueue(created, () => this.#start(created, input)).catch(() => {
        if (!created.view) this.#entries.delete(input.txHash);
      });
      entry = created;
    }
    const tracked = entry;
    return tracked.queue.then(() => {
      if (!tracked.view) throw new Error(`payment ${input.txHash} could not be stored`);
      return tracked.view;
    });
  }

  /** Whether the payment is tracked or being tracked (synchronous: a `track` call counts at once). */
  tracks(txHash: string): boolean {
    return this.#entries.has(txHash);
  }

  send(txHash: string, event: PaymentEvent): Promise<void> {
    const entry = this.#entries.get(txHash);
    return entry ? this.#enqueue(entry, () => this.#apply(entry, event)) : Promise.resolve();
  }

  get(txHash: string): PaymentView | undefined {
    return this.#entries.get(txHash)?.view;
  }

  /** The payment from memory, or from the store when it already left memory. */
  async load(txHash: string): Promise<PaymentView | undefined> {
    const view = this.get(txHash);
    if (view) return view;
    const bytes = await this.#store.get(PAYMENT_KEY_PREFIX + txHash);
    return bytes && viewOf(decodeTagged<StoredPayment>(bytes));
  }

  /**
   * Newest first from the store's order index (bounded memory at any history size): of one address when given,
   * filtered by stage when given (read from memory or the store, so a stage filter may scan further).
   */
  async list(filter: {
    address?: string;
    stage?: ApiStage;
    first: number;
    after?: string;
  }): Promise<PaymentPage> {
    const after = filter.after === undefined ? undefined : parseCursor(filter.after);
    const first = Math.max(0, filter.first);
    const items: PaymentView[] = [];
    let hasNextPage = false;
    for await (const txHash of paymentsInOrder(this.#store, {
      ...(filter.address ? { address: filter.address } : {}),
      ...(after ? { after } : {}),
    })) {
      const view = await this.load(txHash);
      if (!view || (filter.stage && view.stage !== filter.stage)) continue;
      if (items.length === first) {
        hasNextPage = true;
        break;
      }
      items.push(view);
    }
    const last = items.at(-1);
    return { items, hasNextPage, ...(last ? { endCursor: cursorOf(orderOf(last.context)) } : {}) };
  }

  subscribe(listener: (view: PaymentView, previous: ApiStage | undefined) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Payments not yet in a final stage. */
  active(): PaymentView[] {
    return [...this.#entries.values()].flatMap((e) => (e.actor && e.view ? [e.view] : []));
  }

  /** Finished payments in the store now (once the count at open is done). */
  storedFinished(): number {
    return this.#storedFinished;
  }

  /** Waits for every queued transition to be persisted, then stops the actors. The store stays open. */
  async close(): Promise<void> {
    await Promise.all([...this.#entries.values()].map((e) => e.queue));
    await this.#counting;
    await this.#forgetting;
    for (const entry of this.#entries.values()) entry.actor?.stop();
  }

  #enqueue(entry: Entry, work: () => Promise<void>): Promise<void> {
    const run = entry.queue.then(work);
    entry.queue = run.catch(() => undefined);
    return run;
  }

  async #start(entry: Entry, input: PaymentInput): Promise<void> {
    const bytes = await this.#store.get(PAYMENT_KEY_PREFIX + input.txHash);
    if (bytes) {
      this.#remember(decodeTagged<StoredPayment>(bytes));
      return;
    }
    entry.actor = this.#spawn(input, undefined);
    await this.#persist(entry);
  }

  async #apply(entry: Entry, event: PaymentEvent): Promise<void> {
    const actor = entry.actor;
    if (!actor) return;
    const before = actor.getSnapshot();
    actor.send(event);
    if (actor.getSnapshot() !== before) await this.#persist(entry);
  }

  /** Writes the actor's snapshot, then updates the view and tells the listeners. */
  async #persist(entry: Entry): Promise<void> {
    const actor = entry.actor!;
    const snapshot = actor.getSnapshot();
    const updatedAt = this.#now();
    const stored = { updatedAt, snapshot: actor.getPersistedSnapshot() };
    const txHash = snapshot.context.txHash;
    const finished = snapshot.status !== 'active';
    await this.#store.batch(
      [
        { key: PAYMENT_KEY_PREFIX + txHash, value: encodeTagged(stored) },
        ...(entry.view ? [] : indexWrites(snapshot.context)),
        ...(finished ? closeWrites(txHash, updatedAt) : []),
      ],
      { durable: this.#durable },
    );
    if (finished) this.#storedFinished++;
    const previous = entry.view?.stage;
    const view = viewOf(stored as StoredPayment);
    entry.view = view;
    if (finished) {
      entry.actor = undefined;
      this.#finished.set(txHash, updatedAt);
    }
    for (const listener of this.#listeners) {
      try {
        listener(view, previous);
      } catch {
        // A listener's failure must not stop the payment or the other listeners.
      }
    }
    this.#sweep();
    this.#retain();
  }

  /** Starts deleting the first finished payments while more than the retention are stored (one run at a time). */
  #retain(): void {
    if (this.#counting || this.#forgetting || this.#storedFinished <= this.#retainFinished) return;
    this.#forgetting = this.#forgetFirstFinished()
      // A failed deletion is retried at the next finished payment; the payments stay readable meanwhile.
      .catch(() => undefined)
      .finally(() => {
        this.#forgetting = undefined;
      });
  }

  /** Adds the finished payments stored before `openedAt` (those finished since are counted as they finish). */
  async #countFinished(openedAt: number): Promise<void> {
    try {
      for await (const { finishedAt } of finishedPayments(this.#store)) {
        if (finishedAt >= openedAt) return;
        this.#storedFinished++;
      }
    } catch {
      // A count cut short only keeps more than the retention until the next start.
    }
  }

  async #forgetFirstFinished(): Promise<void> {
    while (this.#storedFinished > this.#retainFinished) {
      const excess = Math.min(this.#storedFinished - this.#retainFinished, FORGET_BATCH);
      const writes: StoreWrite[] = [];
      const forgotten: string[] = [];
      for await (const { key, txHash } of finishedPayments(this.#store)) {
        const bytes = await this.#store.get(PAYMENT_KEY_PREFIX + txHash);
        const context = bytes && decodeTagged<StoredPayment>(bytes).snapshot.context;
        writes.push(
          { key, value: null },
          { key: PAYMENT_KEY_PREFIX + txHash, value: null },
          ...(context ? forgetWrites(context) : []),
        );
        forgotten.push(txHash);
        if (forgotten.length === excess) break;
      }
      if (forgotten.length === 0) return;
      await this.#store.batch(writes);
      this.#storedFinished -= forgotten.length;
      for (const txHash of forgotten) {
        if (this.#entries.get(txHash)?.actor) continue;
        this.#entries.delete(txHash);
        this.#finished.delete(txHash);
      }
    }
  }

  #restore(stored: StoredPayment): void {
    const context = stored.snapshot.context;
    const actor = this.#spawn(
      { ...context, submittedAt: context.stageTimes.SUBMITTED ?? 0 },
      stored.snapshot,
    );
    this.#entries.set(context.txHash, { actor, view: viewOf(stored), queue: Promise.resolve() });
  }

  /** Keeps a finished payment's view in memory (subject to the bounds). */
  #remember(stored: StoredPayment): void {
    const txHash = stored.snapshot.context.txHash;
    const entry = this.#entries.get(txHash);
    const view = viewOf(stored);
    if (entry) entry.view = view;
    else this.#entries.set(txHash, { actor: undefined, view, queue: Promise.resolve() });
    this.#finished.set(txHash, stored.updatedAt);
  }

  #spawn(input: PaymentInput, snapshot: PersistedPayment | undefined): PaymentActor {
    return createActor(paymentMachine, {
      id: `payment ${input.txHash.slice(0, 10)}`,
      input,
      ...(snapshot ? { snapshot } : {}),
      ...(this.#inspect ? { inspect: this.#inspect } : {}),
    }).start();
  }

  /** Indexes every stored payment (a store written before the indexes existed), then sets the marker. */
  async #buildIndex(): Promise<void> {
    let writes: { key: string; value: Uint8Array | null }[] = [];
    for await (const [, bytes] of this.#store.scan(PAYMENT_KEY_PREFIX)) {
      const { snapshot, updatedAt } = decodeTagged<StoredPayment>(bytes);
      const entries = indexWrites(snapshot.context);
      const { txHash } = snapshot.context;
      writes.push(
        ...(snapshot.status === 'active'
          ? entries
          : [...entries.slice(0, -1), ...closeWrites(txHash, updatedAt)]),
      );
      if (writes.length >= 1_000) {
        await this.#store.batch(writes);
        writes = [];
      }
    }
    await this.#store.batch([...writes, { key: PAYMENT_INDEX_MARKER, value: new Uint8Array([1]) }]);
  }

  /** Finished payments older than the TTL or beyond the cap leave memory (they stay in the store). */
  #sweep(): void {
    const expired = this.#now() - this.#finishedTtlMs;
    for (const [txHash, finishedAt] of this.#finished) {
      if (this.#finished.size <= this.#maxFinished && finishedAt > expired) break;
      this.#finished.delete(txHash);
      this.#entries.delete(txHash);
    }
  }
}

function viewOf(stored: StoredPayment): PaymentView {
  const { context, value } = stored.snapshot;
  return {
    txHash: context.txHash,
    stage: STAGE_OF_STATE[value as string]!,
    context,
    updatedAt: stored.updatedAt,
  };
}
