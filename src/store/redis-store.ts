import { Redis, type RedisOptions } from 'ioredis';
import {
  checkWaitAofReply,
  probeDurability,
  type RedisDurability,
  WAITAOF_TIMEOUT_MS,
} from './redis-durability.ts';
import { type ScanOptions, StoreError, type StoreWrite, type WriteOptions } from './store.ts';
import { checkedWrites, checkKey, checkScan, StoreBase } from './store-base.ts';

/** Where a Redis store lives: server address and the prefix of its two Redis keys. */
export interface RedisLocation {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
  readonly prefix: string;
}

const DEFAULT_PREFIX = 'allegro:';
const COMMAND_TIMEOUT_MS = WAITAOF_TIMEOUT_MS + 3000;
const SCAN_PAGE = 256;
/** Above every byte of a UTF-8 string, so `prefix + 0xFF` bounds all keys starting with `prefix`. */
const AFTER_UTF8 = Buffer.from([0xff]);

/** Atomically: if HGET(data, key) equals the expected value (or is absent when ARGV[2] is '0'), store it. */
const CAS_SCRIPT = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if ARGV[2] == '1' then
  if current ~= ARGV[3] then return 0 end
elseif current then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4])
redis.call('ZADD', KEYS[2], 0, ARGV[1])
return 1`;

/** One scan page: up to ARGV[3] index members in [ARGV[1], ARGV[2]] (ZRANGEBYLEX bounds) with their values. */
const SCAN_SCRIPT = `
local keys = redis.call('ZRANGEBYLEX', KEYS[2], ARGV[1], ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
if #keys == 0 then return {} end
local values = redis.call('HMGET', KEYS[1], unpack(keys))
local out = {}
for i = 1, #keys do
  out[2 * i - 1] = keys[i]
  out[2 * i] = values[i]
end
return out`;

/**
 * `redis://[user:password@]host[:port][/db][?prefix=P]` → location; STORE_SPEC when malformed. The prefix
 * (default `allegro:`) lets several stores share one Redis database.
 */
export function parseRedisSpec(spec: string): RedisLocation {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new StoreError('STORE_SPEC', `not a redis URL: ${spec}`);
  }
  const bad = (why: string) => new StoreError('STORE_SPEC', `${why} in store spec ${spec}`);
  if (url.protocol !== 'redis:') throw bad(`unsupported scheme ${url.protocol}`);
  const dbText = url.pathname.replace(/^\//, '') || '0';
  if (!/^\d+$/.test(dbText)) throw bad(`database "${dbText}" is not a number`);
  for (const name of url.searchParams.keys()) if (name !== 'prefix') throw bad(`unknown option "${name}"`);
  return {
    host: url.hostname || '127.0.0.1',
    port: url.port ? Number(url.port) : 6379,
    db: Number(dbText),
    ...(url.username && { username: decodeURIComponent(url.username) }),
    ...(url.password && { password: decodeURIComponent(url.password) }),
    prefix: url.searchParams.get('prefix') ?? DEFAULT_PREFIX,
  };
}

/**
 * The production store on Redis through ioredis. Layout: one hash `<prefix>data` (key → value) and one
 * sorted set `<prefix>keys` (every key, score 0) that gives ZRANGEBYLEX scans in byte order, paged 256 keys
 * per Lua call, so large sets stream. Batches are MULTI/EXEC, compare-and-set is a Lua script, and all
 * commands share one connection, so they apply in issue order.
 *
 * Durable writes need AOF (see redis-durability.ts): WAITAOF 1 0 after the write on Redis ≥ 7.2, one
 * WAITAOF for all durable writes issued while the previous one was pending (group commit); appendfsync
 * always on older servers. Otherwise they fail with STORE_UNAVAILABLE and write nothing. With appendfsync
 * always no reply leaves Redis before the fsync, so readers never see a not-yet-durable value; with
 * everysec + WAITAOF other connections can, and commands queue behind a pending WAITAOF for up to a second.
 *
 * Connection loss never hangs: no offline queue, no retry of in-flight commands, a command timeout; every
 * failure rejects with STORE_UNAVAILABLE while the client reconnects in the background, and durability is
 * probed again on each reconnect.
 */
export class RedisStore extends StoreBase {
  private readonly dataKey: string;
  private readonly indexKey: string;
  private syncing: Promise<void> | undefined;
  private nextSync: Promise<void> | undefined;

  private constructor(
    private readonly client: Redis,
    private readonly where: string,
    private durability: RedisDurability,
    prefix: string,
  ) {
    super();
    this.dataKey = `${prefix}data`;
    this.indexKey = `${prefix}keys`;
    client.on('ready', () => this.recheckDurability());
  }

  /** Connects and probes durability; STORE_UNAVAILABLE if the server cannot be reached. */
  static async open(spec: string): Promise<RedisStore> {
    const location = parseRedisSpec(spec);
    const where = `redis ${location.host}:${location.port}/${location.db}`;
    const options: RedisOptions = {
      host: location.host,
      port: location.port,
      db: location.db,
      username: location.username,
      password: location.password,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    };
    const client = new Redis(options);
    // Failures reach callers as rejected commands; the event only repeats them while reconnecting.
    client.on('error', () => {});
    try {
      await client.connect();
      return new RedisStore(client, where, await probeDurability(client), location.prefix);
    } catch (err) {
      client.disconnect();
      throw unavailable(where, err);
    }
  }

  /** How durable writes are confirmed on this server (decided at open). */
  get durabilityMode(): RedisDurability['kind'] {
    return this.durability.kind;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.ensureOpen();
    checkKey(key);
    const value = await this.call(() => this.client.hgetBuffer(this.dataKey, key));
    return value === null ? undefined : new Uint8Array(value);
  }

  async batch(writes: readonly StoreWrite[], opts?: WriteOptions): Promise<void> {
    this.ensureOpen();
    const checked = checkedWrites(writes);
    this.refuseIfNotDurable(opts);
    if (checked.length > 0) await this.exec(checked);
    await this.durable(opts);
  }

  async compareAndSet(
    key: string,
    expected: Uint8Array | undefined,
    value: Uint8Array,
    opts?: WriteOptions,
  ): Promise<boolean> {
    this.ensureOpen();
    checkedWrites([{ key, value }]);
    this.refuseIfNotDurable(opts);
    const args = [key, expected ? '1' : '0', toBuffer(expected ?? new Uint8Array()), toBuffer(value)];
    const wrote = await this.call(() =>
      this.client.call('EVAL', CAS_SCRIPT, 2, this.dataKey, this.indexKey, ...args),
    );
    await this.durable(opts);
    return wrote === 1;
  }

  async *scan(prefix: string, opts: ScanOptions = {}): AsyncGenerator<[string, Uint8Array]> {
    this.ensureOpen();
    checkScan(prefix, opts);
    const max = prefix === '' ? '+' : Buffer.concat([Buffer.from(`(${prefix}`), AFTER_UTF8]);
    const { after } = opts;
    let min =
      after !== undefined && Buffer.compare(Buffer.from(after), Buffer.from(prefix)) >= 0
        ? Buffer.from(`(${after}`)
        : Buffer.from(`[${prefix}`);
    let remaining = opts.limit ?? Number.POSITIVE_INFINITY;
    while (remaining > 0) {
      const page = Math.min(SCAN_PAGE, remaining);
      const reply = (await this.call(() =>
        this.client.callBuffer('EVAL', SCAN_SCRIPT, 2, this.dataKey, this.indexKey, min, max, page),
      )) as (Buffer | null)[];
      for (let i = 0; i + 1 < reply.length; i += 2) {
        const value = reply[i + 1];
        if (!value) continue;
        remaining--;
        yield [reply[i]!.toString('utf8'), new Uint8Array(value)];
      }
      if (reply.length < 2 * page) return;
      min = Buffer.concat([Buffer.from('('), reply[reply.length - 2]!]);
    }
  }

  protected async release(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }

  private async exec(writes: readonly StoreWrite[]): Promise<void> {
    const multi = this.client.multi();
    for (const { key, value } of writes) {
      if (value === null) multi.hdel(this.dataKey, key).zrem(this.indexKey, key);
      else multi.hset(this.dataKey, key, toBuffer(value)).zadd(this.indexKey, 0, key);
    }
    const results = await this.call(() => multi.exec());
    const failed =
      results?.find(([err]) => err) ?? (results ? undefined : [new Error('transaction aborted')]);
    if (failed) throw unavailable(this.where, failed[0]);
  }

  /**
   * After a reconnect the server may have restarted with other persistence settings: durable writes are
   * refused until the probe has run again. (A CONFIG SET on a live connection is not noticed.)
   */
  private recheckDurability(): void {
    const probing: RedisDurability = { kind: 'unavailable', reason: 'reconnected; re-checking AOF settings' };
    this.durability = probing;
    probeDurability(this.client).then(
      (found) => {
        if (this.durability === probing) this.durability = found;
      },
      (err: Error) => {
        if (this.durability === probing) this.durability = { kind: 'unavailable', reason: err.message };
      },
    );
  }

  private refuseIfNotDurable(opts: WriteOptions | undefined): void {
    if (opts?.durable && this.durability.kind === 'unavailable') {
      throw new StoreError(
        'STORE_UNAVAILABLE',
        `${this.where}: durable write refused: ${this.durability.reason}`,
      );
    }
  }

  /**
   * For a durable write, resolves once every write answered so far is fsynced: at once with appendfsync
   * always, else by WAITAOF, shared by all durable writes that arrive while one is pending.
   */
  private durable(opts: WriteOptions | undefined): Promise<void> {
    if (!opts?.durable || this.durability.kind !== 'waitaof') return Promise.resolve();
    if (!this.syncing) return this.startSync();
    this.nextSync ??= this.syncing
      .catch(() => {})
      .then(() => {
        this.nextSync = undefined;
        return this.startSync();
      });
    return this.nextSync;
  }

  private startSync(): Promise<void> {
    const sync = this.call(async () =>
      checkWaitAofReply(await this.client.call('WAITAOF', 1, 0, WAITAOF_TIMEOUT_MS)),
    );
    const clear = () => {
      if (this.syncing === sync) this.syncing = undefined;
    };
    this.syncing = sync;
    sync.then(clear, clear);
    return sync;
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      throw unavailable(this.where, err);
    }
  }
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function unavailable(where: string, cause: unknown): StoreError {
  if (cause instanceof StoreError) return cause;
  return new StoreError('STORE_UNAVAILABLE', `${where}: ${(cause as Error).message}`, { cause });
}
