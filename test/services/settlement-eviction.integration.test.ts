import { numberToBytes } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import type { ChainPort } from '../../src/chain/chain-port.ts';
import { DEMO_ACCOUNTS, type DemoAccount } from '../../src/chain/demo-accounts.ts';
import { type Devnet, startDevnet } from '../../src/chain/devnet.ts';
import { createViemChain } from '../../src/chain/viem-chain.ts';
import { fromHex, toHex } from '../../src/protocol/bytes.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import { WireStage } from '../../src/protocol/stage.ts';
import type { FastPayTx, QuorumCertificate } from '../../src/protocol/types.ts';
import { createClient } from '../../src/wire/grpc-client.ts';
import { ALPHA_USD, DAVE, EDGAR } from '../support/demo-keys.ts';
import { type JsonRpcCall, JsonRpcRelay } from '../support/json-rpc-relay.ts';
import { buildPayment } from '../support/payment-builder.ts';
import { pidAlive } from '../support/pid-alive.ts';
import { certifyAll, followStages, type SidecarClient, submitTo } from '../support/sidecar-calls.ts';
import { SidecarPair } from '../support/sidecar-pair.ts';
import { committeeOf, suite } from '../support/validator-harness.ts';

const account = (name: string, byte: string): DemoAccount & { key: `0x${string}` } => {
  const key = `0x${byte.repeat(32)}` as const;
  return {
    name,
    key,
    privateKey: fromHex(key),
    address: fromHex(privateKeyToAddress(key)),
    alphaUsd: 10_000000n,
  };
};
const HONEST = account('Honest', '61');
const ATTACKER = account('Attacker', '62');
const ATTACKER2 = account('Attacker2', '64');
const HONEST2 = account('Honest2', '65');
const SHOP = fromHex(privateKeyToAddress(`0x${'63'.repeat(32)}`));
/** The sidecar's last-resort queue bound: the attacker fills it. */
const MAX_PENDING = 4;
const committee = committeeOf([DAVE]);

let devnet: Devnet;
let chain: ChainPort;
let relay: JsonRpcRelay;
let pair: SidecarPair;
let dave: SidecarClient;
/** A second sidecar with the default (large) queue bound and a small per-sender quota. */
let quotaPair: SidecarPair;
let edgar: SidecarClient;
const QUOTA = 3;

/** Raw txs (hex) the node refuses; their sends are held until `releaseRefusals` so the queue stays full meanwhile. */
const refused = new Set<string>();
let releaseRefusals: () => void = () => {};
const refusalsReleased = new Promise<void>((resolve) => {
  releaseRefusals = resolve;
});
let refusals = 0;

/** Raw txs the node refuses without end (the quota attack): they stay pending while the test runs. */
const stalled = new Set<string>();
let releaseStalled: () => void = () => {};
const stalledReleased = new Promise<void>((resolve) => {
  releaseStalled = resolve;
});

async function refuseAttackerTxs(call: JsonRpcCall): Promise<object | undefined> {
  if (call.method !== 'eth_sendRawTransaction') return undefined;
  if (stalled.has(String(call.params?.[0]))) {
    await stalledReleased;
    return { jsonrpc: '2.0', id: call.id, error: { code: -32003, message: 'fee token not accepted' } };
  }
  if (!refused.has(String(call.params?.[0]))) return undefined;
  await refusalsReleased;
  refusals++;
  return { jsonrpc: '2.0', id: call.id, error: { code: -32003, message: 'fee token not accepted' } };
}

const validBefore = () => BigInt(Math.floor(Date.now() / 1000) + 600);
const LANE = 1n;
const pays = (who: typeof HONEST, seq: bigint) =>
  buildPayment({ key: who.key, to: SHOP, amount: 1_000n, nonceKey: LANE, seq, validBefore: validBefore() });

beforeAll(async () => {
  devnet = await startDevnet({
    port: 0,
    blockTime: 1,
    chainId: 1337n,
    accounts: [...DEMO_ACCOUNTS, HONEST, ATTACKER, HONEST2, ATTACKER2],
  });
  chain = createViemChain({ rpcUrl: devnet.rpcUrl });
  relay = new JsonRpcRelay(devnet.rpcUrl);
  relay.intercept = refuseAttackerTxs;
  const relayUrl = await relay.listen();
  pair = await SidecarPair.start(
    [
      ...['--rpc-url', relayUrl, '--ws-url', devnet.wsUrl],
      ...['--max-pending-settlements', String(MAX_PENDING), '--evict-after-refusals', '2'],
      ...['--cool-off-ms', '600000'],
    ],
    [DAVE],
  );
  dave = createClient(FastPaySidecar, pair.url('Dave'));
  quotaPair = await SidecarPair.start(
    [...['--rpc-url', relayUrl, '--ws-url', devnet.wsUrl], ...['--max-pending-per-sender', String(QUOTA)]],
    [EDGAR],
  );
  edgar = createClient(FastPaySidecar, quotaPair.url('Edgar'));
}, 120_000);

