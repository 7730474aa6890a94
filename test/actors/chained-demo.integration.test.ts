import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActorSystem } from '../../src/actors/actor-system.ts';
import type { ChainPort } from '../../src/chain/chain-port.ts';
import { DEMO_ACCOUNTS } from '../../src/chain/demo-accounts.ts';
import { connectEscrow, type EscrowChain } from '../../src/chain/escrow/escrow-chain.ts';
import { ALPHA_USD } from '../../src/chain/tempo-tokens.ts';
import { createViemChain } from '../../src/chain/viem-chain.ts';
import { trackedClient } from '../../src/client/tracked-client.ts';
import { fromHex, toHex } from '../../src/protocol/bytes.ts';
import { type DemoNetwork, startDemoNetwork } from '../../src/services/demo/demo-network.ts';
import { runChainedDemo } from '../../src/services/demo/demo-script.ts';
import { LmdbStore } from '../../src/store/lmdb-store.ts';
import { MemoryStore } from '../../src/store/memory-store.ts';
import { eventually } from '../support/eventually.ts';
import { pidAlive } from '../support/pid-alive.ts';

const [ALICE, , CAROL] = DEMO_ACCOUNTS;
let network: DemoNetwork;
let chain: ChainPort;
let dir: string;

beforeAll(async () => {
  network = await startDemoNetwork({ validators: 2, blockTime: 5, chainId: 1337n, epoch: 1n });
  chain = createViemChain({ rpcUrl: network.devnet.rpcUrl, wsUrl: network.devnet.wsUrl });
  dir = await mkdtemp(join(tmpdir(), 'allegro-restart-'));
}, 120_000);

afterAll(async () => {
  await chain?.close();
  const pids = [network?.devnet.pid, ...(network?.sidecars.processes.values() ?? [])].flatMap((p) =>
    p === undefined ? [] : [typeof p === 'number' ? p : p.pid],
  );
  await network?.stop();
  for (const pid of pids) expect(pidAlive(pid)).toBe(false);
  await rm(dir, { recursive: true, force: true });
});

describe('the chained demo on a devnet with Dave and Edgar settling (anvil --network tempo, 5 s blocks)', () => {
  it('forms QC2 in the block of QC1, before the next block; includes both later; balances 5 / 5 / 15', async () => {
    const system = await ActorSystem.start({
      committee: network.sidecars.committee,
      store: new MemoryStore(),
      chain,
    });
    const lines: string[] = [];
    try {
      const report = await runChainedDemo({ system, chain, print: (line) => lines.push(line) });
      const [parent, child] = report.payments.map((p) => p.context);
      const qc1 = BigInt(parent!.blockAtQc!);
      expect(parent!.blockAtSubmit).toBe(String(qc1));
      expect(child!.blockAtSubmit).toBe(String(qc1));
      expect(child!.blockAtQc).toBe(String(qc1));
      expect(child!.parentQcHash).toBe(parent!.qcHash);
      const included = [parent!, child!].map((c) => BigInt(c.inclusion!.blockNumber));
      expect(included[0]).toBeGreaterThan(qc1);
      expect(included[1]).toBeGreaterThanOrEqual(included[0]!);
      for (const c of [parent!, child!]) {
        const receipt = await chain.receipt(fromHex(c.chainTxHash!));
        expect(receipt).toMatchObject({ success: true, blockNumber: BigInt(c.inclusion!.blockNumber) });
        expect(c.stageTimes.QC_FORMED!).toBeLessThan(c.stageTimes.INCLUDED!);
      }
      expect(report.balances?.byName).toEqual({ Alice: 5_000000n, Bob: 5_000000n, Carol: 15_000000n });
      expect(lines.join('\n')).toContain(`QC2 formed at block ${qc1} (the height has not moved)`);
    } finally {
      await system.stop();
    }
  }, 90_000);

  it('brings a payment queued on chain when the process stopped to included after a restart', async () => {
    const first = await LmdbStore.open(dir);
    const before = await ActorSystem.start({ committee: network.sidecars.committee, store: first, chain });
    const carol = trackedClient(before, { account: CAROL!.privateKey, store: new MemoryStore() });
    const paid = await carol.sendPayment({ to: ALICE!.address, amount: 1_000000n });
    const txHash = toHex(paid.txHash);
    await eventually(() => {
      const view = before.payments.get(txHash)!;
      expect(view.stage).toBe('QUEUED_ONCHAIN');
      expect(view.context.qcHash).toBe(toHex(paid.qc.qcHash));
    });
    await carol.close();
    await before.stop();
    await first.close();

    const second = await LmdbStore.open(dir);
    const after = await ActorSystem.start({ committee: network.sidecars.committee, store: second, chain });
    try {
      expect(after.payments.get(txHash)?.stage).toBe('QUEUED_ONCHAIN');
      await eventually(() => expect(after.payments.get(txHash)?.stage).toMatch(/INCLUDED|FINALIZED/), 30_000);
      const view = after.payments.get(txHash)!;
      const receipt = await chain.receipt(fromHex(view.context.chainTxHash!));
      expect(view.context.inclusion?.blockNumber).toBe(String(receipt!.blockNumber));
      expect(view.context.stageTimes.SUBMITTED).toBeLessThan(view.context.stageTimes.INCLUDED!);
    } finally {
      await after.stop();
      await second.close();
    }
  }, 60_000);
});

