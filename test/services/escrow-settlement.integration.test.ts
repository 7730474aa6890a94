import { privateKeyToAddress } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import { type Devnet, startDevnet } from '../../src/chain/devnet.ts';
import { connectEscrow, type EscrowChain } from '../../src/chain/escrow/escrow-chain.ts';
import { EscrowRevertError } from '../../src/chain/escrow/escrow-revert-error.ts';
import { PATH_USD } from '../../src/chain/tempo-tokens.ts';
import { AllegroClient, checkPayment } from '../../src/client/allegro-client.ts';
import { fromHex, repeatByte, toHex } from '../../src/protocol/bytes.ts';
import type { EscrowDomain } from '../../src/protocol/escrow/escrow-eip712.ts';
import { escrowSettlementDigest } from '../../src/protocol/escrow/escrow-payment.ts';
import { recoverEscrowSigner } from '../../src/protocol/escrow/escrow-signature.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import { WireStage } from '../../src/protocol/stage.ts';
import type { FastPayTx, QuorumCertificate } from '../../src/protocol/types.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { createClient } from '../../src/wire/grpc-client.ts';
import { grpcTransport } from '../../src/wire/grpc-transport.ts';
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
import { escrowPayment } from '../support/escrow-fixtures.ts';
import { eventually } from '../support/eventually.ts';
import { pidAlive } from '../support/pid-alive.ts';
import { type Answer, certifyAll, followStages, type SidecarClient } from '../support/sidecar-calls.ts';
import { SidecarPair } from '../support/sidecar-pair.ts';
import { committeeOf, suite } from '../support/validator-harness.ts';

const SETTLEMENT_KEYS = new Map([
  ['Dave', repeatByte(0x61, 32)],
  ['Edgar', repeatByte(0x62, 32)],
]);
const settlementAddress = (name: string) =>
  fromHex(privateKeyToAddress(toHex(SETTLEMENT_KEYS.get(name)!)), 20);
const committee = committeeOf([DAVE, EDGAR]);
const W = 3_600n;

let devnet: Devnet;
let escrow: EscrowChain;
let domain: EscrowDomain;
let pair: SidecarPair;
let clients: SidecarClient[];

const deadline = () => BigInt(Math.floor(Date.now() / 1000) + 600);
const rejects = (answers: Answer[]) => answers.map((a) => ('reject' in a ? a.reject.code : 'cert'));

async function qcOf(tx: FastPayTx, parents: QuorumCertificate[] = []): Promise<QuorumCertificate> {
  const { qc, answers } = await certifyAll(clients, committee, tx, parents);
  if (!qc)
    throw new Error(
      `no QC: ${JSON.stringify(answers.map((a) => ('reject' in a ? a.reject.message : 'cert')))}`,
    );
  return qc;
}

const escrowBalance = async (who: Uint8Array) => escrow.balanceOf(who, ALPHA_USD);

beforeAll(async () => {
  devnet = await startDevnet({
    port: 0,
    blockTime: 1,
    chainId: 1337n,
    escrow: { settlementKeys: [...SETTLEMENT_KEYS.values()], withdrawalDelay: W },
  });
  escrow = await connectEscrow({ rpcUrl: devnet.rpcUrl, escrow: devnet.escrow!.address });
  domain = escrow.domain;
  pair = await SidecarPair.start(
    ['--rpc-url', devnet.rpcUrl, '--ws-url', devnet.wsUrl],
    [DAVE, EDGAR],
    (v) => [
      '--escrow',
      toHex(devnet.escrow!.address),
      '--settlement-key',
      toHex(SETTLEMENT_KEYS.get(v.name)!),
    ],
  );
  clients = ['Dave', 'Edgar'].map((name) => createClient(FastPaySidecar, pair.url(name)));
}, 180_000);

afterAll(async () => {
  for (const c of clients ?? []) c.close();
  const pids = [...(pair?.processes.values() ?? [])].map((p) => p.pid);
  await pair?.stop();
  await escrow?.close();
  await devnet?.stop();
  for (const pid of [...pids, devnet?.pid]) if (pid) expect(pidAlive(pid)).toBe(false);
});

