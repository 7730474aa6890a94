import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ChainHead, ChainPort } from '../../src/chain/chain-port.ts';
import { byteKey, repeatByte } from '../../src/protocol/bytes.ts';
import { Ledger } from '../../src/protocol/ledger/ledger.ts';
import type { ValidatorCertificate } from '../../src/protocol/types.ts';
import type { Credit, LedgerDelta } from '../../src/protocol/validation/decision.ts';
import { ChainFollower } from '../../src/services/sidecar/chain-follower.ts';
import { SafetyJournal } from '../../src/services/sidecar/safety-journal.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { ALICE, ALPHA_USD, BOB, CAROL } from '../support/demo-keys.ts';

const KEY = repeatByte(1, 32);
const head = (height: bigint): ChainHead => ({
  height,
  hash: repeatByte(Number(height), 32),
  timestampMs: height * 1000n,
});
const cert = (txHash: Uint8Array): ValidatorCertificate => ({
  txHash,
  effectsHash: repeatByte(9, 32),
  signature: new Uint8Array(64),
  createdUnixMillis: 1n,
});

/** A chain port whose lane nonces are answered only when the test lets them, and whose heads the test pushes. */
function slowChain(nonces: Map<string, bigint>) {
  let onHead: ((h: ChainHead) => void) | undefined;
  const waiting: (() => void)[] = [];
  let hold = false;
  const port = {
    head: async () => head(1n),
    nonce: async (account: Uint8Array, nonceKey: Uint8Array) => {
      if (hold) await new Promise<void>((resolve) => waiting.push(resolve));
      return nonces.get(byteKey(account) + byteKey(nonceKey)) ?? 0n;
    },
    balanceOf: async () => 0n,
    feeTokenUsable: async () => true,
    watchHeads: (h: (head: ChainHead) => void) => {
      onHead = h;
      return () => {};
    },
  } as unknown as ChainPort;
  return {
    port,
    push: (h: ChainHead) => onHead!(h),
    hold: () => {
      hold = true;
    },
    release: () => {
      hold = false;
      for (const w of waiting.splice(0)) w();
    },
    /** Answers the reads waiting now; later ones wait again. */
    answerWaiting: () => {
      for (const w of waiting.splice(0)) w();
    },
    waiting: () => waiting.length,
  };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 1000 && !check(); i++) await new Promise((r) => setTimeout(r, 1));
  expect(check()).toBe(true);
};

