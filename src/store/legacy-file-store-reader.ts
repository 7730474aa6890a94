import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { StoreError, type StoreWrite } from './store.ts';

/**
 * Reads the log of the file store that earlier versions used (DIR/store.log), only to migrate it. The file
 * starts with LOG_MAGIC; then records, one per batch:
 *   u32 payload length | u32 CRC32(payload) | u32 CRC32(the previous 8 bytes) | payload
 * payload = u32 write count, then per write: u8 1 (put) or 0 (delete) | u32 key length | UTF-8 key
 * [| u32 value length | value] — all integers little-endian.
 * A crash can only leave the last record torn (a prefix of it, or zeros): it is ignored, as the file store
 * did at open. Anything else damaged is STORE_CORRUPT naming the file and offset.
 */
const LOG_MAGIC = Buffer.from('ALGKVLG1', 'latin1');
const HEADER = 12;
const READ_CHUNK = 1 << 20;

/** The log file of the file store in `dir`. */
export function legacyLogPath(dir: string): string {
  return join(dir, 'store.log');
}

/** Yields the writes of each whole record of the file store in `dir`, in log order. */
export async function* readLegacyFileStore(dir: string): AsyncGenerator<StoreWrite[]> {
  const path = legacyLogPath(dir);
  const file = await open(path, 'r').catch((err: Error) => {
    throw new StoreError('STORE_UNAVAILABLE', `cannot read file store ${dir}: ${err.message}`, {
      cause: err,
    });
  });
  try {
    const { size } = await file.stat();
    const reader = new ChunkReader(file, size);
    if (size < LOG_MAGIC.length || !(await reader.read(0, LOG_MAGIC.length)).equals(LOG_MAGIC)) {
      throw new StoreError('STORE_CORRUPT', `${path} is not an Allegro file store log (bad header)`);
    }
    let offset = LOG_MAGIC.length;
    while (size - offset >= HEADER) {
      const header = await reader.read(offset, HEADER);
      const length = header.readUInt32LE(0);
      if (header.readUInt32LE(8) !== crc32(header.subarray(0, 8))) {
        if (await reader.zeroFrom(offset)) return;
        throw corrupt(path, offset, 'header checksum mismatch');
      }
      const end = offset + HEADER + length;
      if (end > size) return;
      const payload = await reader.read(offset + HEADER, length);
      if (crc32(payload) !== header.readUInt32LE(4)) {
        if (end === size) return;
        throw corrupt(path, offset, 'payload checksum mismatch');
      }
      yield decodePayload(payload, path, offset);
      offset = end;
    }
  } finally {
    await file.close();
  }
}

function decodePayload(payload: Buffer, path: string, offset: number): StoreWrite[] {
  try {
    const count = payload.readUInt32LE(0);
    const writes: StoreWrite[] = [];
    let at = 4;
    for (let i = 0; i < count; i++) {
      const kind = payload.readUInt8(at);
      const keyLength = payload.readUInt32LE(at + 1);
      const key = payload.toString('utf8', at + 5, at + 5 + keyLength);
      at += 5 + keyLength;
      if (kind === 0) {
        writes.push({ key, value: null });
        continue;
      }
      const valueLength = payload.readUInt32LE(at);
      if (kind !== 1 || at + 4 + valueLength > payload.length) throw new RangeError('bad entry');
      writes.push({ key, value: new Uint8Array(payload.subarray(at + 4, at + 4 + valueLength)) });
      at += 4 + valueLength;
    }
    if (at !== payload.length) throw new RangeError('trailing bytes');
    return writes;
  } catch (err) {
    throw corrupt(path, offset, `malformed payload (${(err as Error).message})`);
  }
}

function corrupt(path: string, offset: number, why: string): StoreError {
  return new StoreError('STORE_CORRUPT', `${path}: corrupt record at byte ${offset}: ${why}`);
}

/** Sequential reads through a 1 MiB window, so reading memory does not grow with the log. */
class ChunkReader {
  private window = Buffer.alloc(0);
  private start = 0;

  constructor(
    private readonly file: FileHandle,
    private readonly size: number,
  ) {}

  async read(offset: number, length: number): Promise<Buffer> {
    if (offset < this.start || offset + length > this.start + this.window.length) {
      const want = Math.min(Math.max(length, READ_CHUNK), this.size - offset);
      const buf = Buffer.allocUnsafe(want);
      const { bytesRead } = await this.file.read(buf, 0, want, offset);
      this.window = buf.subarray(0, bytesRead);
      this.start = offset;
    }
    return this.window.subarray(offset - this.start, offset - this.start + length);
  }

  async zeroFrom(offset: number): Promise<boolean> {
    for (let at = offset; at < this.size; at += READ_CHUNK) {
      const chunk = await this.read(at, Math.min(READ_CHUNK, this.size - at));
      if (chunk.some((b) => b !== 0)) return false;
    }
    return true;
  }
}
