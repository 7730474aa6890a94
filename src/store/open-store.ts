import { FileStore } from './file-store.ts';
import { MemoryStore } from './memory-store.ts';
import { RedisStore } from './redis-store.ts';
import { type Store, StoreError } from './store.ts';

/**
 * Opens a store from its spec: `memory`, `file:DIR` (created if missing) or
 * `redis://[user:password@]host[:port][/db][?prefix=P]`. STORE_SPEC for anything else.
 */
export async function openStore(spec: string): Promise<Store> {
  if (spec === 'memory') return new MemoryStore();
  if (spec.startsWith('file:')) {
    const dir = spec.slice('file:'.length);
    if (dir === '') throw new StoreError('STORE_SPEC', 'store spec file: needs a directory (file:DIR)');
    return FileStore.open(dir);
  }
  if (spec.startsWith('redis://')) return RedisStore.open(spec);
  throw new StoreError(
    'STORE_SPEC',
    `unknown store spec "${spec}": use memory, file:DIR or redis://host:port`,
  );
}
