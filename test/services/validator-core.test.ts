import { describe, expect, it } from 'vitest';
import { Ledger } from '../../src/protocol/ledger/ledger.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import { type ChainSource, standaloneChainSource } from '../../src/services/sidecar/chain-source.ts';
import { SafetyJournal } from '../../src/services/sidecar/safety-journal.ts';
import { ValidatorCore } from '../../src/services/sidecar/validator-core.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { StoreError, type StoreWrite, type WriteOptions } from '../../src/store/store.ts';
import { ALICE, ALICE_KEY, ALPHA_USD, BOB, CAROL, DAVE } from '../support/demo-keys.ts';
import { buildPayment } from '../support/payment-builder.ts';
import { committeeOf, suite } from '../support/validator-harness.ts';

/**
 * A memory store whose durable writes fail while `failing` is set: writes of values only (a full disk still
 * deletes), or deletes too with `deletesFail` (a Redis whose WAITAOF times out: the fate of every write unknown).
 */
class FlakyStore extends MemoryStore {
  failing = true;
  deletesFail = false;
  override async batch(writes: readonly StoreWrite[], opts?: WriteOptions): Promise<void> {
    const writesValue = writes.some((w) => w.value !== null);
    if (opts?.durable && this.failing && (writesValue || this.deletesFail)) {
      await super.batch(writes);
      throw new StoreError('STORE_UNAVAILABLE', 'durability not confirmed');
    }
    return super.batch(writes);
  }
}

function coreWith(store: FlakyStore, chainOverrides: Partial<ChainSource> = {}) {
  const ledger = new Ledger({ maxRequestCache: 16, maxSettledCerts: 16 });
  const chain = {
    ...standaloneChainSource({
      height: 1n,
      balances: [{ account: ALICE, asset: ALPHA_USD, amount: 15_000_000n }],
      now: () => BigInt(Date.now()),
    }),
    ...chainOverrides,
  };
  const committee = committeeOf([DAVE]);
  const core = new ValidatorCore(
    suite,
    committee,
    DAVE,
    suite.ed25519.signer(DAVE.seed),
    ledger,
    new SafetyJournal(store),
    chain,
    () => 1n,
  );
  return { core, ledger };
}

describe('validator core persistence', () => {
  it('answers TEMPORARY_UNAVAILABLE and signs nothing when the lock cannot be made durable', async () => {
    const store = new FlakyStore();
    const { core, ledger } = coreWith(store);
    const tx = await buildPayment({ key: ALICE_KEY, to: BOB, amount: 10_000_000n });
    const outcome = await core.submit({ tx, parentQcs: [] });
    expect('reject' in outcome && outcome.reject.code).toBe(RejectCode.TEMPORARY_UNAVAILABLE);
    expect(ledger.debitOf(ALICE, ALPHA_USD)).toBe(0n);
    expect(ledger.highestLockedSeq(ALICE, tx.nonce!.nonceKey)).toBeUndefined();
    expect([...ledger.locks()]).toHaveLength(0);
  });

  it('after the store recovers, a different tx on the same sequence is certified: the failed one was never signed', async () => {
    const store = new FlakyStore();
    const { core } = coreWith(store);
    await core.submit({
      tx: await buildPayment({ key: ALICE_KEY, to: BOB, amount: 10_000_000n }),
      parentQcs: [],
    });
    store.failing = false;
    const other = await core.submit({
      tx: await buildPayment({ key: ALICE_KEY, to: CAROL, amount: 1n }),
      parentQcs: [],
    });
    expect('cert' in other).toBe(true);
  });

  it('persists the lock before answering, and a restarted ledger refuses the conflicting tx', async () => {
    const store = new FlakyStore();
    store.failing = false;
    const { core } = coreWith(store);
    const first = await core.submit({
      tx: await buildPayment({ key: ALICE_KEY, to: BOB, amount: 10_000_000n }),
      parentQcs: [],
    });
    expect('cert' in first).toBe(true);
    const restored = coreWith(store);
    expect(await new SafetyJournal(store).restore(restored.ledger)).toEqual({
      locks: 1,
      credits: 0,
      conflicts: 0,
    });
    const conflicting = await restored.core.submit({
      tx: await buildPayment({ key: ALICE_KEY, to: CAROL, amount: 1n }),
      parentQcs: [],
    });
    expect('reject' in conflicting && conflicting.reject.code).toBe(RejectCode.EQUIVOCATION);
  });

  it("keeps a tombstone when even the undo fails: the key stays this tx's, and a resubmission persists it", async () => {
    const store = new FlakyStore();
    store.deletesFail = true;
    const { core, ledger } = coreWith(store);
    const tx = await buildPayment({ key: ALICE_KEY, to: BOB, amount: 10_000_000n });
    const first = await core.submit({ tx, parentQcs: [] });
    expect('reject' in first && first.reject.code).toBe(RejectCode.TEMPORARY_UNAVAILABLE);
    expect(ledger.debitOf(ALICE, ALPHA_USD)).toBe(10_000_000n);
    store.failing = false;
    const other = await core.submit({
      tx: await buildPayment({ key: ALICE_KEY, to: CAROL, amount: 1n }),
      parentQcs: [],
    });
    expect('reject' in other && other.reject.code).toBe(RejectCode.EQUIVOCATION);
    const again = await core.submit({ tx, parentQcs: [] });
    expect('cert' in again).toBe(true);
    const restarted = coreWith(store);
    expect(await new SafetyJournal(store).restore(restarted.ledger)).toEqual({
      locks: 1,
      credits: 0,
      conflicts: 0,
    });
  });

  it('restores conflicting locks of one contention key without throwing, holding the debits of both', async () => {
    const store = new FlakyStore();
    store.failing = false;
    const a = coreWith(store);
    const b = coreWith(store);
    expect(
      'cert' in
        (await a.core.submit({
          tx: await buildPayment({ key: ALICE_KEY, to: BOB, amount: 5n }),
          parentQcs: [],
        })),
    ).toBe(true);
    expect(
      'cert' in
        (await b.core.submit({
          tx: await buildPayment({ key: ALICE_KEY, to: CAROL, amount: 7n }),
          parentQcs: [],
        })),
    ).toBe(true);
    const restarted = coreWith(store);
    expect(await new SafetyJournal(store).restore(restarted.ledger)).toEqual({
      locks: 1,
      credits: 0,
      conflicts: 1,
    });
    expect(restarted.ledger.debitOf(ALICE, ALPHA_USD)).toBe(12n);
  });
});

