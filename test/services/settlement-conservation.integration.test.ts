import { privateKeyToAddress } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import type { ChainPort } from '../../src/chain/chain-port.ts';
import { type Devnet, startDevnet } from '../../src/chain/devnet.ts';
import { createViemChain } from '../../src/chain/viem-chain.ts';
import { conservationKey, runConservation } from '../../src/chaos/conservation.ts';
import { fromHex, repeatByte } from '../../src/protocol/bytes.ts';
import { createClient } from '../../src/wire/grpc-client.ts';
import { DAVE, EDGAR } from '../support/demo-keys.ts';
import { pidAlive } from '../support/pid-alive.ts';
import { certifyAll, type SidecarClient } from '../support/sidecar-calls.ts';
import { SidecarPair } from '../support/sidecar-pair.ts';
import { committeeOf } from '../support/validator-harness.ts';

const FRANK = { name: 'Frank', id: repeatByte(0xf1, 32), seed: repeatByte(0x43, 32) };
const GRACE = { name: 'Grace', id: repeatByte(0xa1, 32), seed: repeatByte(0x44, 32) };
const VALIDATORS = [DAVE, EDGAR, FRANK, GRACE];
const committee = committeeOf(VALIDATORS);

const ACCOUNTS = 12;
const ATTEMPTS = 220;
const INITIAL = 10_000000n;

const accounts = Array.from({ length: ACCOUNTS }, (_, i) => ({
  key: conservationKey(i),
  address: fromHex(privateKeyToAddress(conservationKey(i))),
}));

let devnet: Devnet;
let chain: ChainPort;
let group: SidecarPair;
let clients: SidecarClient[] = [];

beforeAll(async () => {
  devnet = await startDevnet({
    port: 0,
    // Two seconds: children are certified on credit (before their parent lands) also on a starved machine.
    blockTime: 2,
    chainId: 1337n,
    accounts: accounts.map((a, i) => ({
      name: `P${i}`,
      privateKey: fromHex(a.key),
      address: a.address,
      alphaUsd: INITIAL,
    })),
  });
  chain = createViemChain({ rpcUrl: devnet.rpcUrl });
  group = await SidecarPair.start(['--rpc-url', devnet.rpcUrl, '--ws-url', devnet.wsUrl], VALIDATORS);
  clients = VALIDATORS.map((v) => createClient(FastPaySidecar, group.url(v.name)));
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.close();
  const pids = [...(group?.processes.values() ?? [])].map((p) => p.pid);
  await group?.stop();
  await chain?.close();
  await devnet?.stop();
  for (const pid of [...pids, devnet?.pid]) if (pid) expect(pidAlive(pid)).toBe(false);
});

describe('conservation through 4 sidecars on a real Tempo node (committee of 4, f = 1)', () => {
  it('settles every QC’d payment with success, conserves the token, never certifies beyond funds', async () => {
    const report = await runConservation(
      {
        accounts: ACCOUNTS,
        attempts: ATTEMPTS,
        initial: INITIAL,
        maxPlain: 3_000000n,
        validBefore: BigInt(Math.floor(Date.now() / 1000) + 600),
        seed: Date.now() >>> 0,
        paceMs: 60,
        chain,
        certify: async (tx, parentQcs, parentTxs) => {
          const { answers, qc } = await certifyAll(clients, committee, tx, parentQcs, parentTxs);
          return { certs: answers.filter((a) => 'cert' in a).length, ...(qc ? { qc } : {}) };
        },
      },
      90_000,
    );
    console.log(`conservation: ${report.summary}`);

    expect(report.payments.length).toBeGreaterThanOrEqual(200);
    expect(report.chainedQcs).toBeGreaterThanOrEqual(20);
    expect(report.onCredit).toBeGreaterThan(0);
    expect(report.violations).toEqual([]);
  }, 150_000);
});
