import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { byteKey, repeatByte, toHex } from '../../src/protocol/bytes.ts';
import { assembleQuorumCertificate } from '../../src/protocol/quorum.ts';
import type {
  Effects,
  FastPayTx,
  QuorumCertificate,
  ValidatorCertificate,
} from '../../src/protocol/types.ts';
import { createStaticChainView } from '../../src/protocol/validation/static-chain-view.ts';
import {
  ALICE,
  ALICE_KEY,
  ALPHA_USD,
  BOB,
  BOB_KEY,
  CAROL,
  CAROL_KEY,
  DAVE,
  EDGAR,
} from '../support/demo-keys.ts';
import { memoizedSuite } from '../support/memoized-suite.ts';
import { buildPayment } from '../support/payment-builder.ts';
import { committeeOf, HarnessValidator, suite as realSuite } from '../support/validator-harness.ts';

/**
 * The money rule of the direct mode, over the pure core: with every validator honest, whatever the payer sends to
 * whichever validators, with any deadlines and any head advances, the QC'd payments of an account that can still
 * land never exceed its funds at B plus the QC'd payments to it that can still land (credits from parents that
 * really land). Nothing lands in this model, the hardest case: every QC stays live until its deadline.
 */
const suite = memoizedSuite(realSuite);
const VALIDATORS = [
  DAVE,
  EDGAR,
  { name: 'Frank', id: repeatByte(0xf1, 32), seed: repeatByte(0x43, 32) },
  { name: 'Grace', id: repeatByte(0xa1, 32), seed: repeatByte(0x44, 32) },
];
const committee = committeeOf(VALIDATORS);
const QUORUM = 3;
const START_S = 1_700_000_000n;
const FUNDS = new Map([
  [byteKey(ALICE), 10n],
  [byteKey(BOB), 2n],
  [byteKey(CAROL), 0n],
]);
const RUNS = Number(process.env.ALLEGRO_PROPERTY_RUNS ?? 10_000);

interface Signed {
  readonly tx: FastPayTx;
  readonly sender: Uint8Array;
}

/**
 * Real signed payments, shaped for the two known ways to overdraw with honest validators: several lanes at once
 * (quorums that each saw part of them), and one lane whose earlier seqs were equivocated (a cheap variant at the
 * validators a quorum left out). Bob and Carol spend what they are paid (chained); one short deadline.
 */
const pool: Signed[] = [];
beforeAll(async () => {
  const add = async (
    key: `0x${string}`,
    sender: Uint8Array,
    to: Uint8Array,
    amount: bigint,
    nonceKey: bigint,
    seq: bigint,
    ahead = 100n,
  ) => {
    pool.push({
      tx: await buildPayment({ key, to, amount, nonceKey, seq, validBefore: START_S + ahead }),
      sender,
    });
  };
  for (const seq of [0n, 1n, 2n, 3n])
    for (const amount of [3n, 1n]) await add(ALICE_KEY, ALICE, BOB, amount, 1n, seq);
  for (const lane of [2n, 3n, 4n])
    for (const amount of [3n, 1n]) await add(ALICE_KEY, ALICE, BOB, amount, lane, 0n);
  await add(ALICE_KEY, ALICE, BOB, 4n, 1n, 0n, 30n);
  for (const seq of [0n, 1n]) for (const amount of [3n, 5n]) await add(BOB_KEY, BOB, CAROL, amount, 1n, seq);
  for (const amount of [3n, 4n]) await add(CAROL_KEY, CAROL, ALICE, amount, 1n, 0n);
}, 120_000);

type Step =
  | { kind: 'submit'; pay: number; mask: number; parent: number }
  | { kind: 'advance'; seconds: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('submit' as const),
      pay: fc.nat({ max: 1000 }),
      mask: fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(7, 11, 13, 14) },
        fc.integer({ min: 1, max: 15 }),
      ),
      parent: fc.nat({ max: 8 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('advance' as const),
      seconds: fc.integer({ min: 1, max: 120 }),
    }),
  },
);

interface Formed {
  readonly qc: QuorumCertificate;
  readonly effects: Effects;
  readonly deadlineMs: bigint;
  readonly tx: FastPayTx;
}

