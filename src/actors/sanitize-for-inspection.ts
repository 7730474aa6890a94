import { toHex } from '../protocol/bytes.ts';

/** Field names whose values are key material or signed transaction bytes: never shown to an inspector. */
const SECRET_FIELD = /private|secret|seed|mnemonic|password|passphrase|^account$|tempoTx|signedTx|rawTx/i;

/** Byte arrays longer than this (signed txs, blobs) are summarised; ids, hashes, keys and signatures fit. */
const MAX_SHOWN_BYTES = 64;

const MAX_DEPTH = 12;

/**
 * A copy of `value` that is safe to send to an inspector (ARCHITECTURE.md "Actors"): fields named like key
 * material or signed transaction bytes are replaced by "[redacted]"; byte arrays become 0x-hex (summarised when
 * long); bigints decimal strings; functions and class instances (channels, stores) a placeholder; cycles and
 * very deep nesting are cut. Objects with `toJSON` (XState snapshots, dates) are converted first, as JSON would.
 */
export function sanitizeForInspection(value: unknown): unknown {
  return clean(value, 0, new Set());
}

function clean(value: unknown, depth: number, path: Set<object>): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function') return '[function]';
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Uint8Array) {
    return value.length <= MAX_SHOWN_BYTES ? toHex(value) : `[${value.length} bytes]`;
  }
  if (path.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  const json = (value as { toJSON?: unknown }).toJSON;
  if (typeof json === 'function') return clean(json.call(value), depth, path);
  path.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => clean(item, depth + 1, path));
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return `[${proto?.constructor?.name ?? 'object'}]`;
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      if (field === undefined) continue;
      out[key] = SECRET_FIELD.test(key) ? '[redacted]' : clean(field, depth + 1, path);
    }
    return out;
  } finally {
    path.delete(value);
  }
}
