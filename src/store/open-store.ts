import { LmdbStore } from './lmdb-store.ts';
import { MemoryStore } from './memory-store.ts';
import { type Store, StoreError } from './store.ts';

/**
 * Opens a store from its spec: `memory`, `lmdb:DIR` (the embedded store, created if missing) or
 * `redis://[user:password@]host[:port][/db][?prefix=P]`. `file:DIR`, the file store of older versions, is
 * refused with the command that migrates it. STORE_SPEC for anything else.
 */
export async function openStore(spec: string): Promise<Store> {
  if (spec === 'memory') return new MemoryStore();
  if (spec.startsWith('lmdb:')) return LmdbStore.open(directoryOf(spec, 'lmdb:'));
  if (spec.startsWith('file:')) {
    const dir = directoryOf(spec, 'file:');
    throw new StoreError(
      'STORE_SPEC',
      `the file store is gone; copy ${dir} into the embedded store with ` +
        `"allegro store migrate --from file:${dir} --to lmdb:NEW_DIR" and use lmdb:NEW_DIR`,
    );
  }
  // Loaded only for Redis: a sidecar on the embedded store does not pay for the client at start.
  if (spec.startsWith('redis://')) return (await import('./redis-store.ts')).RedisStore.open(spec);
  throw new StoreError(
    'STORE_SPEC',
    `unknown store spec "${spec}": use memory, lmdb:DIR or redis://host:port`,
  );
}

function directoryOf(spec: string, scheme: string): string {
  const dir = spec.slice(scheme.length);
  if (dir === '') throw new StoreError('STORE_SPEC', `store spec ${scheme} needs a directory (${scheme}DIR)`);
  return dir;
}
