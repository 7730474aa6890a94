/**
 * What `lookup` finds for each item, asking at least once and then every half second until all are found or
 * `timeoutMs` passed; a lookup that throws counts as not found yet.
 */
export async function awaitEach<T, R>(
  items: readonly T[],
  lookup: (item: T) => Promise<R | undefined>,
  timeoutMs: number,
): Promise<Map<T, R>> {
  const found = new Map<T, R>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const item of items) {
      if (found.has(item)) continue;
      const result = await lookup(item).catch(() => undefined);
      if (result !== undefined) found.set(item, result);
    }
    if (found.size === items.length || Date.now() >= deadline) return found;
    await new Promise((r) => setTimeout(r, 500));
  }
}
