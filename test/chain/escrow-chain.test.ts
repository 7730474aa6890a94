import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChainPort } from '../../src/chain/chain-port.ts';
import { settleCall } from '../../src/chain/escrow/escrow-calls.ts';
import { connectEscrow } from '../../src/chain/escrow/escrow-chain.ts';
import { PATH_USD } from '../../src/chain/tempo-tokens.ts';
import { signTempoTx } from '../../src/chain/tempo-tx.ts';
import { createViemChain } from '../../src/chain/viem-chain.ts';
import { waitForReceipt } from '../../src/chain/wait-for-receipt.ts';
import { bytesEqual } from '../../src/protocol/bytes.ts';
import {
  advanceTime,
  certify,
  type EscrowHarness,
  newPayment,
  startEscrowHarness,
} from '../contracts/escrow-harness.ts';
import { pidAlive } from '../support/pid-alive.ts';

const W = 600n;

let h: EscrowHarness;
let chain: ChainPort;

beforeAll(async () => {
  h = await startEscrowHarness(2, W);
  chain = createViemChain({ rpcUrl: h.devnet.rpcUrl });
  await h.escrow.deposit(h.alice, h.token, 5_000000n);
});

afterAll(async () => {
  await chain?.close();
  await h?.stop();
  if (h) expect(pidAlive(h.devnet.pid)).toBe(false);
});

describe('escrow chain adapter', () => {
  it('connectEscrow reads the deployed committee, W and balances of the same contract', async () => {
    const again = await connectEscrow({ rpcUrl: h.devnet.rpcUrl, escrow: h.escrow.address });
    try {
      const committee = await again.committee();
      expect(committee.epoch).toBe(0n);
      expect(committee.threshold).toBe(2n);
      expect(committee.members.every((m, i) => bytesEqual(m, h.committee[i]!.address))).toBe(true);
      expect(await again.withdrawalDelay()).toBe(W);
      expect(await again.balanceOf(h.alice.address, h.token)).toBe(5_000000n);
      expect(again.domain).toEqual(h.escrow.domain);
    } finally {
      await again.close();
    }
  });

  it('a settlement that breaks a rule, sent without simulation, is mined reverted and moves nothing', async () => {
    const p = await newPayment(h, h.alice, h.bob, 1_000000n);
    const belowThreshold = certify(h, p, h.alice.privateKey, h.committee.slice(0, 1));
    const { height } = await chain.head();
    const raw = signTempoTx({
      chainId: h.escrow.domain.chainId,
      senderKey: h.alice.privateKey,
      calls: [settleCall(h.escrow.address, belowThreshold)],
      nonceKey: new Uint8Array(32),
      nonce: await chain.nonce(h.alice.address, new Uint8Array(32), height),
      feeToken: PATH_USD,
    });
    const receipt = await waitForReceipt(chain, await chain.sendRawTransaction(raw));
    expect(receipt.success).toBe(false);
    expect(await h.escrow.balanceOf(h.alice.address, h.token, receipt.blockNumber)).toBe(5_000000n);
    expect(await h.escrow.usedSeq(h.alice.address, p.lane, 0n, receipt.blockNumber)).toBe(false);
  });

  it('lists the announced withdrawals pending at a block, from an id on', async () => {
    const first = await h.escrow.announceWithdrawal(h.alice, h.token, 1n);
    const second = await h.escrow.announceWithdrawal(h.alice, h.token, 2n);
    expect(await h.escrow.withdrawals(first.blockNumber - 1n)).toEqual([]);
    expect(await h.escrow.withdrawals(first.blockNumber)).toEqual([first.withdrawal]);
    expect(await h.escrow.withdrawals(second.blockNumber)).toEqual([first.withdrawal, second.withdrawal]);
    expect(await h.escrow.withdrawals(undefined, second.withdrawal.id)).toEqual([second.withdrawal]);
    expect(await h.escrow.announcedOf(h.alice.address, h.token)).toBe(3n);
  });

  it('a payment settled after an announcement takes precedence; the withdrawal pays out what is left', async () => {
    const balance = await h.escrow.balanceOf(h.bob.address, h.token);
    expect(balance).toBe(0n);
    await h.escrow.deposit(h.bob, h.token, 1_000000n);
    const { withdrawal } = await h.escrow.announceWithdrawal(h.bob, h.token, 1_000000n);
    const p = await newPayment(h, h.bob, h.carol, 400000n);
    await h.escrow.settle(h.alice, certify(h, p, h.bob.privateKey));
    await advanceTime(h.devnet.rpcUrl, W);
    const { height } = await chain.head();
    const before = await chain.balanceOf(h.token, h.bob.address, height);
    const done = await h.escrow.completeWithdrawal(h.bob, withdrawal.id);
    expect(await chain.balanceOf(h.token, h.bob.address, done.blockNumber)).toBe(before + 600000n);
    expect(await h.escrow.balanceOf(h.bob.address, h.token, done.blockNumber)).toBe(0n);
    expect(await h.escrow.announcedOf(h.bob.address, h.token, done.blockNumber)).toBe(0n);
  });
});
