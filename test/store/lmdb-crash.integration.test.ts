import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, expect, it } from 'vitest';
import { LmdbStore } from '../../src/store/lmdb-store.ts';
import { expectStoreError } from './store-conformance.ts';

const root = await mkdtemp(join(tmpdir(), 'allegro-lmdb-crash-'));
afterAll(() => rm(root, { recursive: true, force: true }));

/**
 * A map far smaller than the data written, so LMDB keeps growing it while writers are being killed. lmdb-js
 * exposes no hook at a map resize, so a kill lands in one only as often as resizes happen, not on purpose.
 * kill -9 leaves the page cache intact: this proves acknowledged writes are committed and whole and that the
 * directory reopens with no lock to clean up, not that they were fsynced (a power cut is not simulated).
 */
const INITIAL_MAP_BYTES = 64 * 1024;
const KILLS = 50;
const value = new Uint8Array(1024).fill(42);

type Writer = ChildProcessByStdio<null, Readable, Readable>;

function startWriter(dir: string, prefix: string): { child: Writer; exited: Promise<void> } {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/support/lmdb-store-writer.ts', dir, String(INITIAL_MAP_BYTES), prefix],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return { child, exited: new Promise((resolve) => child.once('exit', () => resolve())) };
}

/** Collects the writer's acknowledged batches until `count` of them arrived. */
function ackedBatches(child: Writer, count: number): { acked: string[]; reached: Promise<void> } {
  const acked: string[] = [];
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk;
  });
  const reached = new Promise<void>((resolve, reject) => {
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop()!;
      for (const line of lines) acked.push(line.replace('acked ', ''));
      if (acked.length >= count) resolve();
    });
    child.once('exit', () => reject(new Error(`writer exited before ${count} acks: ${stderr}`)));
  });
  return { acked, reached };
}

it('keeps every batch acknowledged as durable, whole, across 50 kill -9 points while the map grows; the directory stays reusable', async () => {
  const dir = join(root, 'store');
  const acked: string[] = [];
  for (let round = 0; round < KILLS; round++) {
    const { child, exited } = startWriter(dir, `r${round}`);
    try {
      const target = 1 + ((round * 53) % 120);
      const seen = ackedBatches(child, target);
      await seen.reached;
      if (round === 0) await expectStoreError(LmdbStore.open(dir), 'STORE_LOCKED');
      process.kill(child.pid!, 'SIGKILL');
      await exited;
      acked.push(...seen.acked);
    } finally {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, 'SIGKILL');
      await exited;
    }

    const store = await LmdbStore.open(dir);
    try {
      const lost: string[] = [];
      for (const key of acked) {
        for (const part of ['a', 'b', 'c']) {
          const read = await store.get(`${key}/${part}`);
          if (!read || Buffer.compare(read, value) !== 0) lost.push(`${key}/${part}`);
        }
      }
      expect(lost).toEqual([]);
      const parts = new Map<string, number>();
      for await (const [key] of store.scan(`r${round}/`)) {
        const batch = key.slice(0, key.lastIndexOf('/'));
        parts.set(batch, (parts.get(batch) ?? 0) + 1);
      }
      for (const [batch, count] of parts) expect(count, `parts of ${batch}`).toBe(3);
    } finally {
      await store.close();
    }
  }
  expect(acked.length).toBeGreaterThanOrEqual(KILLS);
  expect((await stat(join(dir, 'data.mdb'))).size).toBeGreaterThan(INITIAL_MAP_BYTES * 16);
}, 300_000);
