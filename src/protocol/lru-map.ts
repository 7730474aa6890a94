/** A Map bounded to `capacity` entries that evicts the least recently used one; `get` refreshes an entry. */
export class LruMap<K, V> {
  readonly #map = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0)
      throw new RangeError('capacity must be a non-negative integer');
  }

  get size(): number {
    return this.#map.size;
  }

  get(key: K): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }

  /** Inserts or replaces; returns the evicted entries (oldest first). */
  set(key: K, value: V): [K, V][] {
    this.#map.delete(key);
    if (this.capacity === 0) return [];
    this.#map.set(key, value);
    const evicted: [K, V][] = [];
    while (this.#map.size > this.capacity) {
      const oldest = this.#map.entries().next().value as [K, V];
      this.#map.delete(oldest[0]);
      evicted.push(oldest);
    }
    return evicted;
  }

  delete(key: K): boolean {
    return this.#map.delete(key);
  }

  values(): IterableIterator<V> {
    return this.#map.values();
  }
}
