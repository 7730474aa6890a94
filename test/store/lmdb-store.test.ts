import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { LmdbStore } from '../../src/store/lmdb-store.ts';
import { describeStoreConformance } from './store-conformance.ts';

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