describe('the chained demo in escrow mode (AllegroEscrow on the devnet, Dave and Edgar settling)', () => {
  let escrowNetwork: DemoNetwork;
  let escrowNode: ChainPort;
  let escrow: EscrowChain;

  beforeAll(async () => {
    escrowNetwork = await startDemoNetwork({
      validators: 2,
      blockTime: 5,
      chainId: 1337n,
      epoch: 1n,
      escrow: true,
    });
    const { devnet } = escrowNetwork;
    escrowNode = createViemChain({ rpcUrl: devnet.rpcUrl, wsUrl: devnet.wsUrl });
    escrow = await connectEscrow({ rpcUrl: devnet.rpcUrl, escrow: devnet.escrow!.address });
  }, 120_000);

  afterAll(async () => {
    await escrow?.close();
    await escrowNode?.close();
    const pids = [
      escrowNetwork?.devnet.pid,
      ...[...(escrowNetwork?.sidecars.processes.values() ?? [])].map((p) => p.pid),
    ];
    await escrowNetwork?.stop();
    for (const pid of pids) if (pid) expect(pidAlive(pid)).toBe(false);
  });

  it('forms both QCs in one block, every escape of Alice fails, both settle: escrow balances 5 / 5 / 15', async () => {
    const system = await ActorSystem.start({
      committee: escrowNetwork.sidecars.committee,
      store: new MemoryStore(),
      chain: escrowNode,
    });
    const lines: string[] = [];
    try {
      const report = await runChainedDemo({
        system,
        chain: escrowNode,
        print: (line) => lines.push(line),
        escrow: { chain: escrow, node: escrowNode },
      });
      const [parent, child] = report.payments.map((p) => p.context);
      const qc1 = BigInt(parent!.blockAtQc!);
      expect(child!.blockAtQc).toBe(String(qc1));
      const included = [parent!, child!].map((c) => BigInt(c.inclusion!.blockNumber));
      expect(included[0]).toBeGreaterThan(qc1);
      expect(included[1]).toBeGreaterThanOrEqual(included[0]!);
      const text = lines.join('\n');
      expect(text).toMatch(/escape 1: .*\(BelowThreshold\)/);
      expect(text).toMatch(/escape 2: .*sidecars: EQUIVOCATION, EQUIVOCATION/);
      expect(text).toMatch(/escape 3: .*\(WithdrawalNotReady\)/);
      expect(text).toMatch(/escape 4: /);
      expect(report.escrow).toBe(true);
      expect(report.balances?.byName).toEqual({ Alice: 5_000000n, Bob: 5_000000n, Carol: 15_000000n });
      const at = report.balances!.atBlock;
      expect(await escrow.announcedOf(ALICE!.address, ALPHA_USD, at)).toBe(5_000000n);
      expect(await escrowNode.balanceOf(ALPHA_USD, ALICE!.address, at)).toBe(0n);
    } finally {
      await system.stop();
    }
  }, 120_000);
});
