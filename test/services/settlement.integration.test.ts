import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateKeyToAddress } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import type { TxLifecycleUpdate } from '../../gen/tempo/fastpay/v1/types_pb.ts';
import { type AnvilProcess, startAnvil } from '../../src/chain/anvil-process.ts';
import type { ChainPort, ChainReceipt } from '../../src/chain/chain-port.ts';
import { DEMO_ACCOUNTS, type DemoAccount } from '../../src/chain/demo-accounts.ts';
import { startDevnet } from '../../src/chain/devnet.ts';
import { createViemChain } from '../../src/chain/viem-chain.ts';
import { fromHex, toHex } from '../../src/protocol/bytes.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import { WireStage } from '../../src/protocol/stage.ts';
import type { FastPayTx, QuorumCertificate } from '../../src/protocol/types.ts';
import { startSidecarProcess } from '../../src/services/sidecar/sidecar-process.ts';
import { createClient } from '../../src/wire/grpc-client.ts';
import {
  ALICE,
  ALICE_KEY,
  ALPHA_USD,
  BOB,
  BOB_KEY,
  CAROL,
  DAVE,
  EDGAR,
  PATH_USD,
} from '../support/demo-keys.ts';
import { nodeRpc } from '../support/node-rpc.ts';
import { buildPayment } from '../support/payment-builder.ts';
import { pidAlive } from '../support/pid-alive.ts';
import { certifyAll, followStages, type SidecarClient, submitTo } from '../support/sidecar-calls.ts';
import { SidecarPair, sidecarFlags } from '../support/sidecar-pair.ts';
import { committeeOf, suite } from '../support/validator-harness.ts';

const PAYER_KEY = `0x${'44'.repeat(32)}` as const;
const PAYER: DemoAccount = {
  name: 'Payer',
  privateKey: fromHex(PAYER_KEY),
  address: fromHex(privateKeyToAddress(PAYER_KEY)),
  alphaUsd: 10_000000n,
};
const SHOP = fromHex(privateKeyToAddress(`0x${'55'.repeat(32)}`));
const BLOCK_TIME_S = 5;

const committee = committeeOf([DAVE, EDGAR]);
let dir: string;
let state: string;
let anvil: AnvilProcess;
let chain: ChainPort;
let pair: SidecarPair;
const clients = new Map<string, SidecarClient>();
const client = (name: string) => clients.get(name)!;
const both = () => [client('Dave'), client('Edgar')];
/** The payer's latest QC: each payment of its lane shows the QC of the one before (FastPay's confirmation order). */
let payerLastQc: QuorumCertificate;
const validBefore = () => BigInt(Math.floor(Date.now() / 1000) + 600);
const payerPays = (seq: bigint, amount: bigint) =>
  buildPayment({ key: PAYER_KEY, to: SHOP, amount, seq, validBefore: validBefore() });

function connect(name: string): void {
  clients.get(name)?.close();
  clients.set(name, createClient(FastPaySidecar, pair.url(name)));
}

/** Waits for the next block, so a test has a whole block interval before the chain moves. */
async function freshHead(): Promise<bigint> {
  const start = (await chain.head()).height;
  for (;;) {
    const { height } = await chain.head();
    if (height > start) return height;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function qcOf(tx: FastPayTx, parents: QuorumCertificate[] = []): Promise<QuorumCertificate> {
  const { qc, answers } = await certifyAll(both(), committee, tx, parents);
  if (!qc)
    throw new Error(`no QC: ${JSON.stringify(answers.map((a) => ('reject' in a ? a.reject : 'cert')))}`);
  return qc;
}

async function receiptOf(tx: FastPayTx): Promise<ChainReceipt> {
  const receipt = await chain.receipt(suite.keccak256(tx.tempoTx!));
  if (!receipt) throw new Error('no receipt');
  return receipt;
}

/** A JSON log line of a sidecar process, or the raw text. */
function jsonLine(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { text: line };
  }
}

const stagesOf = (updates: TxLifecycleUpdate[]) => updates.map((u) => u.stage as number);
const at = (updates: TxLifecycleUpdate[], stage: WireStage) =>
  updates.find((u) => (u.stage as number) === stage)!;
const headOf = async (name: string) => (await client(name).getChainHead({})).blockHeight;
const alphaUsd = async (who: Uint8Array) => chain.balanceOf(ALPHA_USD, who, (await chain.head()).height);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'allegro-settlement-'));
  state = join(dir, 'anvil-state.json');
  // Fund at 1 s blocks, then continue the same chain (anvil --state) at 5 s blocks for the timing tests.
  const funded = await startDevnet({
    port: 0,
    blockTime: 1,
    chainId: 1337n,
    state,
    accounts: [...DEMO_ACCOUNTS, PAYER],
  });
  await funded.stop();
  anvil = await startAnvil({
    port: Number(new URL(funded.rpcUrl).port),
    blockTime: BLOCK_TIME_S,
    chainId: 1337n,
    state,
  });
  chain = createViemChain({ rpcUrl: anvil.rpcUrl });
  pair = await SidecarPair.start(['--rpc-url', anvil.rpcUrl, '--ws-url', anvil.wsUrl]);
  connect('Dave');
  connect('Edgar');
}, 120_000);

