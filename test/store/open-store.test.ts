import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { openStore } from '../../src/store/open-store.ts';
import { parseRedisSpec } from '../../src/store/redis-store.ts';
import { StoreError } from '../../src/store/store.ts';
import { expectStoreError } from './store-conformance.ts';

describe('openStore', () => {
  it('opens memory for the spec "memory"', async () => {
    const store = await openStore('memory');
    expect(store).toBeInstanceOf(MemoryStore);
    await store.close();
  });

  it.each(['', 'Memory', 'file:', 'lmdb:', 'mysql://127.0.0.1', 'rediss://127.0.0.1', 'redis://127.0.0.1/x'])(
    'rejects the spec %j with STORE_SPEC',
    async (spec) => {
      await expectStoreError(openStore(spec), 'STORE_SPEC');
    },
  );
});

describe('parseRedisSpec', () => {
  it('reads host, port, db, credentials and prefix, defaulting port 6379, db 0 and prefix allegro:', () => {
    expect(parseRedisSpec('redis://127.0.0.1')).toEqual({
      host: '127.0.0.1',
      port: 6379,
      db: 0,
      prefix: 'allegro:',
    });
    expect(parseRedisSpec('redis://u:p%40ss@127.0.0.1:7001/3?prefix=sidecar-2:')).toEqual({
      host: '127.0.0.1',
      port: 7001,
      db: 3,
      username: 'u',
      password: 'p@ss',
      prefix: 'sidecar-2:',
    });
  });

  it('rejects an unknown option, so a typo cannot silently share the default prefix', () => {
    expect(() => parseRedisSpec('redis://127.0.0.1?prefx=a:')).toThrow(StoreError);
    expect(() => parseRedisSpec('redis://127.0.0.1?prefx=a:')).toThrow(/unknown option "prefx"/);
  });
});
