import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployEscrow } from '../../src/chain/escrow/escrow-chain.ts';
import { bytesEqual, U64_MAX } from '../../src/protocol/bytes.ts';
import { escrowPaymentDigest, escrowSettlementDigest } from '../../src/protocol/escrow/escrow-payment.ts';
import { escrowRotationDigest } from '../../src/protocol/escrow/escrow-rotation.ts';
import { signEscrowDigest } from '../../src/protocol/escrow/escrow-signature.ts';
import { pidAlive } from '../support/pid-alive.ts';
import {
  advanceTime,
  certify,
  type EscrowHarness,
  newPayment,
  type SettlementKey,
  settlementKeys,
  startEscrowHarness,
} from './escrow-harness.ts';

const W = 3600n;
const DEPOSIT = 10_000000n;

let h: EscrowHarness;

beforeAll(async () => {
  h = await startEscrowHarness(4, W);
  await h.escrow.deposit(h.alice, h.token, DEPOSIT);
});

afterAll(async () => {
  await h?.stop();
  if (h) expect(pidAlive(h.devnet.pid)).toBe(false);
});

const reverts = (errorName: string) => expect.objectContaining({ name: 'EscrowRevertError', errorName });

describe('AllegroEscrow digests', () => {
  it('the TypeScript payment, settlement and rotation digests equal the contract views', async () => {
    const payments = [
      await newPayment(h, h.alice, h.bob, 1n),
      await newPayment(h, h.bob, h.carol, (1n << 256n) - 1n, {
        lane: new Uint8Array(32).fill(0xff),
        seq: U64_MAX,
        deadline: U64_MAX,
        parent: new Uint8Array(randomBytes(32)),
      }),
    ];
    for (const p of payments) {
      const id = escrowPaymentDigest(h.escrow.domain, p);
      expect(await h.escrow.paymentDigest(p)).toEqual(id);
      expect(await h.escrow.settlementDigest(p, 7n)).toEqual(escrowSettlementDigest(h.escrow.domain, id, 7n));
    }
    const members = settlementKeys(3, 0x70).map((k) => k.address);
    expect(await h.escrow.rotationDigest(1n, members, 3n)).toEqual(
      escrowRotationDigest(h.escrow.domain, 1n, members, 3n),
    );
  });
});

describe('AllegroEscrow deposit', () => {
  it('moves the tokens into the escrow and credits the depositor (approve + deposit in one 0x76 tx)', async () => {
    const before = await h.escrow.balanceOf(h.bob.address, h.token);
    const { blockNumber } = await h.escrow.deposit(h.bob, h.token, 1_000000n);
    expect(await h.escrow.balanceOf(h.bob.address, h.token, blockNumber)).toBe(before + 1_000000n);
    expect(await h.escrow.balanceOf(h.bob.address, h.token, blockNumber - 1n)).toBe(before);
    expect(await h.escrow.balanceOf(h.alice.address, h.token)).toBeGreaterThan(0n);
  });
});

