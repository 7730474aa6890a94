import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PaymentInput } from '../../src/actors/payment.machine.ts';
import type { PaymentEvent } from '../../src/actors/payment-events.ts';
import { PAYMENT_KEY_PREFIX, PaymentSystem } from '../../src/actors/payment-system.ts';
import { decodeTagged } from '../../src/protocol/tagged-json.ts';
import { LmdbStore } from '../../src/store/lmdb-store.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import type { Store, StoreWrite } from '../../src/store/store.ts';

const ALICE = '0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a';
const BOB = '0x1563915e194d8cfba1943570603f7606a3115508';
const CAROL = '0x5cbdd86a2fa8dc4bddd8a8f69dba48572eec07fb';

function payment(n: number, sender = ALICE, recipient = BOB): PaymentInput {
  return {
    txHash: `0x${n.toString(16).padStart(64, '0')}`,
    sender,
    recipient,
    asset: '0x20c0000000000000000000000000000000000001',
    amount: '10000000',
    threshold: 2,
    faultTolerance: 0,
    blockAtSubmit: '7',
    submittedAt: 1000 + n,
  };
}

const certificate = (validatorId: string, at: number): PaymentEvent => ({
  type: 'CERTIFICATE',
  at,
  validatorId,
  validator: validatorId,
  signature: '0x00',
  createdUnixMillis: String(at),
});
const qc = (at: number): PaymentEvent => ({ type: 'QC_FORMED', at, qcHash: '0xqc', blockHeight: '7' });

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function open(
  store: Store,
  options: { maxFinished?: number; now?: () => number; retainFinished?: number } = {},
) {
  const system = await PaymentSystem.open({ store, ...options });
  closers.push(() => system.close());
  return system;
}

