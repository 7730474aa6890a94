import { type ScanOptions, type Store, StoreError, type StoreWrite, type WriteOptions } from './store.ts';

const LONE_SURROGATE = /\p{Cs}/u;

/** Whether two stored values are equal, `undefined` meaning absent. */
export function sameValue(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.compare(a, b) === 0;
}

/** A plain Uint8Array copy (Buffer#slice would be a view). */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** Validates writes and copies their values, so a caller mutating its buffers later cannot change them. */
export function checkedWrites(writes: readonly StoreWrite[]): StoreWrite[] {
  return writes.map(({ key, value }) => {
    checkKey(key);
    if (value !== null && !(value instanceof Uint8Array)) {
      throw new StoreError('STORE_ARGUMENT', `value of ${JSON.stringify(key)} is not a Uint8Array`);
    }
    return { key, value: value === null ? null : copyBytes(value) };
  });
}

/** Throws STORE_ARGUMENT unless `key` is a well-formed Unicode string (so it has one UTF-8 encoding). */
export function checkKey(key: string): void {
  if (typeof key !== 'string' || LONE_SURROGATE.test(key)) {
    throw new StoreError('STORE_ARGUMENT', `store key is not well-formed Unicode: ${JSON.stringify(key)}`);
  }
}

/** Throws STORE_ARGUMENT for a malformed prefix or `after` key, or a negative or fractional limit. */
export function checkScan(prefix: string, opts: ScanOptions | undefined): void {
  checkKey(prefix);
  if (opts?.after !== undefined) checkKey(opts.after);
  const limit = opts?.limit;
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) {
    throw new StoreError('STORE_ARGUMENT', `scan limit must be a non-negative integer, got ${limit}`);
  }
}

/** Shared plumbing of the backends: put/delete as one-write batches and the closed state. */
export abstract class StoreBase implements Store {
  private closed = false;

  abstract get(key: string): Promise<Uint8Array | undefined>;
  abstract batch(writes: readonly StoreWrite[], opts?: WriteOptions): Promise<void>;
  abstract scan(prefix: string, opts?: ScanOptions): AsyncIterable<[string, Uint8Array]>;
  abstract compareAndSet(
    key: string,
    expected: Uint8Array | undefined,
    value: Uint8Array,
    opts?: WriteOptions,
  ): Promise<boolean>;
  protected abstract release(): Promise<void>;

  put(key: string, value: Uint8Array, opts?: WriteOptions): Promise<void> {
    return this.batch([{ key, value }], opts);
  }

  delete(key: string, opts?: WriteOptions): Promise<void> {
    return this.batch([{ key, value: null }], opts);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.release();
  }

  /** Throws STORE_CLOSED once close() was called. */
  protected ensureOpen(): void {
    if (this.closed) throw new StoreError('STORE_CLOSED', 'store is closed');
  }
}