afterAll(async () => {
  for (const c of clients.values()) c.close();
  const pids = [...(pair?.processes.values() ?? [])].map((p) => p.pid);
  await pair?.stop();
  await chain?.close();
  await anvil?.stop();
  for (const pid of [...pids, anvil?.pid]) if (pid) expect(pidAlive(pid)).toBe(false);
  await rm(dir, { recursive: true, force: true });
});

describe('settlement on a real Tempo node (anvil --network tempo, Dave and Edgar with --rpc-url)', () => {
  it('settles one payment certified by both sidecars: INCLUDED in the receipt’s block, then FINALIZED', async () => {
    await freshHead();
    const tx = await payerPays(0n, 1_000000n);
    await qcOf(tx);
    const [dave, edgar] = await Promise.all([
      followStages(client('Dave'), tx),
      followStages(client('Edgar'), tx),
    ]);
    const receipt = await receiptOf(tx);
    expect(receipt.success).toBe(true);
    for (const updates of [dave, edgar]) {
      expect(stagesOf(updates)).toEqual([
        WireStage.ACCEPTED,
        WireStage.CERTIFIED,
        WireStage.QUEUED_ONCHAIN,
        WireStage.INCLUDED,
        WireStage.FINALIZED,
      ]);
      expect(at(updates, WireStage.INCLUDED).blockHeight).toBe(receipt.blockNumber);
      expect(at(updates, WireStage.INCLUDED).blockHash).toEqual(receipt.blockHash);
      expect(at(updates, WireStage.FINALIZED).blockHash).toEqual(receipt.blockHash);
    }
    expect(await headOf('Dave')).toBeGreaterThanOrEqual(receipt.blockNumber + 2n);
    expect(await alphaUsd(SHOP)).toBe(1_000000n);
  }, 60_000);

  it('chains Alice → Bob → Carol: both QCs within one block, settled parent first; balances 5 / 5 / 15', async () => {
    const start = await freshHead();
    const pathUsdBefore = await Promise.all([ALICE, BOB].map((a) => chain.balanceOf(PATH_USD, a, start)));
    // One deadline for both: a child may not outlive its parent (read twice, the clock may pass a second).
    const deadline = validBefore();
    const parent = await buildPayment({
      key: ALICE_KEY,
      to: BOB,
      amount: 10_000000n,
      validBefore: deadline,
    });
    const qc1 = await qcOf(parent);
    const heightAtQc1 = await headOf('Dave');
    const child = await buildPayment({
      key: BOB_KEY,
      to: CAROL,
      amount: 10_000000n,
      validBefore: deadline,
      parentQcHash: qc1.qcHash,
    });
    await qcOf(child, [qc1]);
    const heightAtQc2 = await headOf('Dave');
    expect(heightAtQc2 - heightAtQc1).toBeLessThanOrEqual(1n);

    const [parentStages, childStages] = await Promise.all([
      followStages(client('Dave'), parent),
      followStages(client('Edgar'), child, [qc1]),
    ]);
    const [parentReceipt, childReceipt] = await Promise.all([receiptOf(parent), receiptOf(child)]);
    console.log(
      `chained: QC1 at height ${heightAtQc1}, QC2 at ${heightAtQc2}; parent included in ${parentReceipt.blockNumber}, ` +
        `child in ${childReceipt.blockNumber} (block time ${BLOCK_TIME_S} s)`,
    );
    expect(parentReceipt.success && childReceipt.success).toBe(true);
    expect(parentReceipt.blockNumber).toBeGreaterThan(heightAtQc2);
    expect(childReceipt.blockNumber).toBeGreaterThan(parentReceipt.blockNumber);
    expect(at(parentStages, WireStage.INCLUDED).blockHeight).toBe(parentReceipt.blockNumber);
    expect(at(childStages, WireStage.INCLUDED).blockHeight).toBe(childReceipt.blockNumber);
    expect(stagesOf(childStages).at(-1)).toBe(WireStage.FINALIZED);

    expect(await Promise.all([ALICE, BOB, CAROL].map(alphaUsd))).toEqual([5_000000n, 5_000000n, 15_000000n]);
    const height = (await chain.head()).height;
    const pathUsdAfter = await Promise.all([ALICE, BOB].map((a) => chain.balanceOf(PATH_USD, a, height)));
    for (const [i, after] of pathUsdAfter.entries()) expect(after).toBeLessThan(pathUsdBefore[i]!);
  }, 90_000);

  it('survives a node restart and a sidecar crash: sidecars reconnect, nothing certified is lost, all settles', async () => {
    await freshHead();
    const tx1 = await payerPays(1n, 2_000000n);
    const qc1 = await qcOf(tx1);
    const edgarFollows1 = followStages(client('Edgar'), tx1, [], 90_000);
    const heightBefore = (await chain.head()).height;
    const oldPid = anvil.pid;
    await anvil.stop();
    expect(pidAlive(oldPid)).toBe(false);

    const tx2 = await payerPays(2n, 3_000000n);
    const whileDown = await certifyAll(both(), committee, tx2, [qc1]);
    expect(whileDown.qc).toBeDefined();
    payerLastQc = whileDown.qc!;
    const edgarFollows2 = followStages(client('Edgar'), tx2, [], 90_000);
    await pair.processes.get('Dave')!.kill();

    anvil = await startAnvil({ port: anvil.port, blockTime: 1, chainId: 1337n, state });
    await chain.close();
    chain = createViemChain({ rpcUrl: anvil.rpcUrl });
    const daveLog: Record<string, unknown>[] = [];
    const dave = await startSidecarProcess(
      sidecarFlags(DAVE, pair.ports.get('Dave')!, [pair.ports.get('Edgar')!], pair.dir, pair.extra),
      { onLine: (line) => daveLog.push(jsonLine(line)) },
    );
    pair.processes.set('Dave', dave);
    connect('Dave');
    expect(daveLog.find((l) => l.msg === 'sidecar listening')?.restoredLocks).toBeGreaterThanOrEqual(1);

    const [edgar1, edgar2] = await Promise.all([edgarFollows1, edgarFollows2]);
    const receipts = await Promise.all([receiptOf(tx1), receiptOf(tx2)]);
    for (const [i, updates] of [edgar1, edgar2].entries()) {
      expect(receipts[i]!.success).toBe(true);
      expect(stagesOf(updates).at(-1)).toBe(WireStage.FINALIZED);
      expect(at(updates, WireStage.INCLUDED).blockHeight).toBe(receipts[i]!.blockNumber);
    }
    expect(receipts[0]!.blockNumber).toBeGreaterThanOrEqual(heightBefore);
    expect(await headOf('Edgar')).toBeGreaterThan(heightBefore);

    const settled = (qc: QuorumCertificate, stage: string) =>
      daveLog.some((l) => l.msg === 'settlement' && l.txHash === toHex(qc.txHash) && l.stage === stage);
    const qcs = [qc1, whileDown.qc!];
    await expect
      .poll(() => qcs.every((qc) => settled(qc, 'INCLUDED') && settled(qc, 'FINALIZED')), { timeout: 20_000 })
      .toBe(true);
    expect(await alphaUsd(PAYER.address)).toBe(10_000000n - 1_000000n - 2_000000n - 3_000000n);
    console.log(
      `restart: node stopped at height ${heightBefore}, payments included in ${receipts.map((r) => r.blockNumber)}; ` +
        `Dave restored ${daveLog.find((l) => l.msg === 'sidecar listening')?.restoredLocks} locks and logged ` +
        daveLog
          .filter((l) => l.msg === 'settlement')
          .map((l) => l.stage)
          .join(','),
    );
  }, 120_000);

  it('pushes back: with --max-pending-settlements 1 a second payment waits (TEMPORARY_UNAVAILABLE) until the first settles', async () => {
    await pair.processes.get('Dave')!.stop();
    const flags = sidecarFlags(DAVE, pair.ports.get('Dave')!, [pair.ports.get('Edgar')!], pair.dir, [
      ...pair.extra,
      '--max-pending-settlements',
      '1',
    ]);
    pair.processes.set('Dave', await startSidecarProcess(flags));
    connect('Dave');
    // Mining paused: the first payment, once certified and forwarded, stays in Dave's queue (bound 1) until the
    // second has been refused, however slow the machine; the payer's earlier payments are already included.
    await nodeRpc(anvil.rpcUrl, 'evm_setIntervalMining', [0]);
    let second: FastPayTx;
    let first: Awaited<ReturnType<typeof certifyAll>>;
    try {
      first = await certifyAll(both(), committee, await payerPays(3n, 1_000000n), [payerLastQc]);
      expect(
        first.qc,
        JSON.stringify(first.answers, (_k, v) => (typeof v === 'bigint' ? `${v}` : v)),
      ).toBeDefined();
      second = await payerPays(4n, 1_000000n);
      const refused = await submitTo(client('Dave'), second, [first.qc!], 1);
      expect(refused).toMatchObject({ reject: { code: RejectCode.TEMPORARY_UNAVAILABLE } });
      expect('reject' in refused && refused.reject.message).toMatch(/settlement queue full/);
    } finally {
      await nodeRpc(anvil.rpcUrl, 'evm_setIntervalMining', [BLOCK_TIME_S]);
    }
    const started = Date.now();
    const admitted = await submitTo(client('Dave'), second, [first.qc!], 600);
    expect('cert' in admitted).toBe(true);
    console.log(`push-back: the second payment was admitted ${Date.now() - started} ms after the refusal`);
  }, 180_000);
});
