import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, waitFor } from 'xstate';
import {
  type Fate,
  type SendOutcome,
  type SettlementEmitted,
  settlementMachine,
} from '../../src/actors/settlement.machine.ts';
import type { ChainReceipt } from '../../src/chain/chain-port.ts';
import { repeatByte } from '../../src/protocol/bytes.ts';
import type { LockRecord } from '../../src/protocol/ledger/ledger.ts';
import { WireStage } from '../../src/protocol/stage.ts';
import { ALICE, ALPHA_USD, CAROL } from '../support/demo-keys.ts';

const record: LockRecord = {
  delta: {
    txHash: repeatByte(0x41, 32),
    effects: {
      sender: ALICE,
      recipient: CAROL,
      amount: 1n,
      asset: ALPHA_USD,
      nonce: { nonceKey: repeatByte(1, 32), seq: 0n },
    },
    debits: [{ account: ALICE, asset: ALPHA_USD, amount: 1n }],
    signedTx: Uint8Array.of(0x76, 1),
  },
  cert: {
    txHash: repeatByte(0x41, 32),
    effectsHash: repeatByte(9, 32),
    signature: new Uint8Array(64),
    createdUnixMillis: 1n,
  },
};
const receipt: ChainReceipt = {
  txHash: repeatByte(0x42, 32),
  blockNumber: 5n,
  blockHash: repeatByte(5, 32),
  success: true,
};
const head = (height: bigint) => ({
  height,
  hash: repeatByte(Number(height), 32),
  timestampMs: height * 1000n,
});

/** A machine whose node answers each send with the next of `answers` and each fate read with `fate`. */
function machine(answers: SendOutcome[], fate: Fate = { kind: 'expired' }) {
  const sends: number[] = [];
  const actor = createActor(
    settlementMachine.provide({
      actors: {
        send: fromPromise(async () => {
          sends.push(sends.length);
          return answers.shift() ?? { kind: 'held' };
        }),
        fate: fromPromise(async () => fate),
      },
      delays: { retry: 0 },
    }),
    {
      input: {
        record,
        chainTxHash: receipt.txHash,
        forwardFrom: 1n,
        finalityDepth: 2,
        evictAfterRefusals: 3,
      },
    },
  );
  const emitted: SettlementEmitted[] = [];
  for (const type of ['stage', 'evicted', 'refused'] as const) actor.on(type, (e) => emitted.push(e));
  actor.start();
  const stages = () => emitted.flatMap((e) => (e.type === 'stage' ? [e.stage] : []));
  return { actor, sends, emitted, stages };
}

const refused = (code = 'REJECTED'): SendOutcome => ({ kind: 'refused', code, message: 'no' });

describe('settlementMachine', () => {
  it('announces QUEUED_ONCHAIN once across resends (due every resendGap blocks, doubling) and is EXPIRED when released unincluded', async () => {
    const m = machine([]);
    m.actor.send({ type: 'FORWARD', height: 1n });
    await waitFor(m.actor, (s) => s.value === 'forwarded');
    expect(m.actor.getSnapshot().context.resendAt).toBe(3n);
    m.actor.send({ type: 'FORWARD', height: 3n });
    await waitFor(m.actor, (s) => s.value === 'forwarded' && s.context.resendAt === 7n);
    m.actor.send({ type: 'RELEASED', head: head(5n) });
    await waitFor(
      m.actor,
      (s) => s.value === 'awaitingFate' || s.value === 'expired' || s.value === 'included',
    );
    expect(m.stages()).toEqual([WireStage.QUEUED_ONCHAIN, WireStage.EXPIRED]);
  });

  it('reports INCLUDED with the receipt block and FINALIZED only finalityDepth blocks later', async () => {
    const m = machine([], { kind: 'included', receipt });
    m.actor.send({ type: 'FORWARD', height: 1n });
    await waitFor(m.actor, (s) => s.value === 'forwarded');
    m.actor.send({ type: 'RELEASED', head: head(5n) });
    await waitFor(m.actor, (s) => s.value === 'included');
    m.actor.send({ type: 'HEAD', height: 6n });
    expect(m.actor.getSnapshot().value).toBe('included');
    m.actor.send({ type: 'HEAD', height: 7n });
    expect(m.actor.getSnapshot().status).toBe('done');
    const included = m.emitted.find((e) => e.type === 'stage' && e.stage === WireStage.INCLUDED);
    expect(included).toMatchObject({ blockNumber: 5n, blockHash: receipt.blockHash });
    expect(m.stages()).toEqual([WireStage.QUEUED_ONCHAIN, WireStage.INCLUDED, WireStage.FINALIZED]);
  });

  it('evicts on the Kth refusal in a row; NONCE_TOO_LOW never counts (B decides it)', async () => {
    const m = machine([refused(), refused('NONCE_TOO_LOW'), refused(), refused()]);
    for (let i = 0; i < 4; i++) {
      await waitFor(m.actor, (s) => s.value === 'queued' || s.value === 'evicted');
      if (m.actor.getSnapshot().value === 'evicted') break;
      m.actor.send({ type: 'FORWARD', height: 1n });
      await waitFor(m.actor, (s) => s.value !== 'sending');
    }
    await waitFor(m.actor, (s) => s.value === 'evicted');
    expect(m.sends).toHaveLength(4);
    expect(m.actor.getSnapshot().context.givenUp).toBe('evicted: node refused it 3 times: no');
    expect(m.emitted.filter((e) => e.type === 'evicted')).toHaveLength(1);
    expect(m.stages()).toEqual([WireStage.FAILED]);
  });

  it('a payment given up on ends silently when released unincluded, and is INCLUDED when it landed after all', async () => {
    const silent = machine([]);
    silent.actor.send({ type: 'GIVE_UP', reason: 'parent failed: expired' });
    silent.actor.send({ type: 'RELEASED', head: head(9n) });
    await waitFor(silent.actor, (s) => s.status === 'done');
    expect(silent.actor.getSnapshot().value).toBe('released');
    expect(silent.stages()).toEqual([WireStage.FAILED]);
    expect(silent.sends).toHaveLength(0);

    const landed = machine([], { kind: 'included', receipt });
    landed.actor.send({ type: 'GIVE_UP', reason: 'parent failed: expired' });
    landed.actor.send({ type: 'RELEASED', head: head(9n) });
    await waitFor(landed.actor, (s) => s.value === 'included');
    expect(landed.actor.getSnapshot().context.givenUp).toBeUndefined();
    expect(landed.stages()).toEqual([WireStage.FAILED, WireStage.INCLUDED]);
  });

  it('restores from its persisted snapshot in the same state, with no stage announced again', async () => {
    const m = machine([]);
    m.actor.send({ type: 'FORWARD', height: 1n });
    await waitFor(m.actor, (s) => s.value === 'forwarded');
    expect(m.actor.getPersistedSnapshot()).toMatchObject({ value: 'forwarded' });
    const restored = createActor(settlementMachine, {
      snapshot: m.actor.getPersistedSnapshot(),
      input: m.actor.getSnapshot().context,
    });
    const emitted: unknown[] = [];
    restored.on('*', (e) => emitted.push(e));
    restored.start();
    expect(restored.getSnapshot().value).toBe('forwarded');
    expect(restored.getSnapshot().context.resendAt).toBe(3n);
    expect(emitted).toEqual([]);
  });
});
