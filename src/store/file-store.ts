import { type FileHandle, mkdir, open, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { lockDir } from './dir-lock.ts';
import { IndexedStore } from './indexed-store.ts';
import { compactLogSize, encodeRecord, entrySize, LOG_MAGIC, replayLog } from './log-record.ts';
import { StoreError, type StoreWrite, type WriteOptions } from './store.ts';
import { checkedWrites, copyBytes, sameValue } from './store-base.ts';

const LOG_FILE = 'store.log';
/** Compact once the log exceeds this size and three times the size of its live data. */
const COMPACT_MIN_BYTES = 1 << 20;
const COMPACT_RATIO = 3;
const SNAPSHOT_RECORD_BYTES = 1 << 20;

interface Pending {
  readonly writes: StoreWrite[];
  readonly condition?: { readonly key: string; readonly expected: Uint8Array | undefined };
  readonly durable: boolean;
  resolve(wrote: boolean): void;
  reject(err: unknown): void;
}

/**
 * The embedded default store: an append-only log in DIR/store.log (format in log-record.ts) replayed into
 * an in-memory index at open. One writer loop appends queued operations in issue order, one record per
 * batch; all operations queued while it was busy share one write and, if any is durable, one fdatasync
 * (group commit). Reads see an operation only once it is written (and synced, if any operation of its group
 * is durable), so nothing readable can be lost by a crash before its writer was told it is durable.
 * Compaction rewrites the live data to a temp file, syncs it, renames it over the log and syncs DIR.
 * An I/O error fails the store: every later call rejects with STORE_UNAVAILABLE until it is reopened.
 */
export class FileStore extends IndexedStore {
  private file!: FileHandle;
  private size = 0;
  private unsynced = false;
  private queue: Pending[] = [];
  private writing = false;
  private writer: Promise<void> = Promise.resolve();
  private failure: StoreError | undefined;

  private constructor(
    readonly dir: string,
    private readonly unlock: () => Promise<void>,
  ) {
    super();
  }

  /** Opens (creating if missing) the store in `dir`; STORE_LOCKED if another open store holds it. */
  static async open(dir: string): Promise<FileStore> {
    const abs = resolve(dir);
    const unlock = await mkdir(abs, { recursive: true })
      .then(() => lockDir(abs))
      .catch((err) => {
        throw ioError(`cannot open file store ${abs}`, err);
      });
    const store = new FileStore(abs, unlock);
    try {
      await store.load();
      return store;
    } catch (err) {
      await store.file?.close().catch(() => {});
      await unlock();
      throw ioError(`cannot open file store ${abs}`, err);
    }
  }

  private get logPath(): string {
    return join(this.dir, LOG_FILE);
  }

  async batch(writes: readonly StoreWrite[], opts?: WriteOptions): Promise<void> {
    this.ensureOpen();
    await this.submit(checkedWrites(writes), undefined, opts);
  }

  async compareAndSet(
    key: string,
    expected: Uint8Array | undefined,
    value: Uint8Array,
    opts?: WriteOptions,
  ): Promise<boolean> {
    this.ensureOpen();
    const writes = checkedWrites([{ key, value }]);
    return this.submit(writes, { key, expected: expected && copyBytes(expected) }, opts);
  }

  protected override ensureOpen(): void {
    super.ensureOpen();
    if (this.failure) throw this.failure;
  }

  protected async release(): Promise<void> {
    await this.writer;
    await this.file.close();
    await this.unlock();
  }

  private async load(): Promise<void> {
    this.file = (await open(this.logPath, 'r+').catch(absentAsUndefined)) ?? (await this.writeSnapshot());
    const { size } = await this.file.stat();
    const magic = Buffer.alloc(LOG_MAGIC.length);
    await this.file.read(magic, 0, magic.length, 0);
    if (!magic.equals(LOG_MAGIC)) {
      throw new StoreError('STORE_CORRUPT', `${this.logPath} is not an Allegro store log (bad header)`);
    }
    this.size = await replayLog(this.file, this.logPath, size, (writes) => this.applyToIndex(writes));
    if (this.size < size) {
      await this.file.truncate(this.size);
      await this.file.datasync();
    }
    if (this.needsCompaction()) await this.compact();
  }

  private submit(
    writes: StoreWrite[],
    condition: Pending['condition'],
    opts?: WriteOptions,
  ): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ writes, condition, durable: opts?.durable === true, resolve, reject });
      if (this.writing) return;
      this.writing = true;
      this.writer = this.drain();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0 && !this.failure) {
      const group = this.queue.splice(0);
      try {
        await this.commit(group);
        if (this.needsCompaction()) await this.compact();
      } catch (err) {
        this.failure = ioError(`file store ${this.dir} failed; reopen it to recover`, err);
        for (const op of [...group, ...this.queue.splice(0)]) op.reject(this.failure);
      }
    }
    this.writing = false;
  }

  /** Decides conditions in queue order, appends one record per effective write, syncs, then publishes. */
  private async commit(group: readonly Pending[]): Promise<void> {
    const staged = new Map<string, Uint8Array | null>();
    const records: Buffer[] = [];
    const wrote = group.map(({ writes, condition }) => {
      if (condition) {
        const current = staged.has(condition.key) ? staged.get(condition.key) : this.index.get(condition.key);
        if (!sameValue(current ?? undefined, condition.expected)) return false;
      }
      if (writes.length > 0) records.push(encodeRecord(writes));
      for (const { key, value } of writes) staged.set(key, value);
      return true;
    });
    if (records.length > 0) {
      const bytes = Buffer.concat(records);
      await writeAll(this.file, bytes, this.size);
      this.size += bytes.length;
      this.unsynced = true;
    }
    if (this.unsynced && group.some((op) => op.durable)) {
      await this.file.datasync();
      this.unsynced = false;
    }
    this.applyToIndex(Array.from(staged, ([key, value]) => ({ key, value })));
    for (const [i, op] of group.entries()) op.resolve(wrote[i]!);
  }

  private needsCompaction(): boolean {
    const live = compactLogSize(this.index.count, this.index.dataBytes);
    return this.size > COMPACT_MIN_BYTES && this.size > COMPACT_RATIO * live;
  }

  private async compact(): Promise<void> {
    const next = await this.writeSnapshot();
    await this.file.close();
    this.file = next;
  }

  /** Writes the live entries as a new log in a temp file, syncs it, renames it over the log, syncs DIR. */
  private async writeSnapshot(): Promise<FileHandle> {
    const tmpPath = `${this.logPath}.tmp`;
    const file = await open(tmpPath, 'w+');
    try {
      let size = 0;
      const write = async (bytes: Buffer) => {
        await writeAll(file, bytes, size);
        size += bytes.length;
      };
      await write(LOG_MAGIC);
      let chunk: StoreWrite[] = [];
      let chunkBytes = 0;
      for (const [key, value] of this.index.entries()) {
        chunk.push({ key, value });
        chunkBytes += entrySize(key, value);
        if (chunkBytes < SNAPSHOT_RECORD_BYTES) continue;
        await write(encodeRecord(chunk));
        chunk = [];
        chunkBytes = 0;
      }
      if (chunk.length > 0) await write(encodeRecord(chunk));
      await file.datasync();
      await rename(tmpPath, this.logPath);
      await syncDir(this.dir);
      this.size = size;
      this.unsynced = false;
      return file;
    } catch (err) {
      await file.close();
      throw err;
    }
  }
}

async function writeAll(file: FileHandle, bytes: Buffer, position: number): Promise<void> {
  const { bytesWritten } = await file.write(bytes, 0, bytes.length, position);
  if (bytesWritten !== bytes.length)
    throw new Error(`short write (${bytesWritten} of ${bytes.length} bytes)`);
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function absentAsUndefined(err: NodeJS.ErrnoException): undefined {
  if (err.code === 'ENOENT') return undefined;
  throw err;
}

/** STORE_UNAVAILABLE wrapping an I/O failure; a StoreError passes through unchanged. */
function ioError(message: string, cause: unknown): StoreError {
  if (cause instanceof StoreError) return cause;
  return new StoreError('STORE_UNAVAILABLE', `${message}: ${(cause as Error).message}`, { cause });
}
