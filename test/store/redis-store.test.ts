import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/services/free-port.ts';
import { openStore } from '../../src/store/open-store.ts';
import { RedisStore } from '../../src/store/redis-store.ts';
import type { Store } from '../../src/store/store.ts';
import { type RedisServer, startRedisServer } from '../support/redis-server.ts';
import { describeStoreConformance, expectStoreError } from './store-conformance.ts';

const bytes = (...values: number[]) => new Uint8Array(values);

// Redis 7.0 has no WAITAOF: durable writes there need appendfsync always (see redis-durability.ts).
let aof: RedisServer;
let noAof: RedisServer;
beforeAll(async () => {
  [aof, noAof] = await Promise.all([
    startRedisServer({ appendonly: true, appendfsync: 'always' }),
    startRedisServer({ appendonly: false }),
  ]);
});
afterAll(async () => {
  await Promise.all([aof?.stop(), noAof?.stop()]);
});

let prefix = 'conformance-1:';
let tests = 1;
describeStoreConformance('redis', {
  open: () => RedisStore.open(`${aof.url}?prefix=${prefix}`),
  fresh: () => {
    prefix = `conformance-${++tests}:`;
  },
  persistent: true,
});

describe('redis store', () => {
  const opened: Store[] = [];
  const open = async (spec: string) => {
    const store = await openStore(spec);
    opened.push(store);
    return store;
  };
  afterAll(async () => {
    await Promise.all(opened.map((s) => s.close()));
  });

  it('refuses durable writes, without writing, when the server has appendonly no; plain writes still work', async () => {
    const store = await open(`${noAof.url}?prefix=refuse:`);
    const err = await expectStoreError(store.put('k', bytes(1), { durable: true }), 'STORE_UNAVAILABLE');
    expect(err.message).toMatch(/appendonly yes/);
    await expectStoreError(store.batch([], { durable: true }), 'STORE_UNAVAILABLE');
    await expectStoreError(
      store.compareAndSet('k', undefined, bytes(1), { durable: true }),
      'STORE_UNAVAILABLE',
    );
    expect(await store.get('k')).toBeUndefined();
    await store.put('k', bytes(2));
    expect(await store.get('k')).toEqual(bytes(2));
  });

  it('refuses durable writes on a server with neither WAITAOF nor appendfsync always', async () => {
    const everysec = await startRedisServer({ appendonly: true, appendfsync: 'everysec' });
    try {
      const store = (await open(everysec.url)) as RedisStore;
      if (store.durabilityMode === 'waitaof') return;
      const err = await expectStoreError(store.put('k', bytes(1), { durable: true }), 'STORE_UNAVAILABLE');
      expect(err.message).toMatch(/appendfsync always/);
    } finally {
      await everysec.stop();
    }
  });

  it('isolates stores with different prefixes on one server', async () => {
    const a = await open(`${aof.url}?prefix=iso-a:`);
    const b = await open(`${aof.url}/0?prefix=iso-b:`);
    await a.put('shared', bytes(1));
    await b.put('shared', bytes(2));
    await b.put('only-b', bytes(3));
    expect(await a.get('shared')).toEqual(bytes(1));
    expect(await a.get('only-b')).toBeUndefined();
    const keys: string[] = [];
    for await (const [key] of a.scan('')) keys.push(key);
    expect(keys).toEqual(['shared']);
  });

  it('re-checks durability after a reconnect: a server restarted without AOF gets durable writes refused', async () => {
    const server = await startRedisServer({ appendonly: true, appendfsync: 'always' });
    try {
      const store = await open(`${server.url}?prefix=recheck:`);
      await store.put('k', bytes(1), { durable: true });
      await server.kill();
      await server.start({ appendonly: false });
      await expect
        .poll(
          () =>
            store.get('k').then(
              () => 'up',
              () => 'down',
            ),
          { timeout: 10_000 },
        )
        .toBe('up');
      const err = await expectStoreError(store.put('k', bytes(2), { durable: true }), 'STORE_UNAVAILABLE');
      expect(err.message).toMatch(/appendonly|re-checking/);
      await expect
        .poll(() => store.put('k', bytes(3), { durable: true }).catch((e: Error) => e.message), {
          timeout: 5000,
        })
        .toMatch(/appendonly yes/);
    } finally {
      await server.stop();
    }
  });

  it('fails fast with STORE_UNAVAILABLE when nothing listens at open', async () => {
    const port = await freePort();
    const started = Date.now();
    await expectStoreError(openStore(`redis://127.0.0.1:${port}`), 'STORE_UNAVAILABLE');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('keeps a durable write across kill -9 of redis-server; meanwhile calls fail fast, then the store reconnects', async () => {
    const server = await startRedisServer({ appendonly: true, appendfsync: 'always' });
    try {
      const store = await open(`${server.url}?prefix=crash:`);
      await store.put('before', bytes(1), { durable: true });
      expect(await store.compareAndSet('lock', undefined, bytes(7), { durable: true })).toBe(true);
      await server.kill('SIGKILL');
      const started = Date.now();
      await expectStoreError(store.get('before'), 'STORE_UNAVAILABLE');
      await expectStoreError(store.put('during', bytes(2), { durable: true }), 'STORE_UNAVAILABLE');
      // Refused at once, not after the 5 s command timeout (a loaded machine adds far less than the difference).
      expect(Date.now() - started).toBeLessThan(4_000);
      await server.start();
      await expect.poll(() => store.get('before').catch(() => 'down'), { timeout: 10_000 }).toEqual(bytes(1));
      expect(await store.get('lock')).toEqual(bytes(7));
      const fresh = await open(`${server.url}?prefix=crash:`);
      expect(await fresh.get('before')).toEqual(bytes(1));
    } finally {
      await server.stop();
    }
  });
});