describe('AllegroEscrow settle', () => {
  it('executes a payment with a valid QC: debits the payer, credits the recipient, uses the seq', async () => {
    const p = await newPayment(h, h.alice, h.carol, 500000n, { seq: 3n });
    const payer = await h.escrow.balanceOf(h.alice.address, h.token);
    const recipient = await h.escrow.balanceOf(h.carol.address, h.token);
    await h.escrow.settle(h.bob, certify(h, p, h.alice.privateKey));
    expect(await h.escrow.balanceOf(h.alice.address, h.token)).toBe(payer - 500000n);
    expect(await h.escrow.balanceOf(h.carol.address, h.token)).toBe(recipient + 500000n);
    expect(await h.escrow.usedSeq(h.alice.address, p.lane, 3n)).toBe(true);
    expect(await h.escrow.usedSeq(h.alice.address, p.lane, 2n)).toBe(false);
    expect(await h.escrow.nextSeq(h.alice.address, p.lane)).toBe(4n);
    expect(await h.escrow.isSettled(escrowPaymentDigest(h.escrow.domain, p))).toBe(true);
  });

  it('reverts with fewer settlement signatures than the threshold', async () => {
    const p = await newPayment(h, h.alice, h.bob, 1n);
    const below = certify(h, p, h.alice.privateKey, h.committee.slice(0, h.threshold - 1));
    await expect(h.escrow.settle(h.alice, below)).rejects.toEqual(reverts('BelowThreshold'));
  });

  it('reverts when a signature comes from a key outside the committee', async () => {
    const p = await newPayment(h, h.alice, h.bob, 1n);
    const outsider = settlementKeys(1, 0x90);
    const signers = [...h.committee.slice(0, h.threshold - 1), ...outsider].sort((a, b) =>
      a.address < b.address ? -1 : 1,
    );
    const bad = certify(h, p, h.alice.privateKey, signers);
    await expect(h.escrow.settle(h.alice, bad)).rejects.toEqual(reverts('NotCommitteeMember'));
  });

  it('reverts when one signer is counted twice, or signers are not in ascending order', async () => {
    const p = await newPayment(h, h.alice, h.bob, 1n);
    const [first, ...rest] = h.committee.slice(0, h.threshold - 1);
    const duplicated = certify(h, p, h.alice.privateKey, [first!, first!, ...rest]);
    await expect(h.escrow.settle(h.alice, duplicated)).rejects.toEqual(reverts('SignersNotAscending'));
    const descending = certify(h, p, h.alice.privateKey, h.committee.slice(0, h.threshold).reverse());
    await expect(h.escrow.settle(h.alice, descending)).rejects.toEqual(reverts('SignersNotAscending'));
  });

  it('reverts when replayed, and for another payment on a sequence already used', async () => {
    const p = await newPayment(h, h.alice, h.bob, 1n);
    const settlement = certify(h, p, h.alice.privateKey);
    await h.escrow.settle(h.alice, settlement);
    await expect(h.escrow.settle(h.alice, settlement)).rejects.toEqual(reverts('SeqUsed'));
    const sameSeq = certify(h, { ...p, amount: 2n, recipient: h.carol.address }, h.alice.privateKey);
    await expect(h.escrow.settle(h.alice, sameSeq)).rejects.toEqual(reverts('SeqUsed'));
  });

  it('reverts once the deadline has passed', async () => {
    const { timestampMs } = await h.escrow.head();
    const p = await newPayment(h, h.alice, h.bob, 1n, { deadline: timestampMs / 1000n + 30n });
    const settlement = certify(h, p, h.alice.privateKey);
    await advanceTime(h.devnet.rpcUrl, 31n);
    await expect(h.escrow.settle(h.alice, settlement)).rejects.toEqual(reverts('PaymentExpired'));
  });

  it('reverts with a payer signature by someone else, or certificates for another epoch', async () => {
    const p = await newPayment(h, h.alice, h.bob, 1n);
    const forged = certify(h, p, h.bob.privateKey);
    await expect(h.escrow.settle(h.bob, forged)).rejects.toEqual(reverts('BadPayerSignature'));
    const otherEpoch = certify(h, p, h.alice.privateKey, undefined, 1n);
    await expect(h.escrow.settle(h.alice, otherEpoch)).rejects.toEqual(reverts('NotCommitteeMember'));
  });

  it('reverts when the payer has less in escrow than the amount', async () => {
    const p = await newPayment(h, h.carol, h.bob, 1_000_000000n);
    await expect(h.escrow.settle(h.carol, certify(h, p, h.carol.privateKey))).rejects.toEqual(
      reverts('InsufficientEscrow'),
    );
  });
});

describe('AllegroEscrow chained payments', () => {
  it('a child spending its parent credit reverts before the parent settles and settles after', async () => {
    const parent = await newPayment(h, h.alice, h.carol, 300000n);
    const parentId = escrowPaymentDigest(h.escrow.domain, parent);
    const carolBefore = await h.escrow.balanceOf(h.carol.address, h.token);
    const child = await newPayment(h, h.carol, h.bob, carolBefore + 200000n, { parent: parentId });
    const childSettlement = certify(h, child, h.carol.privateKey);
    await expect(h.escrow.settle(h.alice, childSettlement)).rejects.toEqual(reverts('ParentNotSettled'));
    await h.escrow.settle(h.alice, certify(h, parent, h.alice.privateKey));
    await h.escrow.settle(h.alice, childSettlement);
    expect(await h.escrow.balanceOf(h.carol.address, h.token)).toBe(100000n);
  });

  it('settleChain settles parent then child atomically, skips an already settled parent, checks the link', async () => {
    const parent = await newPayment(h, h.alice, h.bob, 400000n);
    const parentId = escrowPaymentDigest(h.escrow.domain, parent);
    const child = await newPayment(h, h.bob, h.carol, 100000n, { parent: parentId });
    const stranger = await newPayment(h, h.bob, h.carol, 100000n, { parent: new Uint8Array(32).fill(1) });
    const ps = certify(h, parent, h.alice.privateKey);
    await expect(h.escrow.settleChain(h.alice, ps, certify(h, stranger, h.bob.privateKey))).rejects.toEqual(
      reverts('NotParent'),
    );
    await h.escrow.settleChain(h.alice, ps, certify(h, child, h.bob.privateKey));
    expect(await h.escrow.isSettled(parentId)).toBe(true);
    expect(await h.escrow.isSettled(escrowPaymentDigest(h.escrow.domain, child))).toBe(true);
    const second = await newPayment(h, h.bob, h.carol, 100000n, { parent: parentId });
    await h.escrow.settleChain(h.alice, ps, certify(h, second, h.bob.privateKey));
    expect(await h.escrow.isSettled(escrowPaymentDigest(h.escrow.domain, second))).toBe(true);
  });
});

