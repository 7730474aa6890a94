import { ByteFormatError } from '../bytes.ts';
import { uintFromBytes } from './uint-bytes.ts';

/**
 * Bytes that are not one canonical RLP encoding of the expected shape; decoders map it to INVALID_FORMAT. It is
 * `nonCanonical` when the bytes are readable but some part is not its unique shortest encoding (non-minimal header,
 * trailing bytes, leading zero of an integer).
 */
export class RlpError extends ByteFormatError {
  constructor(
    message: string,
    readonly nonCanonical = false,
  ) {
    super(message);
  }
}

/** One RLP item inside a byte buffer: header at `start`, payload at [payloadStart, end). */
export interface RlpItem {
  readonly isList: boolean;
  readonly start: number;
  readonly payloadStart: number;
  readonly end: number;
}

/**
 * Reads the header of the item at `offset`, which must end by `limit`. Canonical only (Ethereum yellow paper,
 * appendix B, with the uniqueness rules of alloy-rlp): a single byte below 0x80 is its own encoding, short forms are
 * used for payloads under 56 bytes, long-form lengths have no leading zero. Never looks past `limit`.
 */
export function readRlpItem(bytes: Uint8Array, offset: number, limit: number): RlpItem {
  if (offset >= limit) throw new RlpError('RLP item missing');
  const prefix = bytes[offset]!;
  if (prefix < 0x80) return { isList: false, start: offset, payloadStart: offset, end: offset + 1 };
  const isList = prefix >= 0xc0;
  const short = prefix - (isList ? 0xc0 : 0x80);
  let payloadStart = offset + 1;
  let length = short;
  if (short > 55) {
    const lengthBytes = short - 55;
    if (payloadStart + lengthBytes > limit) throw new RlpError('RLP length runs past the end');
    if (bytes[payloadStart] === 0) throw new RlpError('RLP length has a leading zero', true);
    length = 0;
    for (let i = 0; i < lengthBytes; i++) {
      length = length * 256 + bytes[payloadStart + i]!;
      if (length > limit) throw new RlpError('RLP item runs past the end');
    }
    if (length < 56) throw new RlpError('RLP long form used for a short payload', true);
    payloadStart += lengthBytes;
  }
  const end = payloadStart + length;
  if (end > limit) throw new RlpError('RLP item runs past the end');
  if (!isList && length === 1 && bytes[payloadStart]! < 0x80) {
    throw new RlpError('RLP single byte below 0x80 not encoded as itself', true);
  }
  return { isList, start: offset, payloadStart, end };
}

/**
 * The single item that spans `bytes` from `offset` to the end, after checking that every item nested in it is
 * canonical and exactly fills its parent (trailing bytes are non-canonical). Iterative: deep nesting costs one
 * stack slot per level, and no length is trusted before it is checked against the buffer.
 */
export function decodeRlp(bytes: Uint8Array, offset = 0): RlpItem {
  const top = readRlpItem(bytes, offset, bytes.length);
  const parentEnds: number[] = [];
  let position = top.payloadStart;
  let limit = top.isList ? top.end : top.payloadStart;
  for (;;) {
    if (position === limit) {
      const parentEnd = parentEnds.pop();
      if (parentEnd === undefined) break;
      limit = parentEnd;
      continue;
    }
    const item = readRlpItem(bytes, position, limit);
    if (item.isList) {
      parentEnds.push(limit);
      limit = item.end;
      position = item.payloadStart;
    } else {
      position = item.end;
    }
  }
  if (top.end !== bytes.length) throw new RlpError('trailing bytes after the RLP item', true);
  return top;
}

/** The items of the RLP list `list`, in order. */
export function rlpListItems(bytes: Uint8Array, list: RlpItem): RlpItem[] {
  if (!list.isList) throw new RlpError('expected an RLP list');
  const items: RlpItem[] = [];
  for (let position = list.payloadStart; position < list.end; ) {
    const item = readRlpItem(bytes, position, list.end);
    items.push(item);
    position = item.end;
  }
  return items;
}

/** The payload of the RLP string `item`, as a view into `bytes`. */
export function rlpBytes(bytes: Uint8Array, item: RlpItem): Uint8Array {
  if (item.isList) throw new RlpError('expected an RLP string');
  return bytes.subarray(item.payloadStart, item.end);
}

/** True when `item` is a string that is a canonical RLP integer: empty for zero, otherwise no leading zero byte. */
export function isRlpUint(bytes: Uint8Array, item: RlpItem): boolean {
  return !item.isList && (item.payloadStart === item.end || bytes[item.payloadStart] !== 0);
}

/**
 * The unsigned integer in the canonical RLP integer `payload` (big-endian, no leading zero, empty for zero) of at
 * most `maxBytes` bytes.
 */
export function rlpUint(payload: Uint8Array, maxBytes: number): bigint {
  if (payload[0] === 0) throw new RlpError('RLP integer has a leading zero', true);
  if (payload.length > maxBytes) throw new RlpError(`integer wider than ${maxBytes} bytes`);
  return uintFromBytes(payload);
}
