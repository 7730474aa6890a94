import { SortedIndex } from './sorted-index.ts';
import type { ScanOptions, StoreWrite } from './store.ts';
import { checkKey, checkScan, copyBytes, StoreBase } from './store-base.ts';

/** A store whose readable state is an in-memory SortedIndex (the memory and file backends). */
export abstract class IndexedStore extends StoreBase {
  protected readonly index = new SortedIndex();

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

  /** Applies already-checked writes to the index, in order. */
  protected applyToIndex(writes: Iterable<StoreWrite>): void {
    for (const { key, value } of writes) {
      if (value === null) this.index.delete(key);
      else this.index.set(key, value);
    }
  }
}
