/** An item with its position in an insertion order: strictly increasing along a queue. */
export interface Sequenced {
  readonly seq: number;
}

/**
 * A FIFO of items in strictly increasing `seq` order: amortised O(1) `push` and `shift`, O(log n) seek to the
 * first item after a given seq. Backs the bulletin board's log and its per-key indexes.
 */
export class SeqQueue<T extends Sequenced> {
  #items: T[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Appends `item`; its seq must exceed the last one's (a bug otherwise). */
  push(item: T): void {
    const last = this.#items[this.#items.length - 1];
    if (last && last.seq >= item.seq) {
      throw new RangeError(`seq ${item.seq} does not follow ${last.seq}`);
    }
    this.#items.push(item);
  }

  /**
   * Removes and returns the oldest item. Once half the array is removed items it is compacted, whatever its size:
   * a small queue that never empties (a sender's index on the bulletin board) must not keep what it removed.
   */
  shift(): T | undefined {
    const item = this.#items[this.#head];
    if (item === undefined) return undefined;
    this.#head++;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  /** The items whose seq is strictly greater than `seq`, oldest first. */
  *after(seq: number): Generator<T> {
    let lo = this.#head;
    let hi = this.#items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#items[mid]!.seq <= seq) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.#items.length; i++) yield this.#items[i]!;
  }
}
