import { SortedIndex } from './sorted-index.ts';
import type { ScanOptions, StoreWrite } from './store.ts';
import { checkedWrites, checkKey, checkScan, copyBytes, StoreBase, sameValue } from './store-base.ts';

/** A store held in memory, for tests: nothing survives the process, `durable` is accepted and ignored. */
export class MemoryStore extends StoreBase {
  private readonly index = new SortedIndex();

  async get(key: string): Promise<Uint8Array | undefined> {
    this.ensureOpen();
    checkKey(key);
    const value = this.index.get(key);
    return value && copyBytes(value);
  }

  async *scan(prefix: string, opts?: ScanOptions): AsyncGenerator<[string, Uint8Array]> {
    this.ensureOpen();
    checkScan(prefix, opts);
    yield* this.index.scan(prefix, opts);
  }

  async batch(writes: readonly StoreWrite[]): Promise<void> {
    this.ensureOpen();
    this.apply(checkedWrites(writes));
  }

  async compareAndSet(key: string, expected: Uint8Array | undefined, value: Uint8Array): Promise<boolean> {
    this.ensureOpen();
    const writes = checkedWrites([{ key, value }]);
    if (!sameValue(this.index.get(key), expected)) return false;
    this.apply(writes);
    return true;
  }

  protected async release(): Promise<void> {}

  private apply(writes: Iterable<StoreWrite>): void {
    for (const { key, value } of writes) {
      if (value === null) this.index.delete(key);
      else this.index.set(key, value);
    }
  }
}
