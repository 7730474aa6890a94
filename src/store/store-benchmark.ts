import type { Store } from './store.ts';

export interface DurableWriteBenchmark {
  readonly writes: number;
  readonly concurrency: number;
  readonly seconds: number;
  readonly perSecond: number;
}

/**
 * Times `writes` durable puts of `valueBytes`-byte values to distinct keys under `keyPrefix`, with
 * `concurrency` writers in flight at once (group commit shows at concurrency > 1).
 */
export async function measureDurableWrites(
  store: Store,
  opts: { writes: number; concurrency: number; valueBytes: number; keyPrefix: string },
): Promise<DurableWriteBenchmark> {
  const value = new Uint8Array(opts.valueBytes).fill(7);
  let next = 0;
  const writer = async () => {
    while (next < opts.writes) await store.put(`${opts.keyPrefix}${next++}`, value, { durable: true });
  };
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: opts.concurrency }, writer));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { writes: opts.writes, concurrency: opts.concurrency, seconds, perSecond: opts.writes / seconds };
}