describe('AllegroEscrow withdrawal', () => {
  it('an announced withdrawal is visible at once and completes only W seconds later', async () => {
    const before = await h.escrow.balanceOf(h.alice.address, h.token);
    const announced = await h.escrow.announceWithdrawal(h.alice, h.token, 1_000000n);
    const { id, executableAt } = announced.withdrawal;
    expect(await h.escrow.announcedOf(h.alice.address, h.token, announced.blockNumber)).toBe(1_000000n);
    expect(await h.escrow.announcedOf(h.alice.address, h.token, announced.blockNumber - 1n)).toBe(0n);
    expect(await h.escrow.withdrawals(announced.blockNumber)).toEqual([announced.withdrawal]);
    const block = await h.escrow.head();
    expect(executableAt).toBe(block.timestampMs / 1000n + W);

    await expect(h.escrow.completeWithdrawal(h.alice, id)).rejects.toEqual(reverts('WithdrawalNotReady'));
    await advanceTime(h.devnet.rpcUrl, W - 60n);
    await expect(h.escrow.completeWithdrawal(h.alice, id)).rejects.toEqual(reverts('WithdrawalNotReady'));
    await advanceTime(h.devnet.rpcUrl, 60n);
    await h.escrow.completeWithdrawal(h.alice, id);
    expect(await h.escrow.balanceOf(h.alice.address, h.token)).toBe(before - 1_000000n);
    expect(await h.escrow.announcedOf(h.alice.address, h.token)).toBe(0n);
    expect(await h.escrow.withdrawals()).toEqual([]);
    await expect(h.escrow.completeWithdrawal(h.alice, id)).rejects.toEqual(reverts('UnknownWithdrawal'));
  });

  it('a withdrawal cannot announce more than the escrowed balance', async () => {
    const balance = await h.escrow.balanceOf(h.bob.address, h.token);
    await expect(h.escrow.announceWithdrawal(h.bob, h.token, balance + 1n)).rejects.toEqual(
      reverts('InsufficientEscrow'),
    );
  });
});

describe('AllegroEscrow committee rotation', () => {
  it('installs the next committee when a threshold of the current one signs, not with fewer', async () => {
    const current = settlementKeys(4, 0x50);
    const escrow = await deployEscrow({
      rpcUrl: h.devnet.rpcUrl,
      deployer: h.alice,
      committee: current.map((k) => k.address),
      threshold: 3n,
      withdrawalDelay: W,
    });
    try {
      const next = settlementKeys(4, 0x60);
      const members = next.map((k) => k.address);
      const rotation = (toEpoch: bigint, keys: readonly SettlementKey[]) => {
        const digest = escrowRotationDigest(escrow.domain, toEpoch, members, 3n);
        return keys.map((k) => signEscrowDigest(digest, k.key));
      };
      await expect(
        escrow.rotateCommittee(h.alice, members, 3n, rotation(1n, current.slice(0, 2))),
      ).rejects.toEqual(reverts('BelowThreshold'));
      await expect(
        escrow.rotateCommittee(h.alice, members, 3n, rotation(2n, current.slice(0, 3))),
      ).rejects.toEqual(reverts('NotCommitteeMember'));
      await escrow.rotateCommittee(h.alice, members, 3n, rotation(1n, current.slice(1, 4)));
      const installed = await escrow.committee();
      expect(installed.epoch).toBe(1n);
      expect(installed.threshold).toBe(3n);
      expect(installed.members.every((m, i) => bytesEqual(m, members[i]!))).toBe(true);
      await expect(
        escrow.rotateCommittee(h.alice, members, 3n, rotation(2n, current.slice(1, 4))),
      ).rejects.toEqual(reverts('NotCommitteeMember'));
      await escrow.rotateCommittee(h.alice, members, 3n, rotation(2n, next.slice(0, 3)));
      expect((await escrow.committee()).epoch).toBe(2n);
    } finally {
      await escrow.close();
    }
  });

  it('refuses a committee whose threshold is below n − floor((n−1)/3)', async () => {
    await expect(
      deployEscrow({
        rpcUrl: h.devnet.rpcUrl,
        deployer: h.alice,
        committee: settlementKeys(4, 0x50).map((k) => k.address),
        threshold: 2n,
        withdrawalDelay: W,
      }),
    ).rejects.toThrow();
  });
});