afterAll(async () => {
  releaseRefusals();
  releaseStalled();
  dave?.close();
  edgar?.close();
  const pids = [...(pair?.processes.values() ?? []), ...(quotaPair?.processes.values() ?? [])].map(
    (p) => p.pid,
  );
  await pair?.stop();
  await quotaPair?.stop();
  await relay?.close();
  await chain?.close();
  await devnet?.stop();
  for (const pid of [...pids, devnet?.pid]) if (pid) expect(pidAlive(pid)).toBe(false);
});

describe('settlement under a queue-filling attack (anvil --network tempo, a sidecar process behind a refusing node)', () => {
  it('evicts the txs the node refuses, cools their sender off and serves an honest payer', async () => {
    const attack: FastPayTx[] = [];
    /** Each payment of a lane shows the QC of the one before (FastPay's confirmation order). */
    const qcs: QuorumCertificate[] = [];
    const previous = (seq: number) => (seq === 0 ? [] : [qcs[seq - 1]!]);
    for (let seq = 0; seq < MAX_PENDING; seq++) {
      const tx = await pays(ATTACKER, BigInt(seq));
      refused.add(toHex(tx.tempoTx!));
      attack.push(tx);
      const { qc } = await certifyAll([dave], committee, tx, previous(seq));
      expect(qc).toBeDefined();
      qcs.push(qc!);
    }

    const honest = await pays(HONEST, 0n);
    const whileFull = await submitTo(dave, honest, [], 1);
    expect(whileFull).toMatchObject({ reject: { code: RejectCode.TEMPORARY_UNAVAILABLE } });
    expect('reject' in whileFull && whileFull.reject.message).toMatch(/settlement queue full/);

    releaseRefusals();
    await expect.poll(() => refusals, { timeout: 30_000 }).toBe(2 * MAX_PENDING);
    const again = await submitTo(dave, await pays(ATTACKER, BigInt(MAX_PENDING)), previous(MAX_PENDING), 20);
    expect(again).toMatchObject({ reject: { code: RejectCode.RATE_LIMITED } });
    expect(await submitTo(dave, honest, [], 20)).toHaveProperty('cert');

    const attackStages = await Promise.all(attack.map((tx, seq) => followStages(dave, tx, previous(seq))));
    for (const updates of attackStages) {
      const last = updates.at(-1)!;
      expect(last.stage as number).toBe(WireStage.FAILED);
      expect(last.message).toMatch(/^evicted: node refused it 2 times: .*fee token not accepted/);
    }
    expect(refusals).toBe(2 * MAX_PENDING);
    const honestStages = await followStages(dave, honest);
    expect(honestStages.map((u) => u.stage as number)).toContain(WireStage.INCLUDED);
    const receipt = await chain.receipt(suite.keccak256(honest.tempoTx!));
    expect(receipt?.success).toBe(true);
    expect(await chain.balanceOf(ALPHA_USD, SHOP, receipt!.blockNumber)).toBe(1_000n);
    expect(await chain.nonce(ATTACKER.address, numberToBytes(LANE, { size: 32 }), receipt!.blockNumber)).toBe(
      0n,
    );
  }, 120_000);
});

describe('a per-sender quota under the same attack (default queue bound)', () => {
  it('the attacker fills only its own quota (RATE_LIMITED) while an honest payer is served and settles', async () => {
    const edgarCommittee = committeeOf([EDGAR]);
    const qcs: QuorumCertificate[] = [];
    const previous = (seq: number) => (seq === 0 ? [] : [qcs[seq - 1]!]);
    for (let seq = 0; seq < QUOTA; seq++) {
      const tx = await pays(ATTACKER2, BigInt(seq));
      stalled.add(toHex(tx.tempoTx!));
      const { qc } = await certifyAll([edgar], edgarCommittee, tx, previous(seq));
      expect(qc).toBeDefined();
      qcs.push(qc!);
    }
    const over = await submitTo(edgar, await pays(ATTACKER2, BigInt(QUOTA)), previous(QUOTA), 1);
    expect(over).toMatchObject({ reject: { code: RejectCode.RATE_LIMITED } });
    expect('reject' in over && over.reject.message).toMatch(/quota full: 3 pending/);

    const honest = await pays(HONEST2, 0n);
    expect(await submitTo(edgar, honest, [], 1)).toHaveProperty('cert');
    const stages = await followStages(edgar, honest);
    expect(stages.map((u) => u.stage as number)).toContain(WireStage.INCLUDED);
    expect(await chain.receipt(suite.keccak256(honest.tempoTx!))).toMatchObject({ success: true });
  }, 120_000);
});
