import { readLegacyFileStore } from './legacy-file-store-reader.ts';
import { type Store, StoreError, type StoreWrite } from './store.ts';

/** Writes are copied in batches of about this many key and value bytes. */
const CHUNK_BYTES = 4 << 20;

/** What a migration copied: log records replayed and keys in the target afterwards. */
export interface FileStoreMigration {
  readonly records: number;
  readonly keys: number;
}

/**
 * Copies the file store of older versions in `fromDir` into the empty store `to`: replays its log in order
 * (memory holds one chunk of writes, not the data set), ending with a durable write. `fromDir` is only read;
 * the process that used it must be stopped first. STORE_ARGUMENT when `to` already holds data.
 */
export async function migrateFileStore(fromDir: string, to: Store): Promise<FileStoreMigration> {
  for await (const _ of to.scan('', { limit: 1 })) {
    throw new StoreError('STORE_ARGUMENT', 'the target store is not empty: migrate into a new one');
  }
  let records = 0;
  let chunk: StoreWrite[] = [];
  let chunkBytes = 0;
  for await (const writes of readLegacyFileStore(fromDir)) {
    records++;
    for (const write of writes) {
      chunk.push(write);
      chunkBytes += write.key.length + (write.value?.length ?? 0);
    }
    if (chunkBytes < CHUNK_BYTES) continue;
    await to.batch(chunk);
    chunk = [];
    chunkBytes = 0;
  }
  await to.batch(chunk, { durable: true });
  let keys = 0;
  for await (const _ of to.scan('')) keys++;
  return { records, keys };
}