describe('payment system', () => {
  it('writes each transition to the store before any listener hears of it', async () => {
    const store = new MemoryStore();
    const log: string[] = [];
    const batch = store.batch.bind(store);
    store.batch = async (writes: readonly StoreWrite[]) => {
      await batch(writes);
      for (const { key, value } of writes) {
        if (!key.startsWith(PAYMENT_KEY_PREFIX) || !value) continue;
        log.push(`stored ${decodeTagged<{ snapshot: { value: string } }>(value).snapshot.value}`);
      }
    };
    const system = await open(store);
    system.subscribe((view, previous) => log.push(`heard ${previous ?? '-'} → ${view.stage}`));
    const p = payment(1);
    await system.track(p);
    await system.send(p.txHash, certificate('dave', 1101));
    await system.send(p.txHash, {
      type: 'REJECT',
      at: 1102,
      validatorId: 'x',
      validator: 'x',
      code: 5,
      message: 'late',
      permanent: false,
    });
    await system.send(p.txHash, qc(1103));
    expect(log).toEqual([
      'stored submitted',
      'heard - → SUBMITTED',
      'stored certified',
      'heard SUBMITTED → CERTIFIED',
      'stored certified',
      'heard CERTIFIED → CERTIFIED',
      'stored qcFormed',
      'heard CERTIFIED → QC_FORMED',
    ]);
  });

  it('restores a payment queued on chain after a restart, and it goes on to included', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'allegro-payments-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const p = payment(2);
    const first = await LmdbStore.open(dir);
    const before = await PaymentSystem.open({ store: first });
    await before.track(p);
    await before.send(p.txHash, certificate('dave', 1201));
    await before.send(p.txHash, certificate('edgar', 1202));
    await before.send(p.txHash, qc(1203));
    await before.send(p.txHash, { type: 'QUEUED_ONCHAIN', at: 1204, blockHeight: '8' });
    await before.close();
    await first.close();

    const second = await LmdbStore.open(dir);
    closers.push(() => second.close());
    const after = await open(second);
    expect(after.get(p.txHash)?.stage).toBe('QUEUED_ONCHAIN');
    expect(after.active().map((v) => v.txHash)).toEqual([p.txHash]);
    await after.send(p.txHash, { type: 'INCLUDED', at: 1300, blockNumber: '9', blockHash: '0xbb' });
    const view = after.get(p.txHash)!;
    expect(view.stage).toBe('INCLUDED');
    expect(Object.keys(view.context.certificates)).toEqual(['dave', 'edgar']);
    expect(view.context).toMatchObject({
      blockAtSubmit: '7',
      blockAtQc: '7',
      inclusion: { blockNumber: '9' },
    });
    expect(view.context.stageTimes).toEqual({
      SUBMITTED: 1002,
      CERTIFIED: 1201,
      QC_FORMED: 1203,
      QUEUED_ONCHAIN: 1204,
      INCLUDED: 1300,
    });
  });

  it('tracks a payment once however often it is tracked, and ignores events for unknown payments', async () => {
    const system = await open(new MemoryStore());
    const heard: string[] = [];
    system.subscribe((view) => heard.push(view.stage));
    const p = payment(3);
    const [a, b] = await Promise.all([system.track(p), system.track({ ...p, amount: '1' })]);
    expect(a).toBe(b);
    expect(a.context.amount).toBe('10000000');
    await system.send(`0x${'ff'.repeat(32)}`, qc(1));
    expect(heard).toEqual(['SUBMITTED']);
  });

  it('lists newest first, by address and stage, in cursor pages', async () => {
    const system = await open(new MemoryStore());
    for (let n = 1; n <= 5; n++) await system.track(payment(n, n % 2 ? ALICE : BOB, CAROL));
    await system.send(payment(5).txHash, certificate('dave', 2000));
    const first = await system.list({ first: 2 });
    expect(first.items.map((v) => v.context.stageTimes.SUBMITTED)).toEqual([1005, 1004]);
    expect(first.hasNextPage).toBe(true);
    const rest = await system.list({ first: 10, after: first.endCursor! });
    expect(rest.items.map((v) => v.context.stageTimes.SUBMITTED)).toEqual([1003, 1002, 1001]);
    expect(rest.hasNextPage).toBe(false);
    expect(
      (await system.list({ first: 10, address: ALICE.toUpperCase().replace('0X', '0x') })).items,
    ).toHaveLength(3);
    expect((await system.list({ first: 10, address: CAROL })).items).toHaveLength(5);
    expect((await system.list({ first: 10, stage: 'CERTIFIED' })).items.map((v) => v.txHash)).toEqual([
      payment(5).txHash,
    ]);
    await expect(system.list({ first: 1, after: 'nonsense' })).rejects.toThrow(/invalid cursor/);
  });

  it('lets finished payments leave memory beyond the cap while they stay in the store; unfinished ones stay', async () => {
    const store = new MemoryStore();
    const system = await open(store, { maxFinished: 2 });
    for (let n = 1; n <= 4; n++) {
      await system.track(payment(n));
      await system.send(payment(n).txHash, { type: 'EXPIRED', at: 3000 + n });
    }
    await system.track(payment(9));
    expect(system.get(payment(1).txHash)).toBeUndefined();
    expect(system.get(payment(2).txHash)).toBeUndefined();
    expect(system.get(payment(4).txHash)?.stage).toBe('EXPIRED');
    expect(system.get(payment(9).txHash)?.stage).toBe('SUBMITTED');
    expect((await system.load(payment(1).txHash))?.stage).toBe('EXPIRED');
    const keys: string[] = [];
    for await (const [key] of store.scan(PAYMENT_KEY_PREFIX)) keys.push(key);
    expect(keys).toHaveLength(5);

    const reopened = await open(store, { maxFinished: 1 });
    expect((await reopened.list({ first: 10 })).items.map((v) => v.stage)).toEqual([
      'SUBMITTED',
      'EXPIRED',
      'EXPIRED',
      'EXPIRED',
      'EXPIRED',
    ]);
    expect(reopened.active().map((v) => v.txHash)).toEqual([payment(9).txHash]);
    expect(reopened.get(payment(4).txHash)).toBeUndefined();
    expect((await reopened.track(payment(1))).stage).toBe('EXPIRED');
  });

  it('lets finished payments leave memory once they are older than the time to keep them', async () => {
    let now = 10_000;
    const system = await PaymentSystem.open({
      store: new MemoryStore(),
      now: () => now,
      finishedTtlMs: 1000,
    });
    closers.push(() => system.close());
    await system.track(payment(1));
    await system.send(payment(1).txHash, { type: 'FAILED', at: now, message: 'reverted' });
    now += 1001;
    await system.track(payment(2));
    expect(system.get(payment(1).txHash)).toBeUndefined();
    expect((await system.load(payment(1).txHash))?.context.failure).toBe('reverted');
  });

  it('restores only open payments and pages from the store index, also for a store written before the index', async () => {
    const store = new MemoryStore();
    const system = await open(store);
    for (let n = 1; n <= 6; n++) {
      await system.track(payment(n));
      if (n % 3 !== 0) await system.send(payment(n).txHash, { type: 'EXPIRED', at: 3000 + n });
    }
    const indexKeys: string[] = [];
    for await (const [key] of store.scan('payment-')) indexKeys.push(key);
    expect(indexKeys.length).toBeGreaterThan(6);
    for (const key of indexKeys) await store.delete(key);
    const reopened = await open(store, { maxFinished: 0 });
    expect(
      reopened
        .active()
        .map((v) => v.txHash)
        .sort(),
    ).toEqual([payment(3).txHash, payment(6).txHash].sort());
    expect(reopened.get(payment(1).txHash)).toBeUndefined();
    const pages: string[][] = [];
    let after: string | undefined;
    do {
      const page = await reopened.list({ first: 4, ...(after ? { after } : {}) });
      pages.push(page.items.map((v) => String(v.context.stageTimes.SUBMITTED)));
      after = page.hasNextPage ? page.endCursor : undefined;
    } while (after);
    expect(pages).toEqual([
      ['1006', '1005', '1004', '1003'],
      ['1002', '1001'],
    ]);
    expect((await reopened.list({ first: 10, stage: 'EXPIRED' })).items).toHaveLength(4);
  });

  it('keeps at most retainFinished finished payments in the store, deleting the first finished with their index entries; open ones stay', async () => {
    const store = new MemoryStore();
    let now = 5_000;
    const options = { now: () => now++, retainFinished: 2 };
    const system = await PaymentSystem.open({ store, ...options });
    await system.track(payment(9, CAROL, ALICE));
    // Finished in the order 2, 1, 3, 4, 5: the first finished, not the first submitted, leave first.
    for (const n of [2, 1, 3, 4, 5]) {
      await system.track(payment(n));
      await system.send(payment(n).txHash, { type: 'EXPIRED', at: now });
    }
    await system.close();
    const stored = async () => {
      const keys: string[] = [];
      for await (const [key] of store.scan('payment')) keys.push(key);
      return keys;
    };
    const hashes = (ns: number[]) => ns.map((n) => payment(n).txHash);
    const left = await stored();
    expect(left.filter((k) => k.startsWith(PAYMENT_KEY_PREFIX)).sort()).toEqual(
      hashes([4, 5, 9]).map((h) => PAYMENT_KEY_PREFIX + h),
    );
    // No index entry is left behind for a deleted payment.
    for (const n of [1, 2, 3]) expect(left.some((k) => k.includes(payment(n).txHash.slice(2)))).toBe(false);
    expect(left.filter((k) => /^payment-(order|address)\//.test(k))).toHaveLength(3 + 3 * 2);
    expect(system.storedFinished()).toBe(2);
    expect(await system.load(payment(1).txHash)).toBeUndefined();

    const reopened = await open(store, { retainFinished: 1 });
    await reopened.close();
    expect(reopened.storedFinished()).toBe(1);
    expect((await reopened.list({ first: 10 })).items.map((v) => v.txHash)).toEqual(hashes([9, 5]));
    expect(reopened.active().map((v) => v.txHash)).toEqual(hashes([9]));
  });

  it('counts and retains the finished payments of a store written before the finished index', async () => {
    const store = new MemoryStore();
    const system = await open(store);
    for (let n = 1; n <= 5; n++) {
      await system.track(payment(n));
      if (n !== 3) await system.send(payment(n).txHash, { type: 'EXPIRED', at: 3000 + n });
    }
    for await (const [key] of store.scan('payment-')) await store.delete(key);
    const reopened = await open(store, { retainFinished: 2 });
    await reopened.close();
    expect(reopened.storedFinished()).toBe(2);
    expect(
      (await reopened.list({ first: 10 })).items.map((v) => [
        Number(v.context.stageTimes.SUBMITTED),
        v.stage,
      ]),
    ).toEqual([
      [1005, 'EXPIRED'],
      [1004, 'EXPIRED'],
      [1003, 'SUBMITTED'],
    ]);
  });
});