describe('ChainFollower (audit M1)', () => {
  it('releases a credit lane opened while the new head was being read, in the same step as B moves', async () => {
    const nonces = new Map<string, bigint>();
    const chain = slowChain(nonces);
    const ledger = new Ledger({ maxRequestCache: 4, maxSettledCerts: 4 });
    const lock: LedgerDelta = {
      txHash: repeatByte(10, 32),
      effects: {
        sender: ALICE,
        recipient: BOB,
        amount: 3n,
        asset: ALPHA_USD,
        nonce: { nonceKey: KEY, seq: 0n },
      },
      debits: [{ account: ALICE, asset: ALPHA_USD, amount: 3n }],
      signedTx: new Uint8Array([0x76]),
    };
    ledger.record(lock, cert(lock.txHash));
    const follower = await ChainFollower.start({
      port: chain.port,
      ledger,
      journal: new SafetyJournal(new MemoryStore()),
      logger: pino({ level: 'silent' }),
    });
    chain.hold();
    chain.push(head(2n));
    await until(() => chain.waiting() > 0);
    // While the follower awaits the nonces of block 2, a decision credits Carol with a parent that block 2 includes.
    const credit: Credit = {
      parentTxHash: repeatByte(20, 32),
      parentEffectsHash: repeatByte(21, 32),
      parentSender: BOB,
      parentNonceKey: KEY,
      parentSeq: 0n,
      recipient: CAROL,
      asset: ALPHA_USD,
      amount: 5n,
      deadline: { kind: 'unixMillis', value: 60_000n },
    };
    ledger.restoreCredit(credit);
    nonces.set(byteKey(BOB) + byteKey(KEY), 1n);
    chain.release();
    await until(() => follower.head().height === 2n);
    // Block 2's balance already holds the parent: the credit must not count on top of it.
    expect(ledger.creditOf(CAROL, ALPHA_USD)).toBe(0n);
    expect(follower.moving()).toBeUndefined();
    await follower.stop();
  });

  it('makes decisions wait while B moves: moving() is set during the closing step and cleared after', async () => {
    const chain = slowChain(new Map());
    const ledger = new Ledger({ maxRequestCache: 4, maxSettledCerts: 4 });
    const follower = await ChainFollower.start({
      port: chain.port,
      ledger,
      journal: new SafetyJournal(new MemoryStore()),
      logger: pino({ level: 'silent' }),
    });
    const creditOf = (byte: number, sender: Uint8Array): Credit => ({
      parentTxHash: repeatByte(byte, 32),
      parentEffectsHash: repeatByte(byte + 1, 32),
      parentSender: sender,
      parentNonceKey: KEY,
      parentSeq: 0n,
      recipient: CAROL,
      asset: ALPHA_USD,
      amount: 5n,
      deadline: { kind: 'unixMillis', value: 60_000n },
    });
    ledger.restoreCredit(creditOf(30, BOB));
    chain.hold();
    chain.push(head(2n));
    await until(() => chain.waiting() > 0);
    expect(follower.moving()).toBeUndefined();
    ledger.restoreCredit(creditOf(32, ALICE));
    chain.answerWaiting();
    await until(() => follower.moving() !== undefined);
    const loaded = follower.load([]);
    let done = false;
    void loaded.then(() => {
      done = true;
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(done).toBe(false);
    chain.release();
    await loaded;
    expect(follower.head().height).toBe(2n);
    await follower.stop();
  });
});

describe('SafetyJournal credits (audit L3)', () => {
  it('persists a credit as its own record, restores it exactly, and forgets it once released', async () => {
    const store = new MemoryStore();
    const journal = new SafetyJournal(store);
    const credit: Credit = {
      parentTxHash: repeatByte(40, 32),
      parentEffectsHash: repeatByte(41, 32),
      parentSender: BOB,
      parentNonceKey: KEY,
      parentSeq: 3n,
      recipient: ALICE,
      asset: ALPHA_USD,
      amount: 7n,
      deadline: { kind: 'unixMillis', value: 123_000n },
    };
    const child: LedgerDelta = {
      txHash: repeatByte(50, 32),
      effects: {
        sender: ALICE,
        recipient: CAROL,
        amount: 7n,
        asset: ALPHA_USD,
        nonce: { nonceKey: KEY, seq: 0n },
      },
      debits: [{ account: ALICE, asset: ALPHA_USD, amount: 7n }],
      signedTx: new Uint8Array([0x76]),
      credit,
    };
    await journal.persist({ delta: child, cert: cert(child.txHash) });
    // The child settles and its lock is forgotten: the credit it brought stays while the parent can land.
    await journal.release([{ delta: child, cert: cert(child.txHash) }]);
    const restored = new Ledger({ maxRequestCache: 4, maxSettledCerts: 4 });
    expect(await journal.restore(restored)).toEqual({ locks: 0, credits: 1, conflicts: 0 });
    expect(restored.creditOf(ALICE, ALPHA_USD)).toBe(7n);
    expect([...restored.credits()]).toEqual([credit]);
    restored.releaseExpired(123_000n);
    await journal.release([], restored.drainReleasedCredits());
    expect(await journal.restore(new Ledger({ maxRequestCache: 4, maxSettledCerts: 4 }))).toEqual({
      locks: 0,
      credits: 0,
      conflicts: 0,
    });
  });
});

describe('ChainFollower on a chain that goes back', () => {
  it('follows a lower head with another hash (a devnet restarted from genesis) instead of waiting to pass the old height', async () => {
    const chain = slowChain(new Map());
    const ledger = new Ledger({ maxRequestCache: 4, maxSettledCerts: 4 });
    const follower = await ChainFollower.start({
      port: chain.port,
      ledger,
      journal: new SafetyJournal(new MemoryStore()),
      logger: pino({ level: 'silent' }),
    });
    chain.push(head(9n));
    await until(() => follower.head().height === 9n);
    chain.push({ ...head(2n), hash: repeatByte(0xee, 32) });
    await until(() => follower.head().height === 2n);
    chain.push({ ...head(2n), hash: repeatByte(0xee, 32) });
    chain.push(head(3n));
    await until(() => follower.head().height === 3n);
    await follower.stop();
  });
});
