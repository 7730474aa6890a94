import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { legacyLogPath } from '../../src/store/legacy-file-store-reader.ts';
import { LmdbStore } from '../../src/store/lmdb-store.ts';
import { migrateFileStore } from '../../src/store/migrate-file-store.ts';
import { legacyRecord, writeLegacyLog } from '../support/legacy-file-store-log.ts';
import { expectStoreError } from './store-conformance.ts';

const root = await mkdtemp(join(tmpdir(), 'allegro-migrate-'));
let counter = 0;
const freshDir = () => join(root, `d${++counter}`);
afterAll(() => rm(root, { recursive: true, force: true }));

const bytes = (...values: number[]) => new Uint8Array(values);

async function entries(store: LmdbStore): Promise<[string, Uint8Array][]> {
  const out: [string, Uint8Array][] = [];
  for await (const entry of store.scan('')) out.push(entry);
  return out;
}

/** An old file store directory holding `batches`, optionally followed by raw bytes (a torn tail). */
async function legacyDir(batches: Parameters<typeof writeLegacyLog>[1], tail?: Buffer): Promise<string> {
  const dir = freshDir();
  await mkdir(dir);
  await writeLegacyLog(legacyLogPath(dir), batches);
  if (tail) await writeFile(legacyLogPath(dir), tail, { flag: 'a' });
  return dir;
}

describe('migrateFileStore', () => {
  it('replays the old log in order (deletes, last write wins) and ignores a torn last record', async () => {
    const from = await legacyDir(
      [
        [
          { key: 'a', value: bytes(1) },
          { key: 'gone', value: bytes(9) },
        ],
        [
          { key: 'gone', value: null },
          { key: 'a', value: bytes(2) },
          { key: 'é/\u{10000}', value: new Uint8Array() },
        ],
      ],
      legacyRecord([{ key: 'torn', value: bytes(3) }]).subarray(0, 20),
    );
    const to = await LmdbStore.open(freshDir());
    expect(await migrateFileStore(from, to)).toEqual({ records: 2, keys: 2 });
    expect(await entries(to)).toEqual([
      ['a', bytes(2)],
      ['é/\u{10000}', new Uint8Array()],
    ]);
    await to.close();
  });

  it('refuses a damaged record before the end with STORE_CORRUPT naming the file and offset', async () => {
    const first = legacyRecord([{ key: 'a', value: new Uint8Array(50).fill(1) }]);
    first.writeUInt8(first.readUInt8(30) ^ 0xff, 30);
    const from = await legacyDir([], Buffer.concat([first, legacyRecord([{ key: 'b', value: bytes(2) }])]));
    const to = await LmdbStore.open(freshDir());
    const err = await expectStoreError(migrateFileStore(from, to), 'STORE_CORRUPT');
    expect(err.message).toContain(legacyLogPath(from));
    expect(err.message).toContain('byte 8');
    await to.close();
  });

  it('refuses a target that already holds data, writing nothing', async () => {
    const from = await legacyDir([[{ key: 'a', value: bytes(1) }]]);
    const to = await LmdbStore.open(freshDir());
    await to.put('existing', bytes(7));
    await expectStoreError(migrateFileStore(from, to), 'STORE_ARGUMENT');
    expect(await entries(to)).toEqual([['existing', bytes(7)]]);
    await to.close();
  });
});
