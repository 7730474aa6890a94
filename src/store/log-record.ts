import type { FileHandle } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { StoreError, type StoreWrite } from './store.ts';

/**
 * The file store's log format. The file starts with LOG_MAGIC; then records, one per batch:
 *   u32 payload length | u32 CRC32(payload) | u32 CRC32(the previous 8 bytes) | payload
 * payload = u32 write count, then per write: u8 1 (put) or 0 (delete) | u32 key length | UTF-8 key
 * [| u32 value length | value] — all integers little-endian.
 * A crash can only leave the last record torn (a prefix of it, or zeros); anything else is corruption.
 */
export const LOG_MAGIC = Buffer.from('ALGKVLG1', 'latin1');

const HEADER = 12;
const READ_CHUNK = 1 << 20;

/** Bytes one write takes in a record payload. */
export function entrySize(key: string, value: Uint8Array | null): number {
  return 5 + Buffer.byteLength(key) + (value === null ? 0 : 4 + value.length);
}

/** Approximate size of a log holding only `count` live entries of `dataBytes` key and value bytes. */
export function compactLogSize(count: number, dataBytes: number): number {
  return LOG_MAGIC.length + 9 * count + dataBytes;
}

/** One record holding `writes`. */
export function encodeRecord(writes: readonly StoreWrite[]): Buffer {
  let size = 4;
  for (const w of writes) size += entrySize(w.key, w.value);
  const out = Buffer.allocUnsafe(HEADER + size);
  let at = HEADER;
  at = out.writeUInt32LE(writes.length, at);
  for (const { key, value } of writes) {
    at = out.writeUInt8(value === null ? 0 : 1, at);
    const keyLength = out.write(key, at + 4, 'utf8');
    at = out.writeUInt32LE(keyLength, at) + keyLength;
    if (value === null) continue;
    at = out.writeUInt32LE(value.length, at);
    out.set(value, at);
    at += value.length;
  }
  out.writeUInt32LE(size, 0);
  out.writeUInt32LE(crc32(out.subarray(HEADER)), 4);
  out.writeUInt32LE(crc32(out.subarray(0, 8)), 8);
  return out;
}

/**
 * Replays the log in `file` (of `size` bytes, header already checked), calling `apply` per record in
 * order. Returns the offset just past the last whole record: a torn tail starts there. Throws
 * STORE_CORRUPT for a damaged record that is not the torn tail.
 */
export async function replayLog(
  file: FileHandle,
  path: string,
  size: number,
  apply: (writes: StoreWrite[]) => void,
): Promise<number> {
  const reader = new ChunkReader(file, size);
  let offset = LOG_MAGIC.length;
  while (offset < size) {
    if (size - offset < HEADER) return offset;
    const header = await reader.read(offset, HEADER);
    const length = header.readUInt32LE(0);
    if (header.readUInt32LE(8) !== crc32(header.subarray(0, 8))) {
      if (await reader.zeroFrom(offset)) return offset;
      throw corrupt(path, offset, 'header checksum mismatch');
    }
    const end = offset + HEADER + length;
    if (end > size) return offset;
    const payload = await reader.read(offset + HEADER, length);
    if (crc32(payload) !== header.readUInt32LE(4)) {
      if (end === size) return offset;
      throw corrupt(path, offset, 'payload checksum mismatch');
    }
    apply(decodePayload(payload, path, offset));
    offset = end;
  }
  return offset;
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
  return new StoreError(
    'STORE_CORRUPT',
    `${path}: corrupt record at byte ${offset}: ${why}; refusing to open`,
  );
}

/** Sequential reads through a 1 MiB window, so replay memory does not grow with the log. */
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
