import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { expect, it } from 'vitest';
import { LmdbStore } from '../../src/store/lmdb-store.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import type { Store } from '../../src/store/store.ts';
import { measureDurableWrites } from '../../src/store/store-benchmark.ts';

async function countValues(store: Store, prefix: string, length: number): Promise<number> {
  let count = 0;
  for await (const [, value] of store.scan(prefix)) {
    expect(value).toHaveLength(length);
    count++;
  }
  return count;
}

it('measureDurableWrites performs exactly the requested writes and reports their rate', async () => {
  const store = new MemoryStore();
  const result = await measureDurableWrites(store, {
    writes: 500,
    concurrency: 8,
    valueBytes: 64,
    keyPrefix: 'b/',
  });
  expect(result.writes).toBe(500);
  expect(result.perSecond).toBeGreaterThan(0);
  expect(await countValues(store, 'b/', 64)).toBe(500);
});

it('measureDurableWrites on LMDB: concurrent durable writers share transactions (group commit)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'allegro-store-bench-'));
  try {
    const store = await LmdbStore.open(dir);
    const result = await measureDurableWrites(store, {
      writes: 400,
      concurrency: 8,
      valueBytes: 64,
      keyPrefix: 'b/',
    });
    expect(result.writes).toBe(400);
    expect(await countValues(store, 'b/', 64)).toBe(400);
    await store.close();
    const env = open({ path: dir, readOnly: true });
    const transactions = (env.getStats() as { lastTxnId: number }).lastTxnId;
    await env.close();
    expect(transactions).toBeLessThanOrEqual(400 / 4);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
