import { LruMap } from '../protocol/lru-map.ts';

/**
 * `first` (when defined), then everything `source` yields. The source's listener is registered before `first` is
 * delivered, so nothing published in between is lost.
 */
export async function* startingWith<T>(first: T | undefined, source: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const pending = iterator.next();
  try {
    if (first !== undefined) yield first;
    for (let next = await pending; !next.done; next = await iterator.next()) yield next.value;
  } finally {
    await iterator.return?.();
  }
}

/**
 * The items of `source` whose key is defined and was not delivered before (the most recent `capacity` keys are
 * remembered): several aggregator instances publish the same change, a subscriber sees it once.
 */
export async function* deduplicated<T>(
  source: AsyncIterable<T>,
  keyOf: (item: T) => string | undefined,
  capacity = 4096,
): AsyncGenerator<T> {
  const seen = new LruMap<string, true>(capacity);
  for await (const item of source) {
    const key = keyOf(item);
    if (key === undefined || seen.get(key)) continue;
    seen.set(key, true);
    yield item;
  }
}
