import { IndexedStore } from './indexed-store.ts';
import type { StoreWrite } from './store.ts';
import { checkedWrites, sameValue } from './store-base.ts';

/** A store held in memory, for tests: nothing survives the process, `durable` is accepted and ignored. */
export class MemoryStore extends IndexedStore {
  async batch(writes: readonly StoreWrite[]): Promise<void> {
    this.ensureOpen();
    this.applyToIndex(checkedWrites(writes));
  }

  async compareAndSet(key: string, expected: Uint8Array | undefined, value: Uint8Array): Promise<boolean> {
    this.ensureOpen();
    const writes = checkedWrites([{ key, value }]);
    if (!sameValue(this.index.get(key), expected)) return false;
    this.applyToIndex(writes);
    return true;
  }

  protected async release(): Promise<void> {}
}
