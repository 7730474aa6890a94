/**
 * The durable key-value port (ARCHITECTURE.md, "Persistence"). Sidecar safety state and actor snapshots go
 * through it; backends are `memory`, `lmdb:DIR` and `redis://…` (see open-store.ts).
 */

/** One write of a batch: a value to store, or `null` to delete the key. */
export interface StoreWrite {
  readonly key: string;
  readonly value: Uint8Array | null;
}

export interface WriteOptions {
  /** Resolve only once the write survives a crash of the process and of the machine (fsync / WAITAOF). */
  readonly durable?: boolean;
}

export interface ScanOptions {
  /** At most this many entries. */
  readonly limit?: number;
  /** Only keys strictly after this key. */
  readonly after?: string;
}

/**
 * Keys are well-formed Unicode strings, ordered by their UTF-8 bytes. Writes are applied in the order they
 * are issued and become durable in that order, so a durable write also makes every earlier write durable;
 * an empty durable batch is therefore a barrier. A write whose promise rejected may or may not have been
 * applied.
 */
export interface Store {
  get(key: string): Promise<Uint8Array | undefined>;
  /** Atomically applies all writes; with durable: true it resolves only once they survive a crash (fsync / WAITAOF). */
  batch(writes: readonly StoreWrite[], opts?: WriteOptions): Promise<void>;
  put(key: string, value: Uint8Array, opts?: WriteOptions): Promise<void>;
  delete(key: string, opts?: WriteOptions): Promise<void>;
  /** Keys with this prefix in ascending byte order, as an async iterator of [key, value] (bounded memory for large sets). */
  scan(prefix: string, opts?: ScanOptions): AsyncIterable<[string, Uint8Array]>;
  /** Writes `value` only if the current value equals `expected` (undefined = absent); returns whether it wrote. */
  compareAndSet(
    key: string,
    expected: Uint8Array | undefined,
    value: Uint8Array,
    opts?: WriteOptions,
  ): Promise<boolean>;
  /** Completes the operations already issued, then releases the backend; later calls reject with STORE_CLOSED. */
  close(): Promise<void>;
}

export type StoreErrorCode =
  /** The backend cannot serve the request now (I/O failure, server down, durability not available). */
  | 'STORE_UNAVAILABLE'
  /** Persisted data is damaged: refuse to start rather than forget safety state. */
  | 'STORE_CORRUPT'
  /** A malformed store spec string. */
  | 'STORE_SPEC'
  /** The embedded store's directory is held by another open store. */
  | 'STORE_LOCKED'
  /** The store was closed. */
  | 'STORE_CLOSED'
  /** A key that is not well-formed Unicode, or a bad argument. */
  | 'STORE_ARGUMENT';

/** The store layer's error; `code` says what went wrong. */
export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}
