/**
 * A binary min-heap of (deadline, key): the ledger's deadline index, so expiry costs O(log n) per item released
 * instead of a scan of every live lock. Entries are never removed from the middle; the owner checks, when an
 * entry comes out, whether its key still has that deadline (lazy deletion).
 */
export class DeadlineHeap<K> {
  readonly #at: bigint[] = [];
  readonly #keys: K[] = [];

  get size(): number {
    return this.#at.length;
  }

  push(at: bigint, key: K): void {
    this.#at.push(at);
    this.#keys.push(key);
    let i = this.#at.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.#at[parent]! <= this.#at[i]!) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  /** Removes and returns every entry whose deadline is at or before `now`, earliest first. */
  popDue(now: bigint): { at: bigint; key: K }[] {
    const due: { at: bigint; key: K }[] = [];
    while (this.#at.length > 0 && this.#at[0]! <= now) due.push(this.#pop());
    return due;
  }

  #pop(): { at: bigint; key: K } {
    const top = { at: this.#at[0]!, key: this.#keys[0]! };
    const lastAt = this.#at.pop()!;
    const lastKey = this.#keys.pop()!;
    if (this.#at.length > 0) {
      this.#at[0] = lastAt;
      this.#keys[0] = lastKey;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.#at.length && this.#at[l]! < this.#at[m]!) m = l;
        if (r < this.#at.length && this.#at[r]! < this.#at[m]!) m = r;
        if (m === i) break;
        this.#swap(i, m);
        i = m;
      }
    }
    return top;
  }

  #swap(a: number, b: number): void {
    [this.#at[a], this.#at[b]] = [this.#at[b]!, this.#at[a]!];
    [this.#keys[a], this.#keys[b]] = [this.#keys[b]!, this.#keys[a]!];
  }
}
