import { access, mkdir, open as openFile, realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { claimDirectory } from './claim-directory.ts';
import { type ScanOptions, StoreError, type StoreWrite, type WriteOptions } from './store.ts';
import { checkedWrites, checkKey, checkScan, copyBytes, StoreBase, sameValue } from './store-base.ts';

/** Every stored key is this byte followed by the key's UTF-8 bytes, so the empty key is storable (LMDB has none). */
const KEY_TAG = 0x6b;
/** LMDB's largest key at the default page size, tag byte included. */
const MAX_KEY_BYTES = 1978;
/** Entries read per range read of a scan; a scan holds at most one page in memory. */
const SCAN_PAGE = 256;
/** LMDB's data file; its first meta page holds MDB_MAGIC and the data format version at these offsets. */
const DATA_FILE = 'data.mdb';
const META_MAGIC_OFFSET = 24;
const MDB_MAGIC = 0xbeefc0de;
const MDB_DATA_VERSION = 2;
/** The log of the file store this backend replaced: its presence means the directory needs migrating. */
const LEGACY_LOG = 'store.log';
/**
 * The memory map's default size: address space only (without a write map the file grows with its pages, not with
 * the map). It is large because lmdb-js leaves every earlier map mapped until the store closes when it grows the
 * map, so each growth maps the data file once more and its pages count again in the process's RSS.
 */
const DEFAULT_MAP_SIZE = 256 * 2 ** 30;

export interface LmdbStoreOptions {
  /** Initial size of the memory map in bytes (default 256 GiB of address space); LMDB grows it when it fills up. */
  readonly mapSize?: number;
}

/**
 * The embedded default store: an LMDB environment in DIR (data.mdb, lock.mdb), through lmdb-js with raw
 * binary keys and values and no object cache, so memory holds only LMDB's page cache. Every operation is one
 * lmdb-js transaction callback; callbacks run in issue order, and all of them issued in one event turn share
 * one LMDB transaction and one disk sync (group commit). A durable operation resolves only once its
 * transaction is committed and flushed to disk. compareAndSet reads and writes inside its transaction, so it
 * is atomic. One open store per directory: a second open, from this or another process, is refused with
 * STORE_LOCKED (see claim-directory.ts); LMDB's own lock file needs no cleanup after a crash.
 */
export class LmdbStore extends StoreBase {
  /** Operations issued and not yet settled: close() waits for them (lmdb-js fails queued callbacks at close). */
  private readonly inFlight = new Set<Promise<unknown>>();

  private constructor(
    readonly dir: string,
    private readonly db: RootDatabase<Buffer, Buffer>,
    private readonly unclaim: () => Promise<void>,
  ) {
    super();
  }

  /** Opens (creating if missing) the store in `dir`. */
  static async open(dir: string, opts: LmdbStoreOptions = {}): Promise<LmdbStore> {
    const abs = resolve(dir);
    const real = await mkdir(abs, { recursive: true })
      .then(() => realpath(abs))
      .catch((err) => {
        throw storeError(`cannot open store ${abs}`, err);
      });
    if (await exists(join(real, LEGACY_LOG))) {
      throw new StoreError(
        'STORE_SPEC',
        `${abs} holds a file store of an older version (${LEGACY_LOG}); copy it into a new directory with ` +
          `"allegro store migrate --from file:${abs} --to lmdb:NEW_DIR" and use lmdb:NEW_DIR`,
      );
    }
    await checkDataFile(join(real, DATA_FILE));
    const unclaim = await claimDirectory(real);
    try {
      const db = open<Buffer, Buffer>({
        path: real,
        keyEncoding: 'binary',
        encoding: 'binary',
        cache: false,
        mapSize: opts.mapSize ?? DEFAULT_MAP_SIZE,
      });
      return new LmdbStore(abs, db, unclaim);
    } catch (err) {
      await unclaim();
      throw storeError(`cannot open store ${abs}`, err);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.ensureOpen();
    const stored = this.read(() => this.db.get(storedKey(key)));
    return stored && copyBytes(stored);
  }

  async batch(writes: readonly StoreWrite[], opts?: WriteOptions): Promise<void> {
    this.ensureOpen();
    const staged = checkedWrites(writes).map(({ key, value }) => ({ key: storedKey(key), value }));
    await this.commit(() => {
      for (const { key, value } of staged) {
        if (value === null) this.db.removeSync(key);
        else this.db.putSync(key, asBuffer(value));
      }
    }, opts);
  }

  async compareAndSet(
    key: string,
    expected: Uint8Array | undefined,
    value: Uint8Array,
    opts?: WriteOptions,
  ): Promise<boolean> {
    this.ensureOpen();
    const [write] = checkedWrites([{ key, value }]);
    const stored = storedKey(key);
    const want = expected && copyBytes(expected);
    const bytes = asBuffer(write!.value!);
    return this.commit(() => {
      if (!sameValue(this.db.get(stored), want)) return false;
      this.db.putSync(stored, bytes);
      return true;
    }, opts);
  }

  /**
   * Range reads of SCAN_PAGE entries from the prefix (or from `after`) to the end of the prefix; each page
   * starts at the last key read (a key can be as long as LMDB allows, so there may be no room for a successor)
   * and skips every key up to it.
   */
  async *scan(prefix: string, opts?: ScanOptions): AsyncGenerator<[string, Uint8Array]> {
    this.ensureOpen();
    checkScan(prefix, opts);
    const low = encodeKey(prefix);
    const end = prefixEnd(low);
    let skipThrough = opts?.after === undefined ? undefined : encodeKey(opts.after);
    let start =
      skipThrough && Buffer.compare(skipThrough, low) > 0 ? skipThrough.subarray(0, MAX_KEY_BYTES) : low;
    let remaining = opts?.limit ?? Number.POSITIVE_INFINITY;
    while (remaining > 0 && Buffer.compare(start, end) < 0) {
      this.ensureOpen();
      const page = this.read(() =>
        Array.from(this.db.getRange({ start, end, limit: SCAN_PAGE }), ({ key, value }) => ({
          key,
          value: copyBytes(value),
        })),
      );
      for (const { key, value } of page) {
        if (skipThrough && Buffer.compare(key, skipThrough) <= 0) continue;
        if (remaining-- <= 0) return;
        yield [key.toString('utf8', 1), value];
      }
      if (page.length < SCAN_PAGE) return;
      start = skipThrough = page[page.length - 1]!.key;
    }
  }

  protected async release(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    try {
      await this.db.close();
    } finally {
      await this.unclaim();
    }
  }

  /** Runs `action` in the next write transaction; with durable, resolves once that transaction is on disk. */
  private commit<T>(action: () => T, opts: WriteOptions | undefined): Promise<T> {
    const op = (async () => {
      try {
        const result = await this.db.transaction(action);
        if (opts?.durable) await this.db.flushed;
        return result;
      } catch (err) {
        throw storeError(`store ${this.dir} could not write`, err);
      }
    })();
    this.inFlight.add(op);
    const forget = () => this.inFlight.delete(op);
    op.then(forget, forget);
    return op;
  }

  private read<T>(action: () => T): T {
    try {
      return action();
    } catch (err) {
      throw storeError(`store ${this.dir} could not read`, err);
    }
  }
}

/** The tagged UTF-8 key; STORE_ARGUMENT for a malformed key or one longer than LMDB allows. */
function storedKey(key: string): Buffer {
  checkKey(key);
  const bytes = encodeKey(key);
  if (bytes.length > MAX_KEY_BYTES) {
    throw new StoreError('STORE_ARGUMENT', `store key is longer than ${MAX_KEY_BYTES - 1} UTF-8 bytes`);
  }
  return bytes;
}

function encodeKey(key: string): Buffer {
  const bytes = Buffer.allocUnsafe(1 + Buffer.byteLength(key));
  bytes[0] = KEY_TAG;
  bytes.write(key, 1, 'utf8');
  return bytes;
}

/** The smallest key above every key starting with `prefix` (UTF-8 has no 0xff byte, so the last byte grows). */
function prefixEnd(prefix: Buffer): Buffer {
  const end = Buffer.from(prefix);
  end[end.length - 1]! += 1;
  return end;
}

/** A Buffer view of bytes the store already owns. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * STORE_CORRUPT unless `path` is absent, empty or starts with an LMDB meta page: lmdb-js crashes the process
 * (SIGSEGV) on a data file that is not an LMDB environment, rather than failing the open.
 */
async function checkDataFile(path: string): Promise<void> {
  const file = await openFile(path, 'r').catch(() => undefined);
  if (!file) return;
  try {
    const head = Buffer.alloc(META_MAGIC_OFFSET + 8);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    if (bytesRead === 0) return;
    const valid =
      bytesRead === head.length &&
      head.readUInt32LE(META_MAGIC_OFFSET) === MDB_MAGIC &&
      head.readUInt32LE(META_MAGIC_OFFSET + 4) === MDB_DATA_VERSION;
    if (!valid)
      throw new StoreError(
        'STORE_CORRUPT',
        `${path} is not an LMDB data file (bad meta page); refusing to open`,
      );
  } finally {
    await file.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

const DAMAGED = /MDB_INVALID|MDB_CORRUPTED|MDB_PAGE_NOTFOUND|MDB_VERSION_MISMATCH|MDB_BAD_TXN/;

/** STORE_CORRUPT for a damaged environment, STORE_UNAVAILABLE for any other failure; StoreErrors pass. */
function storeError(message: string, cause: unknown): StoreError {
  if (cause instanceof StoreError) return cause;
  const why = (cause as Error).message;
  const code = DAMAGED.test(why) ? 'STORE_CORRUPT' : 'STORE_UNAVAILABLE';
  return new StoreError(code, `${message}: ${why}`, { cause });
}