function run(steps: readonly Step[]): void {
  let nowMs = START_S * 1000n;
  const view = () =>
    createStaticChainView({
      head: { height: 1n, timestampMs: nowMs },
      balances: [...FUNDS].map(([, amount], i) => ({
        account: [ALICE, BOB, CAROL][i]!,
        asset: ALPHA_USD,
        amount,
      })),
    });
  const validators = VALIDATORS.map((v) => new HarnessValidator(v, committee, view(), { suite }));
  const certs = new Map<string, Map<string, ValidatorCertificate>>();
  const formed = new Map<string, Formed>();
  const live = () => [...formed.values()].filter((f) => f.deadlineMs > nowMs);

  for (const s of steps) {
    if (s.kind === 'advance') {
      nowMs += BigInt(s.seconds) * 1000n;
      for (const v of validators) {
        v.chain = view();
        v.ledger.releaseExpired(nowMs, 1n);
      }
      continue;
    }
    const signed = pool[s.pay % pool.length]!;
    const parents = live().filter((f) => byteKey(f.effects.recipient) === byteKey(signed.sender));
    const parent = s.parent < parents.length ? parents[s.parent] : undefined;
    const tx: FastPayTx = parent ? { ...signed.tx, parentQcHash: parent.qc.qcHash } : signed.tx;
    const mine = live().filter((f) => byteKey(f.effects.sender) === byteKey(signed.sender));
    const request = {
      tx,
      parentQcs: [...(parent ? [parent.qc] : []), ...mine.map((f) => f.qc)].slice(0, 8),
      parentTxs: parent ? [parent.tx] : [],
    };
    for (const [i, v] of validators.entries()) {
      if ((s.mask & (1 << i)) === 0) continue;
      const { decision, cert } = v.submit(request);
      if (!cert || decision.kind === 'reject') continue;
      const key = byteKey(cert.txHash);
      const byValidator = certs.get(key) ?? new Map<string, ValidatorCertificate>();
      byValidator.set(v.identity.name, cert);
      certs.set(key, byValidator);
      if (byValidator.size >= QUORUM && !formed.has(key) && decision.kind === 'accept') {
        const qc = assembleQuorumCertificate(suite, committee, [...byValidator.values()]);
        if (qc) {
          const deadlineMs = (tx.expiry as { value: bigint }).value;
          formed.set(key, { qc, effects: decision.delta.effects, deadlineMs, tx });
        }
      }
    }
    checkInvariant(live());
  }
}

function checkInvariant(live: readonly Formed[]): void {
  const keys = new Set<string>();
  const outflow = new Map<string, bigint>();
  const inflow = new Map<string, bigint>();
  for (const { effects: e } of live) {
    const contention = `${byteKey(e.sender)}:${byteKey(e.nonce.nonceKey)}:${e.nonce.seq}`;
    expect(keys.has(contention), `two QCs for contention key ${contention}`).toBe(false);
    keys.add(contention);
    outflow.set(byteKey(e.sender), (outflow.get(byteKey(e.sender)) ?? 0n) + e.amount);
    inflow.set(byteKey(e.recipient), (inflow.get(byteKey(e.recipient)) ?? 0n) + e.amount);
  }
  for (const [account, out] of outflow) {
    const covered = (FUNDS.get(account) ?? 0n) + (inflow.get(account) ?? 0n);
    expect(
      out <= covered,
      `account ${toHex(Buffer.from(account, 'latin1'))}: QC'd outflow ${out} > funds + live QC'd inflow ${covered}`,
    ).toBe(true);
  }
}

describe('QC outflow property (direct mode, pure core, 4 honest validators)', () => {
  it('holds against four lanes each certified by a different quorum (the cross-lane overdraft)', () => {
    const lanesAt = [1, 2, 3, 4].map((lane) =>
      pool.findIndex(
        (p) => p.tx.nonce!.nonceKey[31] === lane && p.tx.nonce!.seq === 0n && p.tx.intent!.amount === 3n,
      ),
    );
    const masks = [0b0111, 0b1011, 0b1101, 0b1110];
    run(lanesAt.map((pay, i) => ({ kind: 'submit', pay, mask: masks[i]!, parent: 8 })));
  });

  it('holds against one lane whose earlier seqs were equivocated at the validator each quorum left out', () => {
    const at = (seq: bigint, amount: bigint) =>
      pool.findIndex(
        (p) => p.tx.nonce!.nonceKey[31] === 1 && p.tx.nonce!.seq === seq && p.tx.intent!.amount === amount,
      );
    const steps: Step[] = [];
    for (const seq of [0n, 1n, 2n, 3n]) {
      const left = Number(seq);
      steps.push({ kind: 'submit', pay: at(seq, 1n), mask: 1 << left, parent: 8 });
      steps.push({ kind: 'submit', pay: at(seq, 3n), mask: 0b1111 & ~(1 << left), parent: 8 });
    }
    run(steps);
  });

  it(`no account's live QC'd outflow exceeds its funds plus live QC'd inflow, over ${RUNS} random routings`, () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 30 }), (steps) => run(steps)),
      {
        numRuns: RUNS,
      },
    );
  }, 600_000);
});
