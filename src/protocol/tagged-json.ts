import { fromHex, toHex } from './bytes.ts';

/**
 * JSON that round-trips bigint and Uint8Array, for persisted records and actor snapshots: a bigint is written as
 * `{"$bigint":"<decimal>"}` and bytes as `{"$bytes":"0x…"}`. Plain objects, arrays, strings, numbers, booleans
 * and null pass through; `undefined` object fields are dropped as in JSON.
 */
export function toTaggedJson(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, v) {
    const raw = this[key];
    if (typeof raw === 'bigint') return { $bigint: raw.toString() };
    if (raw instanceof Uint8Array) return { $bytes: toHex(raw) };
    return v;
  });
}

/** Parses text written by `toTaggedJson`, restoring bigints and byte arrays. Throws SyntaxError on bad JSON. */
export function fromTaggedJson<T = unknown>(text: string): T {
  return JSON.parse(text, (_key, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && typeof v.$bigint === 'string') return BigInt(v.$bigint);
      if (keys.length === 1 && typeof v.$bytes === 'string') return fromHex(v.$bytes);
    }
    return v;
  }) as T;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `toTaggedJson` as UTF-8 bytes, for a Store value. */
export function encodeTagged(value: unknown): Uint8Array {
  return encoder.encode(toTaggedJson(value));
}

/** Inverse of `encodeTagged`. */
export function decodeTagged<T = unknown>(bytes: Uint8Array): T {
  return fromTaggedJson<T>(decoder.decode(bytes));
}
