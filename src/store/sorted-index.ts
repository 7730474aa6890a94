import type { ScanOptions } from './store.ts';

/**
 * Order of two well-formed strings by their UTF-8 bytes (= code point order, = Redis ZRANGEBYLEX order).
 * UTF-16 code units differ from it only for surrogates, which start code points above U+FFFF.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/**
 * In-memory map with ordered prefix scans. New keys collect in an unsorted tail that is sorted and merged
 * on the next scan; deleted keys stay in the sorted array until then. The sorted array is replaced, never
 * mutated, so a scan in progress keeps iterating a consistent key list.
 */
export class SortedIndex {
  private readonly values = new Map<string, Uint8Array>();
  private sorted: string[] = [];
  private added: string[] = [];
  private removed = 0;

  get(key: string): Uint8Array | undefined {
    return this.values.get(key);
  }

  /** Stores `value` (not copied) under `key`. */
  set(key: string, value: Uint8Array): void {
    if (!this.values.has(key)) this.added.push(key);
    this.values.set(key, value);
  }

  delete(key: string): void {
    if (!this.values.delete(key)) return;
    this.removed++;
    if (this.removed > 1024 && this.removed > this.values.size) this.merge();
  }

  /** Entries whose key starts with `prefix`, ascending, after `opts.after`, at most `opts.limit`; values copied. */
  *scan(prefix: string, opts: ScanOptions = {}): Generator<[string, Uint8Array]> {
    this.merge();
    const keys = this.sorted;
    const { after, limit = Number.POSITIVE_INFINITY } = opts;
    const fromAfter = after !== undefined && compareKeys(after, prefix) >= 0;
    let i = lowerBound(keys, fromAfter ? after : prefix);
    for (let count = 0; count < limit && i < keys.length; i++) {
      const key = keys[i]!;
      if (!key.startsWith(prefix)) return;
      const value = this.values.get(key);
      if (value === undefined || (fromAfter && key === after)) continue;
      count++;
      yield [key, new Uint8Array(value)];
    }
  }

  private merge(): void {
    if (this.added.length === 0 && this.removed === 0) return;
    const added = this.added.sort(compareKeys);
    const old = this.sorted;
    const merged: string[] = [];
    let i = 0;
    let j = 0;
    while (i < old.length || j < added.length) {
      const takeOld = j >= added.length || (i < old.length && compareKeys(old[i]!, added[j]!) <= 0);
      const key = takeOld ? old[i++]! : added[j++]!;
      if (this.values.has(key) && merged[merged.length - 1] !== key) merged.push(key);
    }
    this.sorted = merged;
    this.added = [];
    this.removed = 0;
  }
}

function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keys[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