describe('escrow mode on a real Tempo node (Dave and Edgar with --escrow and --settlement-key)', () => {
  it('settles a QC’d payment and its chained child (never before the parent); the same seq again is EQUIVOCATION', async () => {
    const parent = escrowPayment({
      key: ALICE_KEY,
      to: BOB,
      amount: 10_000000n,
      deadline: deadline(),
      domain,
    });
    const qc1 = await qcOf(parent.tx);
    const digest = escrowSettlementDigest(domain, parent.paymentId, 0n);
    const signers = qc1.certs.map((c) => toHex(recoverEscrowSigner(suite, digest, c.settlementSignature!)!));
    expect(signers.sort()).toEqual(['Dave', 'Edgar'].map((n) => toHex(settlementAddress(n))).sort());

    const child = escrowPayment({
      key: BOB_KEY,
      to: CAROL,
      amount: 10_000000n,
      deadline: parent.payment.deadline,
      domain,
      parent: { qc: qc1, paymentId: parent.paymentId },
    });
    await qcOf(child.tx, [qc1]);

    const again = escrowPayment({
      key: ALICE_KEY,
      to: CAROL,
      amount: 1_000000n,
      deadline: deadline(),
      domain,
    });
    expect(rejects((await certifyAll(clients, committee, again.tx)).answers)).toEqual([
      RejectCode.EQUIVOCATION,
      RejectCode.EQUIVOCATION,
    ]);

    const parentStages = await followStages(clients[0]!, parent.tx);
    const childStages = await followStages(clients[1]!, child.tx, [qc1]);
    expect(parentStages.at(-1)!.stage as number).toBe(WireStage.FINALIZED);
    expect(childStages.at(-1)!.stage as number).toBe(WireStage.FINALIZED);
    const childBlock = childStages.find((u) => (u.stage as number) === WireStage.INCLUDED)!.blockHeight;
    expect(await escrow.isSettled(parent.paymentId, childBlock)).toBe(true);
    expect(await escrow.isSettled(child.paymentId)).toBe(true);
    expect(await Promise.all([ALICE, BOB, CAROL].map(escrowBalance))).toEqual([
      5_000000n,
      5_000000n,
      15_000000n,
    ]);
  }, 120_000);

  it('counts an announced withdrawal as spent from its block on; it cannot complete before W', async () => {
    const carol = devnet.accounts.find((a) => a.name === 'Carol')!;
    const held = await escrowBalance(CAROL);
    const announced = await escrow.announceWithdrawal(carol, ALPHA_USD, held);
    for (;;) {
      const head = await clients[0]!.getChainHead({});
      const other = await clients[1]!.getChainHead({});
      if (head.blockHeight >= announced.blockNumber && other.blockHeight >= announced.blockNumber) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const pay = escrowPayment({
      key: CAROL_KEY,
      to: ALICE,
      amount: 1_000000n,
      deadline: deadline(),
      domain,
      lane: 2n,
    });
    const { answers } = await certifyAll(clients, committee, pay.tx);
    for (const a of answers) {
      expect('reject' in a && a.reject.code).toBe(RejectCode.INSUFFICIENT_FUNDS);
      expect('reject' in a && a.reject.message).toMatch(/^insufficient escrow balance: available 0,/);
    }
    await expect(escrow.completeWithdrawal(carol, announced.withdrawal.id)).rejects.toBeInstanceOf(
      EscrowRevertError,
    );
  }, 60_000);

  it('lets the payer client deposit, pay ESCROWED (checkPayment says so, with its escrow state) and announce a withdrawal', async () => {
    const transports = ['Dave', 'Edgar'].map((name) => grpcTransport(pair.url(name)));
    const alice = new AllegroClient({
      committee,
      transports,
      account: ALICE_KEY,
      store: new MemoryStore(),
      escrow: { address: escrow.address, chain: escrow },
    });
    try {
      await alice.deposit(PATH_USD, 2_000000n);
      expect(await alice.escrowState(PATH_USD)).toEqual({ balance: 2_000000n, announced: 0n });
      const paid = await alice.sendPayment({ to: BOB, amount: 1_500000n, asset: PATH_USD });
      expect(paid.tx.format).toBe(3);
      const check = await checkPayment({ suite, committee, tx: paid.tx, qc: paid.qc, escrow });
      if (!check.ok) throw new Error(check.problem);
      expect(check.guarantee).toBe('ESCROWED');
      expect(check.deadlineMs).toBe((paid.tx.expiry as { value: bigint }).value);
      expect(check.escrow?.paymentId).toEqual(paid.paymentId);
      expect(check.escrow?.payer.balance).toBeLessThanOrEqual(2_000000n);
      await eventually(async () => expect(await escrow.isSettled(paid.paymentId!)).toBe(true), 30_000);
      expect(await alice.escrowState(PATH_USD)).toEqual({ balance: 500000n, announced: 0n });

      const withdrawal = await alice.announceWithdrawal(PATH_USD, 500000n);
      expect(await alice.escrowState(PATH_USD)).toEqual({ balance: 500000n, announced: 500000n });
      await expect(alice.completeWithdrawal(withdrawal.id)).rejects.toBeInstanceOf(EscrowRevertError);
      await expect(alice.sendPayment({ to: BOB, amount: 1n, asset: PATH_USD })).rejects.toThrow(
        /insufficient escrow balance: available 0/,
      );
    } finally {
      await alice.close();
      for (const t of transports) t.close();
    }
  }, 90_000);
});
