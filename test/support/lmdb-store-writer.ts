/**
 * Child process for crash tests: opens the embedded store in argv[2] with an initial map of argv[3] bytes and,
 * with 8 writers in flight, writes durable batches of three keys <argv[4]>/<n>/a..c (1 KiB values, so the map
 * keeps growing), printing "acked <argv[4]>/<n>" after each batch resolved, until it is killed.
 */
import { LmdbStore } from '../../src/store/lmdb-store.ts';

const [dir, mapSize, prefix] = process.argv.slice(2) as [string, string, string];
const store = await LmdbStore.open(dir, { mapSize: Number(mapSize) });
const value = new Uint8Array(1024).fill(42);
let next = 0;
const writer = async () => {
  for (;;) {
    const key = `${prefix}/${String(next++).padStart(6, '0')}`;
    await store.batch(
      ['a', 'b', 'c'].map((part) => ({ key: `${key}/${part}`, value })),
      { durable: true },
    );
    process.stdout.write(`acked ${key}\n`);
  }
};
await Promise.all(Array.from({ length: 8 }, writer));
