import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../src/protocol/bytes.ts';
import type { FastPayTx } from '../../src/protocol/types.ts';
import { createStaticChainView } from '../../src/protocol/validation/static-chain-view.ts';
import { ALICE, ALICE_KEY, ALPHA_USD, BOB, BOB_KEY, CAROL, CAROL_KEY, DAVE } from '../support/demo-keys.ts';
import { buildPayment } from '../support/payment-builder.ts';
import { committeeOf, HarnessValidator } from '../support/validator-harness.ts';

const committee = committeeOf([DAVE]);
const START_MS = 1_700_000_000_000n;
const BALANCES = [
  { account: ALICE, asset: ALPHA_USD, amount: 15n },
  { account: BOB, asset: ALPHA_USD, amount: 5n },
  { account: CAROL, asset: ALPHA_USD, amount: 5n },
];

/** A pool of real signed payments: 3 senders × 2 lanes × 3 sequences × 2 conflicting variants. */
const pool: FastPayTx[] = [];
beforeAll(async () => {
  const people = [
    { key: ALICE_KEY, to: [BOB, CAROL] },
    { key: BOB_KEY, to: [CAROL, ALICE] },
    { key: CAROL_KEY, to: [ALICE, BOB] },
  ] as const;
  for (const p of people) {
    for (const nonceKey of [1n, 2n]) {
      for (const seq of [0n, 1n, 2n]) {
        for (const variant of [0, 1]) {
          pool.push(
            await buildPayment({
              key: p.key,
              to: p.to[variant]!,
              amount: BigInt(3 + variant * 4 + Number(seq)),
              nonceKey,
              seq,
              validBefore: variant === 0 ? 1_700_003_000n : 1_700_000_050n,
              requestId: variant === 0 ? '' : `req-${nonceKey}-${seq}`,
            }),
          );
        }
      }
    }
  }
}, 60_000);

type Step = { kind: 'submit'; index: number } | { kind: 'advance'; seconds: number };

const steps = fc.array(
  fc.oneof(
    { weight: 5, arbitrary: fc.nat({ max: 35 }).map((index): Step => ({ kind: 'submit', index })) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1, max: 40 }).map((seconds): Step => ({ kind: 'advance', seconds })),
    },
  ),
  { maxLength: 40 },
);

describe('safety properties of the validation decision', () => {
  it('never certifies two txs for one contention key while the first can still land, nor debits beyond funds', () => {
    fc.assert(
      fc.property(steps, (run) => {
        let nowMs = START_MS;
        const v = new HarnessValidator(
          DAVE,
          committee,
          createStaticChainView({ head: { height: 1n, timestampMs: nowMs }, balances: BALANCES }),
        );
        const accepted = new Map<string, { txHash: string; deadlineMs: bigint }>();
        for (const step of run) {
          if (step.kind === 'advance') {
            nowMs += BigInt(step.seconds) * 1000n;
            v.chain = createStaticChainView({ head: { height: 1n, timestampMs: nowMs }, balances: BALANCES });
            v.ledger.releaseExpired(nowMs);
            continue;
          }
          const { decision } = v.submit({ tx: pool[step.index], parentQcs: [] });
          if (decision.kind === 'fetch') throw new Error('static view never asks to fetch');
          if (decision.kind === 'accept') {
            const { sender, nonce } = decision.delta.effects;
            const key = `${toHex(sender)}/${toHex(nonce.nonceKey)}/${nonce.seq}`;
            const earlier = accepted.get(key);
            if (earlier) expect(earlier.deadlineMs).toBeLessThanOrEqual(nowMs);
            accepted.set(key, {
              txHash: toHex(decision.txHash),
              deadlineMs: decision.delta.inclusionDeadlineMs!,
            });
          }
          for (const b of BALANCES) {
            expect(v.ledger.debitOf(b.account, b.asset)).toBeLessThanOrEqual(
              b.amount + v.ledger.creditOf(b.account, b.asset),
            );
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
