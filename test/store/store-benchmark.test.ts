import { expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { measureDurableWrites } from '../../src/store/store-benchmark.ts';

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
  let count = 0;
  for await (const [, value] of store.scan('b/')) {
    expect(value).toHaveLength(64);
    count++;
  }
  expect(count).toBe(500);
});
