import { toHex } from '../../protocol/bytes.ts';
import { LruMap } from '../../protocol/lru-map.ts';
import type { LifecycleUpdate } from '../../protocol/stage.ts';

type Listener = (update: LifecycleUpdate) => void;

/**
 * Fan-out of payment stages to streaming subscribers, with a bounded history per payment so a subscriber that
 * arrives late still sees every stage so far. The history keeps the `maxPayments` payments published last (LRU);
 * subscribers live as long as their streams.
 */
export class LifecycleHub {
  readonly #history: LruMap<string, LifecycleUpdate[]>;
  readonly #listeners = new Map<string, Set<Listener>>();

  constructor(maxPayments: number) {
    this.#history = new LruMap(maxPayments);
  }

  /** Payments whose stages are kept, and their bound. */
  get payments(): { readonly size: number; readonly capacity: number } {
    return { size: this.#history.size, capacity: this.#history.capacity };
  }

  /** Listeners of streams in progress. */
  get subscribers(): number {
    let n = 0;
    for (const set of this.#listeners.values()) n += set.size;
    return n;
  }

  publish(update: LifecycleUpdate): void {
    const key = toHex(update.txHash);
    const history = this.#history.get(key) ?? [];
    if (history.some((u) => u.stage === update.stage)) return;
    this.#history.set(key, [...history, update]);
    for (const listener of this.#listeners.get(key) ?? []) listener(update);
  }

  /** Stages published so far for the payment, oldest first. */
  history(txHash: Uint8Array): readonly LifecycleUpdate[] {
    return this.#history.get(toHex(txHash)) ?? [];
  }

  /** Calls `listener` for every later stage of the payment until the returned function is called. */
  subscribe(txHash: Uint8Array, listener: Listener): () => void {
    const key = toHex(txHash);
    let set = this.#listeners.get(key);
    if (!set) {
      set = new Set();
      this.#listeners.set(key, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(key);
    };
  }
}
