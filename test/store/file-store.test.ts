import { spawn } from 'node:child_process';
import { mkdtemp, open, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { FileStore } from '../../src/store/file-store.ts';
import { openStore } from '../../src/store/open-store.ts';
import { describeStoreConformance, expectStoreError } from './store-conformance.ts';

const root = await mkdtemp(join(tmpdir(), 'allegro-file-store-'));
let counter = 0;
const freshDir = () => join(root, `s${++counter}`);
afterAll(() => rm(root, { recursive: true, force: true }));

let dir = freshDir();
describeStoreConformance('file', {
  open: () => FileStore.open(dir),
  fresh: () => {
    dir = freshDir();
  },
  persistent: true,
});

const bytes = (...values: number[]) => new Uint8Array(values);
const logOf = (d: string) => join(d, 'store.log');

describe('file store', () => {
  it('creates a missing nested directory', async () => {
    const nested = join(freshDir(), 'a', 'b');
    const store = await openStore(`file:${nested}`);
    await store.put('k', bytes(1), { durable: true });
    await store.close();
    expect((await stat(logOf(nested))).size).toBeGreaterThan(0);
  });

  it('ignores a torn last record after a crash, keeps everything before it, and appends after it', async () => {
    const d = freshDir();
    const store = await FileStore.open(d);
    await store.put('a', bytes(1), { durable: true });
    const before = (await stat(logOf(d))).size;
    await store.put('b', new Uint8Array(100).fill(2), { durable: true });
    await store.close();
    await truncate(logOf(d), before + 30);

    const reopened = await FileStore.open(d);
    expect(await reopened.get('a')).toEqual(bytes(1));
    expect(await reopened.get('b')).toBeUndefined();
    expect((await stat(logOf(d))).size).toBe(before);
    await reopened.put('c', bytes(3), { durable: true });
    await reopened.close();

    const again = await FileStore.open(d);
    expect(await again.get('a')).toEqual(bytes(1));
    expect(await again.get('c')).toEqual(bytes(3));
    await again.close();
  });

  it('treats a zero-filled tail (a crash after the file grew) as torn', async () => {
    const d = freshDir();
    const store = await FileStore.open(d);
    await store.put('a', bytes(1), { durable: true });
    await store.close();
    await writeFile(logOf(d), new Uint8Array(4096), { flag: 'a' });
    const reopened = await FileStore.open(d);
    expect(await reopened.get('a')).toEqual(bytes(1));
    await reopened.close();
  });

  it('refuses to open, with STORE_CORRUPT naming file and offset, when a record in the middle is damaged', async () => {
    const d = freshDir();
    const store = await FileStore.open(d);
    const headerEnd = (await stat(logOf(d))).size;
    await store.put('a', new Uint8Array(50).fill(1), { durable: true });
    await store.put('b', bytes(2), { durable: true });
    await store.close();
    const file = await open(logOf(d), 'r+');
    await file.write(bytes(0xee), 0, 1, headerEnd + 40);
    await file.close();
    const err = await expectStoreError(FileStore.open(d), 'STORE_CORRUPT');
    expect(err.message).toContain(logOf(d));
    expect(err.message).toContain(`byte ${headerEnd}`);
    const damagedHeader = await open(logOf(d), 'r+');
    await damagedHeader.write(bytes(0x01, 0x02), 0, 2, headerEnd + 1);
    await damagedHeader.close();
    await expectStoreError(FileStore.open(d), 'STORE_CORRUPT');
  });

  it('refuses a file that is not a store log with STORE_CORRUPT', async () => {
    const d = freshDir();
    await (await FileStore.open(d)).close();
    await writeFile(logOf(d), 'hello, not a log');
    await expectStoreError(FileStore.open(d), 'STORE_CORRUPT');
  });

  it('refuses a second open of the same directory with STORE_LOCKED naming it, until the first closes', async () => {
    const d = freshDir();
    const first = await FileStore.open(d);
    const err = await expectStoreError(openStore(`file:${d}`), 'STORE_LOCKED');
    expect(err.message).toContain(d);
    expect(err.message).toContain(String(process.pid));
    await first.close();
    const second = await FileStore.open(d);
    await second.close();
  });

  it('compacts a log dominated by dead data: it shrinks and every live value (and deletion) survives', async () => {
    const d = freshDir();
    const store = await FileStore.open(d);
    const contentOf = (key: number, round: number) =>
      new Uint8Array(16 * 1024).fill((key * 7 + round) & 0xff);
    let written = 0;
    for (let round = 0; round < 7; round++) {
      await store.batch(
        Array.from({ length: 80 }, (_, key) => ({ key: `k${key}`, value: contentOf(key, round) })),
        { durable: true },
      );
      written += 80 * 16 * 1024;
    }
    await store.batch(
      Array.from({ length: 40 }, (_, key) => ({ key: `k${key}`, value: null })),
      { durable: true },
    );
    const size = (await stat(logOf(d))).size;
    expect(size).toBeLessThan(written / 3);
    await store.close();

    const reopened = await FileStore.open(d);
    for (let key = 0; key < 80; key++) {
      expect(await reopened.get(`k${key}`)).toEqual(key < 40 ? undefined : contentOf(key, 6));
    }
    await reopened.close();
  });

  it('fails loudly after an fsync error: the write is not readable and every later call is STORE_UNAVAILABLE', async () => {
    const d = freshDir();
    const store = await FileStore.open(d);
    await store.put('before', bytes(1), { durable: true });
    const probe = await open(logOf(d), 'r');
    const fileHandleProto = Object.getPrototypeOf(probe) as { datasync(): Promise<void> };
    await probe.close();
    const datasync = vi.spyOn(fileHandleProto, 'datasync').mockRejectedValueOnce(new Error('EIO: simulated'));
    try {
      const err = await expectStoreError(store.put('lost', bytes(2), { durable: true }), 'STORE_UNAVAILABLE');
      expect(err.message).toContain('EIO: simulated');
      expect(err.message).toContain(d);
    } finally {
      datasync.mockRestore();
    }
    await expectStoreError(store.get('before'), 'STORE_UNAVAILABLE');
    await expectStoreError(store.put('after', bytes(3)), 'STORE_UNAVAILABLE');
    await store.close();
    const reopened = await FileStore.open(d);
    expect(await reopened.get('before')).toEqual(bytes(1));
    expect(await reopened.get('after')).toBeUndefined();
    await reopened.close();
  });

  it('keeps every write a SIGKILLed process saw resolve as durable; its lock is taken over afterwards', async () => {
    const d = freshDir();
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/file-store-writer.ts', d], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const written: string[] = [];
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        stderr += chunk;
      });
      await new Promise<void>((resolve, reject) => {
        let partial = '';
        child.stdout.on('data', (chunk: Buffer) => {
          const lines = (partial + chunk.toString()).split('\n');
          partial = lines.pop()!;
          for (const line of lines) written.push(line.replace('written ', ''));
          if (written.length >= 300) resolve();
        });
        child.once('exit', () => reject(new Error(`writer exited early: ${stderr}`)));
      });
      const locked = await expectStoreError(FileStore.open(d), 'STORE_LOCKED');
      expect(locked.message).toContain(String(child.pid));

      process.kill(child.pid!, 'SIGKILL');
      await exited;
      const store = await FileStore.open(d);
      for (const key of written) expect(await store.get(key), key).toEqual(new Uint8Array(200).fill(42));
      await store.close();
      expect(await readFile(join(d, 'LOCK'), 'utf8').catch(() => 'gone')).toBe('gone');
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
      await exited;
    }
  });
});
