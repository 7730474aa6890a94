import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { legacyLogPath } from '../../src/store/legacy-file-store-reader.ts';
import { LmdbStore } from '../../src/store/lmdb-store.ts';
import { expectStoreError } from '../store/store-conformance.ts';
import { writeLegacyLog } from '../support/legacy-file-store-log.ts';

const root = await mkdtemp(join(tmpdir(), 'allegro-store-command-'));
let counter = 0;
const freshDir = () => join(root, `d${++counter}`);
afterAll(() => rm(root, { recursive: true, force: true }));

const bytes = (...values: number[]) => new Uint8Array(values);

async function entries(store: LmdbStore): Promise<[string, Uint8Array][]> {
  const out: [string, Uint8Array][] = [];
  for await (const entry of store.scan('')) out.push(entry);
  return out;
}

async function legacyDir(batches: Parameters<typeof writeLegacyLog>[1]): Promise<string> {
  const dir = freshDir();
  await mkdir(dir);
  await writeLegacyLog(legacyLogPath(dir), batches);
  return dir;
}

describe('allegro store migrate', () => {
  it('copies a file store into a new lmdb directory, which then opens where the old one is refused', async () => {
    const from = await legacyDir([
      [{ key: 'lock/1', value: bytes(1) }],
      [{ key: 'lock/2', value: bytes(2) }],
    ]);
    const to = freshDir();
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await main(['store', 'migrate', '--from', `file:${from}`, '--to', `lmdb:${to}`])).toBe(0);
      expect(log).toHaveBeenCalledWith('migrated 2 log records; the new store holds 2 keys');
    } finally {
      log.mockRestore();
    }
    const store = await LmdbStore.open(to);
    expect(await entries(store)).toEqual([
      ['lock/1', bytes(1)],
      ['lock/2', bytes(2)],
    ]);
    await store.close();
    const refused = await expectStoreError(LmdbStore.open(from), 'STORE_SPEC');
    expect(refused.message).toContain(`allegro store migrate --from file:${from}`);
  });

  it('fails with one line and exit 1 when the old directory holds no file store, and 2 without --from file:', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(
        await main(['store', 'migrate', '--from', `file:${freshDir()}`, '--to', `lmdb:${freshDir()}`]),
      ).toBe(1);
      expect(error.mock.calls[0]?.[0]).toMatch(/^allegro store migrate: cannot read file store /);
      expect(await main(['store', 'migrate', '--from', freshDir(), '--to', `lmdb:${freshDir()}`])).toBe(2);
      expect(error.mock.calls[1]?.[0]).toContain('--from must be file:DIR');
    } finally {
      error.mockRestore();
    }
  });
});