describe('validator core decisions', () => {
  it('serialises concurrent submissions of one contention key: exactly one is certified, the other is EQUIVOCATION', async () => {
    const store = new FlakyStore();
    store.failing = false;
    const { core, ledger } = coreWith(store);
    const [a, b] = await Promise.all([
      buildPayment({ key: ALICE_KEY, to: BOB, amount: 5n }),
      buildPayment({ key: ALICE_KEY, to: CAROL, amount: 7n }),
    ]);
    const outcomes = await Promise.all([
      core.submit({ tx: a, parentQcs: [] }),
      core.submit({ tx: b, parentQcs: [] }),
    ]);
    expect(outcomes.map((o) => ('cert' in o ? 'cert' : o.reject.code))).toEqual([
      'cert',
      RejectCode.EQUIVOCATION,
    ]);
    expect(ledger.debitOf(ALICE, ALPHA_USD)).toBe(5n);
  });

  it('loads chain values and decides again while the view moves, answering TEMPORARY_UNAVAILABLE after 8 rounds', async () => {
    let loads = 0;
    const { core, ledger } = coreWith(new FlakyStore(), {
      moving: () => Promise.resolve(),
      load: async () => {
        loads++;
      },
    });
    const outcome = await core.submit({
      tx: await buildPayment({ key: ALICE_KEY, to: BOB, amount: 5n }),
      parentQcs: [],
    });
    expect('reject' in outcome && outcome.reject).toMatchObject({
      code: RejectCode.TEMPORARY_UNAVAILABLE,
      message: 'chain view kept changing; retry',
    });
    expect(loads).toBe(8);
    expect([...ledger.locks()]).toHaveLength(0);
  });

  it('answers TEMPORARY_UNAVAILABLE when the chain values cannot be loaded', async () => {
    const { core } = coreWith(new FlakyStore(), {
      moving: () => Promise.resolve(),
      load: async () => {
        throw new Error('connection refused');
      },
    });
    const outcome = await core.submit({
      tx: await buildPayment({ key: ALICE_KEY, to: BOB, amount: 5n }),
      parentQcs: [],
    });
    expect('reject' in outcome && outcome.reject).toMatchObject({
      code: RejectCode.TEMPORARY_UNAVAILABLE,
      message: 'chain unavailable: connection refused',
    });
  });
});
