import { afterEach, describe, expect, it } from 'vitest';
import { type Store, StoreError } from '../../src/store/store.ts';

/** How the shared suite reaches one backend. */
export interface StoreFixture {
  /** A store on a fresh, empty location; within one test, every call opens the same location again. */
  open(): Promise<Store>;
  /** Starts the next test on a fresh location. */
  fresh(): void;
  /** Whether data survives close and reopen. */
  readonly persistent: boolean;
}

const bytes = (...values: number[]) => new Uint8Array(values);
const text = (s: string) => new TextEncoder().encode(s);

async function collect(iterable: AsyncIterable<[string, Uint8Array]>): Promise<[string, Uint8Array][]> {
  const out: [string, Uint8Array][] = [];
  for await (const entry of iterable) out.push(entry);
  return out;
}

async function keysOf(iterable: AsyncIterable<[string, Uint8Array]>): Promise<string[]> {
  return (await collect(iterable)).map(([key]) => key);
}

export async function expectStoreError(promise: Promise<unknown>, code: string): Promise<StoreError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).code).toBe(code);
  return err as StoreError;
}

/** The behaviour every Store backend must show, run once per backend. */
export function describeStoreConformance(name: string, fixture: StoreFixture): void {
  describe(`${name} store conformance`, () => {
    const opened: Store[] = [];
    const open = async () => {
      const store = await fixture.open();
      opened.push(store);
      return store;
    };

    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
      fixture.fresh();
    });

    it('returns undefined for a key never written, and an empty value as empty, not absent', async () => {
      const store = await open();
      expect(await store.get('missing')).toBeUndefined();
      await store.put('empty', new Uint8Array());
      expect(await store.get('empty')).toEqual(new Uint8Array());
    });

    it('round-trips every byte value and a 1 MiB value exactly', async () => {
      const store = await open();
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const big = Buffer.alloc(1 << 20, 'allegro\u0000\u00ff');
      await store.put('all', all);
      await store.put('big', big, { durable: true });
      expect(await store.get('all')).toEqual(all);
      const read = await store.get('big');
      expect(read?.length).toBe(big.length);
      expect(big.equals(read!)).toBe(true);
    });

    it('keeps its own copy: mutating the written or the returned buffer changes nothing stored', async () => {
      const store = await open();
      const value = bytes(1, 2, 3);
      await store.put('k', value);
      value[0] = 9;
      const read = (await store.get('k'))!;
      read[1] = 9;
      expect(await store.get('k')).toEqual(bytes(1, 2, 3));
      const buffer = Buffer.from([4, 5]);
      await store.put('b', buffer);
      buffer[0] = 0;
      expect(await store.get('b')).toEqual(bytes(4, 5));
    });

    it('overwrites and deletes; deleting a missing key is a no-op', async () => {
      const store = await open();
      await store.put('k', bytes(1));
      await store.put('k', bytes(2), { durable: true });
      expect(await store.get('k')).toEqual(bytes(2));
      await store.delete('k', { durable: true });
      expect(await store.get('k')).toBeUndefined();
      await store.delete('never');
      expect(await keysOf(store.scan(''))).toEqual([]);
    });

    it('applies a batch in order: puts, deletes, and the last write to a key wins', async () => {
      const store = await open();
      await store.put('gone', bytes(0));
      await store.batch(
        [
          { key: 'a', value: bytes(1) },
          { key: 'gone', value: null },
          { key: 'a', value: bytes(2) },
          { key: 'b', value: bytes(3) },
          { key: 'c', value: bytes(4) },
          { key: 'c', value: null },
        ],
        { durable: true },
      );
      expect(await collect(store.scan(''))).toEqual([
        ['a', bytes(2)],
        ['b', bytes(3)],
      ]);
      await store.batch([], { durable: true });
    });

    it('scans only the prefix, in ascending UTF-8 byte order (not UTF-16 order)', async () => {
      const store = await open();
      const keys = ['p/b', 'p/a', 'p/\u{10000}', 'p/\uffff', 'p/é', 'p/', 'p/a/1', 'q/a', 'o/z', 'p'];
      await store.batch(keys.map((key) => ({ key, value: text(key) })));
      const scanned = await collect(store.scan('p/'));
      expect(scanned.map(([k]) => k)).toEqual([
        'p/',
        'p/a',
        'p/a/1',
        'p/b',
        'p/é',
        'p/\uffff',
        'p/\u{10000}',
      ]);
      for (const [key, value] of scanned) expect(value).toEqual(text(key));
      expect(await keysOf(store.scan(''))).toHaveLength(keys.length);
      expect(await keysOf(store.scan('zz'))).toEqual([]);
    });

    it('honours after (exclusive) and limit, including after outside the prefix range', async () => {
      const store = await open();
      await store.batch(['k1', 'k2', 'k3', 'k4', 'j9', 'l0'].map((key) => ({ key, value: text(key) })));
      expect(await keysOf(store.scan('k', { after: 'k2' }))).toEqual(['k3', 'k4']);
      expect(await keysOf(store.scan('k', { after: 'k25' }))).toEqual(['k3', 'k4']);
      expect(await keysOf(store.scan('k', { after: 'a' }))).toEqual(['k1', 'k2', 'k3', 'k4']);
      expect(await keysOf(store.scan('k', { after: 'k4' }))).toEqual([]);
      expect(await keysOf(store.scan('k', { after: 'z' }))).toEqual([]);
      expect(await keysOf(store.scan('k', { limit: 2 }))).toEqual(['k1', 'k2']);
      expect(await keysOf(store.scan('k', { after: 'k1', limit: 2 }))).toEqual(['k2', 'k3']);
      expect(await keysOf(store.scan('k', { limit: 0 }))).toEqual([]);
    });

    it('pages through a large set in order and can be abandoned midway', async () => {
      const store = await open();
      const keys = Array.from({ length: 1500 }, (_, i) => `big/${String(i).padStart(5, '0')}`);
      await store.batch(keys.map((key) => ({ key, value: text(key) })));
      expect(await keysOf(store.scan('big/'))).toEqual(keys);
      expect(await keysOf(store.scan('big/', { after: keys[700], limit: 600 }))).toEqual(
        keys.slice(701, 1301),
      );
      let seen = 0;
      for await (const _ of store.scan('big/')) if (++seen === 10) break;
      expect(seen).toBe(10);
    });

    it('compare-and-set writes only when the current value equals the expected one', async () => {
      const store = await open();
      expect(await store.compareAndSet('k', undefined, bytes(1))).toBe(true);
      expect(await store.compareAndSet('k', undefined, bytes(2))).toBe(false);
      expect(await store.compareAndSet('k', bytes(9), bytes(2))).toBe(false);
      expect(await store.compareAndSet('k', bytes(1, 0), bytes(2))).toBe(false);
      expect(await store.compareAndSet('k', new Uint8Array(), bytes(2))).toBe(false);
      expect(await store.get('k')).toEqual(bytes(1));
      expect(await store.compareAndSet('k', bytes(1), bytes(2), { durable: true })).toBe(true);
      expect(await store.get('k')).toEqual(bytes(2));
      expect(await keysOf(store.scan(''))).toEqual(['k']);
      await store.put('e', new Uint8Array());
      expect(await store.compareAndSet('e', undefined, bytes(1))).toBe(false);
      expect(await store.compareAndSet('e', new Uint8Array(), bytes(1))).toBe(true);
    });

    it('lets exactly one of many concurrent compare-and-sets on the same expected value win', async () => {
      const store = await open();
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, i) =>
          store.compareAndSet('lock', undefined, bytes(i), { durable: true }),
        ),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await store.get('lock')).toEqual(bytes(results.indexOf(true)));
    });

    it('applies operations issued without awaiting in issue order', async () => {
      const store = await open();
      const ops = [
        store.put('k', bytes(1), { durable: true }),
        store.put('k', bytes(2)),
        store.compareAndSet('k', bytes(2), bytes(3)),
        store.delete('other'),
        store.compareAndSet('k', bytes(2), bytes(4), { durable: true }),
      ];
      const results = await Promise.all(ops);
      expect(results.slice(2)).toEqual([true, undefined, false]);
      expect(await store.get('k')).toEqual(bytes(3));
    });

    it('rejects keys that are not well-formed Unicode with STORE_ARGUMENT', async () => {
      const store = await open();
      await expectStoreError(store.put('bad\ud800', bytes(1)), 'STORE_ARGUMENT');
      await expectStoreError(store.get('\udc00'), 'STORE_ARGUMENT');
      await expectStoreError(store.compareAndSet('x\ud800y', undefined, bytes(1)), 'STORE_ARGUMENT');
      await expectStoreError(collect(store.scan('', { limit: -1 })), 'STORE_ARGUMENT');
      expect(await keysOf(store.scan(''))).toEqual([]);
    });

    it('rejects every call after close with STORE_CLOSED', async () => {
      const store = await open();
      await store.put('k', bytes(1));
      await store.close();
      await expectStoreError(store.get('k'), 'STORE_CLOSED');
      await expectStoreError(store.put('k', bytes(2)), 'STORE_CLOSED');
      await expectStoreError(collect(store.scan('')), 'STORE_CLOSED');
      await store.close();
    });

    if (fixture.persistent)
      it('keeps every completed write across close and reopen', async () => {
        const first = await open();
        await first.put('a', bytes(1), { durable: true });
        await first.batch([
          { key: 'b', value: bytes(2) },
          { key: 'a', value: null },
        ]);
        await first.compareAndSet('c', undefined, bytes(3));
        await first.close();
        const second = await open();
        expect(await collect(second.scan(''))).toEqual([
          ['b', bytes(2)],
          ['c', bytes(3)],
        ]);
      });
  });
}
