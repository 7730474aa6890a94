import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LmdbStore } from '../../src/store/lmdb-store.ts';
import { openStore } from '../../src/store/open-store.ts';
import { describeStoreConformance, expectStoreError } from './store-conformance.ts';

const root = await mkdtemp(join(tmpdir(), 'allegro-lmdb-store-'));
let counter = 0;
const freshDir = () => join(root, `s${++counter}`);
afterAll(() => rm(root, { recursive: true, force: true }));

let dir = freshDir();
describeStoreConformance('lmdb', {
  open: () => LmdbStore.open(dir),
  fresh: () => {
    dir = freshDir();
  },
  persistent: true,
});

const bytes = (...values: number[]) => new Uint8Array(values);

async function keysOf(iterable: AsyncIterable<[string, Uint8Array]>): Promise<string[]> {
  const out: string[] = [];
  for await (const [key] of iterable) out.push(key);
  return out;
}

describe('lmdb store', () => {
  it('opens lmdb:DIR through openStore, creating a missing nested directory, and keeps data there', async () => {
    const nested = join(freshDir(), 'a', 'b');
    const store = await openStore(`lmdb:${nested}`);
    expect(store).toBeInstanceOf(LmdbStore);
    await store.put('k', bytes(1), { durable: true });
    await store.close();
    expect((await stat(join(nested, 'data.mdb'))).size).toBeGreaterThan(0);
    const again = await openStore(`lmdb:${nested}`);
    expect(await again.get('k')).toEqual(bytes(1));
    await again.close();
  });

  it('refuses a second open of the same directory with STORE_LOCKED naming it, until the first closes', async () => {
    const d = freshDir();
    const first = await LmdbStore.open(d);
    const err = await expectStoreError(LmdbStore.open(join(d, '.')), 'STORE_LOCKED');
    expect(err.message).toContain(d);
    await first.close();
    const second = await LmdbStore.open(d);
    await second.close();
  });

  it('refuses a directory holding an old file store log, and a file: spec, naming the migrate command', async () => {
    const d = freshDir();
    await mkdir(d);
    await writeFile(join(d, 'store.log'), 'ALGKVLG1');
    const err = await expectStoreError(openStore(`lmdb:${d}`), 'STORE_SPEC');
    expect(err.message).toContain(`allegro store migrate --from file:${d} --to lmdb:`);
    const spec = await expectStoreError(openStore(`file:${d}`), 'STORE_SPEC');
    expect(spec.message).toContain(`allegro store migrate --from file:${d} --to lmdb:`);
  });

  it('refuses a data file that is not an LMDB environment (garbage, zeros) with STORE_CORRUPT, and releases the directory', async () => {
    const d = freshDir();
    await mkdir(d);
    for (const fill of [0x5a, 0x00]) {
      await writeFile(join(d, 'data.mdb'), Buffer.alloc(16384, fill));
      const err = await expectStoreError(LmdbStore.open(d), 'STORE_CORRUPT');
      expect(err.message).toContain(d);
    }
    await rm(join(d, 'data.mdb'));
    await (await LmdbStore.open(d)).close();
  });

  it('stores the empty key and the longest key LMDB allows; a longer key fails its whole batch with STORE_ARGUMENT', async () => {
    const store = await LmdbStore.open(freshDir());
    const longest = `${'é'.repeat(988)}x`;
    await store.batch([
      { key: '', value: bytes(0) },
      { key: longest, value: bytes(1) },
    ]);
    await expectStoreError(
      store.batch([
        { key: 'first', value: bytes(2) },
        { key: `${longest}y`, value: bytes(3) },
      ]),
      'STORE_ARGUMENT',
    );
    expect(await keysOf(store.scan(''))).toEqual(['', longest]);
    expect(await keysOf(store.scan('', { after: '' }))).toEqual([longest]);
    expect(await keysOf(store.scan('é', { after: `${longest}zzz` }))).toEqual([]);
    await store.close();
  });

  it('pages a scan across keys as long as LMDB allows without skipping or repeating any', async () => {
    const store = await LmdbStore.open(freshDir());
    const keys = Array.from({ length: 600 }, (_, i) => `p/${String(i).padStart(4, '0')}`.padEnd(1977, 'z'));
    await store.batch(keys.map((key) => ({ key, value: bytes(1) })));
    expect(await keysOf(store.scan('p/'))).toEqual(keys);
    expect(await keysOf(store.scan('p/', { after: keys[255], limit: 300 }))).toEqual(keys.slice(256, 556));
    await store.close();
  });

  it('grows its map from a small initial size as data arrives, and reopens with the data', async () => {
    const d = freshDir();
    const store = await LmdbStore.open(d, { mapSize: 64 * 1024 });
    const value = new Uint8Array(64 * 1024).fill(3);
    for (let i = 0; i < 40; i++) await store.put(`big/${i}`, value, { durable: i % 10 === 9 });
    await store.close();
    const reopened = await LmdbStore.open(d, { mapSize: 64 * 1024 });
    expect(await keysOf(reopened.scan('big/'))).toHaveLength(40);
    expect(await reopened.get('big/39')).toEqual(value);
    await reopened.close();
  });

  it('completes writes issued before close; a scan in progress rejects with STORE_CLOSED after it', async () => {
    const d = freshDir();
    const store = await LmdbStore.open(d);
    await store.batch(Array.from({ length: 600 }, (_, i) => ({ key: `s/${i}`, value: bytes(1) })));
    const pending = store.put('late', bytes(9), { durable: true });
    const scan = store.scan('s/')[Symbol.asyncIterator]();
    await scan.next();
    await store.close();
    await pending;
    await expectStoreError(
      (async () => {
        for (let r = await scan.next(); !r.done; r = await scan.next());
      })(),
      'STORE_CLOSED',
    );
    const reopened = await LmdbStore.open(d);
    expect(await reopened.get('late')).toEqual(bytes(9));
    await reopened.close();
  });
});
