import { type Actor, createActor, type InspectionEvent, type Observer } from 'xstate';
import type { ApiStage } from '../protocol/stage.ts';
import { decodeTagged, encodeTagged } from '../protocol/tagged-json.ts';
import type { Store } from '../store/store.ts';
import { type PaymentInput, paymentMachine, STAGE_OF_STATE } from './payment.machine.ts';
import type { PaymentEvent } from './payment-events.ts';
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
  /** Finished payments kept in memory at most (the oldest leave first); default 10 000. */
  readonly maxFinished?: number;
  /** How long a finished payment stays in memory; default 10 minutes. */
  readonly finishedTtlMs?: number;
  /** Write snapshots durably (fsync / WAITAOF) before listeners hear of them; default false. */
  readonly durable?: boolean;
}

/**
 * The payment actors (PaymentRegistry): one XState actor per payment. Every transition's persisted snapshot is
 * written to the Store (key `payment/<txHash>`) before listeners are told, and `open` restores every stored
 * payment, so a restarted process resumes each one where it was. Finished payments leave memory after
 * `finishedTtlMs` or beyond `maxFinished`, and stay readable from the store through `load`.
 */
export class PaymentSystem implements PaymentRegistry {
  readonly #store: Store;
  readonly #inspect: Observer<InspectionEvent> | undefined;
  readonly #now: () => number;
  readonly #maxFinished: number;
  readonly #finishedTtlMs: number;
  readonly #durable: boolean;
  readonly #entries = new Map<string, Entry>();
  /** Finished payments in memory, oldest first, with the time they finished. */
  readonly #finished = new Map<string, number>();
  readonly #listeners = new Set<(view: PaymentView, previous: ApiStage | undefined) => void>();

  private constructor(options: PaymentSystemOptions) {
    this.#store = options.store;
    this.#inspect = options.inspect;
    this.#now = options.now ?? Date.now;
    this.#maxFinished = options.maxFinished ?? 10_000;
    this.#finishedTtlMs = options.finishedTtlMs ?? 600_000;
    this.#durable = options.durable ?? false;
  }

  /** Opens the system on `options.store` and restores every payment stored there. */
  static async open(options: PaymentSystemOptions): Promise<PaymentSystem> {
    const system = new PaymentSystem(options);
    const finished: StoredPayment[] = [];
    for await (const [, bytes] of options.store.scan(PAYMENT_KEY_PREFIX)) {
      const stored = decodeTagged<StoredPayment>(bytes);
      if (stored.snapshot.status === 'active') system.#restore(stored);
      else finished.push(stored);
    }
    finished.sort((a, b) => a.updatedAt - b.updatedAt);
    for (const stored of finished) system.#remember(stored);
    system.#sweep();
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

  list(filter: { address?: string; stage?: ApiStage; first: number; after?: string }): PaymentPage {
    const address = filter.address?.toLowerCase();
    const after = filter.after === undefined ? undefined : parseCursor(filter.after);
    const matching = [...this.#entries.values()]
      .flatMap((e) => (e.view ? [e.view] : []))
      .filter(
        (v) =>
          (!address ||
            v.context.sender.toLowerCase() === address ||
            v.context.recipient.toLowerCase() === address) &&
          (!filter.stage || v.stage === filter.stage) &&
          (!after || compareNewestFirst(orderOf(v), after) > 0),
      )
      .sort((a, b) => compareNewestFirst(orderOf(a), orderOf(b)));
    const items = matching.slice(0, Math.max(0, filter.first));
    const last = items.at(-1);
    return {
      items,
      hasNextPage: matching.length > items.length,
      ...(last ? { endCursor: cursorOf(orderOf(last)) } : {}),
    };
  }

  subscribe(listener: (view: PaymentView, previous: ApiStage | undefined) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Payments not yet in a final stage. */
  active(): PaymentView[] {
    return [...this.#entries.values()].flatMap((e) => (e.actor && e.view ? [e.view] : []));
  }

  /** Waits for every queued transition to be persisted, then stops the actors. The store stays open. */
  async close(): Promise<void> {
    await Promise.all([...this.#entries.values()].map((e) => e.queue));
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
    await this.#store.put(PAYMENT_KEY_PREFIX + txHash, encodeTagged(stored), { durable: this.#durable });
    const previous = entry.view?.stage;
    const view = viewOf(stored as StoredPayment);
    entry.view = view;
    if (snapshot.status !== 'active') {
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

type Order = readonly [submittedAt: number, txHash: string];

function orderOf(view: PaymentView): Order {
  return [view.context.stageTimes.SUBMITTED ?? 0, view.txHash];
}

/** Newest submission first, then descending tx hash. */
function compareNewestFirst(a: Order, b: Order): number {
  if (a[0] !== b[0]) return b[0] - a[0];
  return a[1] < b[1] ? 1 : a[1] > b[1] ? -1 : 0;
}

function cursorOf(order: Order): string {
  return Buffer.from(JSON.stringify(order)).toString('base64url');
}

/** The order a cursor stands for; throws for a cursor `cursorOf` did not make. */
function parseCursor(cursor: string): Order {
  let order: unknown;
  try {
    order = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    order = undefined;
  }
  if (!Array.isArray(order) || typeof order[0] !== 'number' || typeof order[1] !== 'string') {
    throw new Error(`invalid cursor "${cursor}"`);
  }
  return [order[0], order[1]];
}
