import { StoreError } from './store.ts';

/**
 * JSON for stored values that hold bigints and byte strings: a bigint is written as {"$bigint":"<decimal>"},
 * a Uint8Array (or Buffer) as {"$bytes":"0x<hex>"}, so decodeJson gives back the same types.
 */
export function encodeJson(value: unknown): Uint8Array {
  const text = JSON.stringify(value, function (this: Record<string, unknown>, key, v: unknown) {
    const raw = this[key];
    if (raw instanceof Uint8Array) return { $bytes: `0x${Buffer.from(raw).toString('hex')}` };
    return typeof v === 'bigint' ? { $bigint: v.toString() } : v;
  });
  return new TextEncoder().encode(text);
}

/** Inverse of encodeJson; STORE_CORRUPT if the bytes are not such JSON. */
export function decodeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes), (_key, v: unknown) => {
      if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
      const entries = Object.entries(v);
      if (entries.length !== 1) return v;
      const [tag, body] = entries[0]!;
      if (tag === '$bigint' && typeof body === 'string') return BigInt(body);
      if (tag === '$bytes' && typeof body === 'string' && /^0x([0-9a-f]{2})*$/.test(body)) {
        return new Uint8Array(Buffer.from(body.slice(2), 'hex'));
      }
      return v;
    });
  } catch (err) {
    throw new StoreError('STORE_CORRUPT', `stored value is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
