import { writeFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import type { StoreWrite } from '../../src/store/store.ts';

/**
 * Writes the log of the file store of older versions (format in src/store/legacy-file-store-reader.ts): the
 * magic, then one record per batch. For migration tests only; the product no longer writes this format.
 */
export async function writeLegacyLog(
  path: string,
  batches: readonly (readonly StoreWrite[])[],
): Promise<void> {
  await writeFile(path, Buffer.concat([Buffer.from('ALGKVLG1', 'latin1'), ...batches.map(legacyRecord)]));
}

/** One record of the old log: u32 length | u32 CRC32(payload) | u32 CRC32(previous 8 bytes) | payload. */
export function legacyRecord(writes: readonly StoreWrite[]): Buffer {
  const parts: Buffer[] = [u32(writes.length)];
  for (const { key, value } of writes) {
    const keyBytes = Buffer.from(key, 'utf8');
    parts.push(Buffer.of(value === null ? 0 : 1), u32(keyBytes.length), keyBytes);
    if (value !== null) parts.push(u32(value.length), Buffer.from(value));
  }
  const payload = Buffer.concat(parts);
  const header = Buffer.concat([u32(payload.length), u32(crc32(payload))]);
  return Buffer.concat([header, u32(crc32(header)), payload]);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}
