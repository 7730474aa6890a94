import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateKeyToAddress } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { FastPaySidecar, type SubmitFastPayEvent } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import { type AnvilProcess, startAnvil } from '../../src/chain/anvil-process.ts';
import type { ChainPort } from '../../src/chain/chain-port.ts';
import type { DemoAccount } from '../../src/chain/demo-accounts.ts';
import { startDevnet } from '../../src/chain/devnet.ts';
import { createViemChain } from '../../src/chain/viem-chain.ts';
import { fromHex, toHex } from '../../src/protocol/bytes.ts';
import { WireStage } from '../../src/protocol/stage.ts';
import { startSidecarProcess } from '../../src/services/sidecar/sidecar-process.ts';
import { submitRequestToProto } from '../../src/wire/convert-request.ts';
import { createClient } from '../../src/wire/grpc-client.ts';
import { ALPHA_USD, DAVE } from '../support/demo-keys.ts';
import { eventually } from '../support/eventually.ts';
import { buildPayment } from '../support/payment-builder.ts';
import { pidAlive } from '../support/pid-alive.ts';
import { followStages, type SidecarClient } from '../support/sidecar-calls.ts';
import { SidecarPair, sidecarFlags } from '../support/sidecar-pair.ts';
import { suite } from '../support/validator-harness.ts';

const PAYER_KEY = `0x${'47'.repeat(32)}` as const;
const PAYER: DemoAccount = {
  name: 'Payer',
  privateKey: fromHex(PAYER_KEY),
  address: fromHex(privateKeyToAddress(PAYER_KEY)),
  alphaUsd: 10_000000n,
};
const SHOP = fromHex(privateKeyToAddress(`0x${'57'.repeat(32)}`));
/** Long enough that a forwarded payment is still in the node's pool when the sidecar is killed. */
const BLOCK_TIME_S = 4;

let dir: string;
let anvil: AnvilProcess;
let chain: ChainPort;
let pair: SidecarPair;
let dave: SidecarClient | undefined;

/** A WebSocket server on 127.0.0.1 (the sidecar's `--inspect` receiver) that keeps every message, parsed. */
async function receiver() {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((resolve) => server.once('listening', resolve));
  const messages: Record<string, unknown>[] = [];
  server.on('connection', (socket) =>
    socket.on('message', (data) => messages.push(JSON.parse(String(data)))),
  );
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    messages,
    close: () => {
      for (const socket of server.clients) socket.terminate();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A JSON log line of a sidecar process, or the raw text. */
function jsonLine(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { text: line };
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'allegro-settlement-restore-'));
  const state = join(dir, 'anvil-state.json');
  const funded = await startDevnet({ port: 0, blockTime: 1, chainId: 1337n, state, accounts: [PAYER] });
  await funded.stop();
  anvil = await startAnvil({
    port: Number(new URL(funded.rpcUrl).port),
    blockTime: BLOCK_TIME_S,
    chainId: 1337n,
    state,
  });
  chain = createViemChain({ rpcUrl: anvil.rpcUrl });
  pair = await SidecarPair.start(['--rpc-url', anvil.rpcUrl, '--ws-url', anvil.wsUrl], [DAVE]);
  dave = createClient(FastPaySidecar, pair.url('Dave'));
}, 120_000);

afterAll(async () => {
  dave?.close();
  const pids = [...(pair?.processes.values() ?? [])].map((p) => p.pid);
  await pair?.stop();
  await chain?.close();
  await anvil?.stop();
  for (const pid of [...pids, anvil?.pid]) if (pid) expect(pidAlive(pid)).toBe(false);
  await rm(dir, { recursive: true, force: true });
});

describe('settlement restore on a real Tempo node', () => {
  it('after a kill -9 right after forwarding, the restarted sidecar does not forward it anew (restored as forwarded, or released at its first head) and it reaches INCLUDED exactly once; its settlement machine shows in the --inspect receiver', async () => {
    const tx = await buildPayment({
      key: PAYER_KEY,
      to: SHOP,
      amount: 2_000000n,
      validBefore: BigInt(Math.floor(Date.now() / 1000) + 600),
    });
    const chainTxHash = suite.keccak256(tx.tempoTx!);
    const stream = dave!.submitFastPayStream(submitRequestToProto({ tx, parentQcs: [] }), {
      timeoutMs: 60_000,
    });
    const before: number[] = [];
    for await (const { event } of stream as AsyncIterable<SubmitFastPayEvent>) {
      if (event.case === 'reject') throw new Error(`rejected: ${event.value.message}`);
      if (event.case !== 'lifecycle') continue;
      before.push(event.value.stage as number);
      if ((event.value.stage as number) === WireStage.QUEUED_ONCHAIN) break;
    }
    await pair.processes.get('Dave')!.kill();
    const includedAtKill = await chain.receipt(chainTxHash);
    expect(before).toEqual([WireStage.ACCEPTED, WireStage.CERTIFIED, WireStage.QUEUED_ONCHAIN]);

    const log: Record<string, unknown>[] = [];
    const inspector = await receiver();
    const flags = sidecarFlags(DAVE, pair.ports.get('Dave')!, [], pair.dir, [
      ...pair.extra,
      '--inspect',
      inspector.url,
    ]);
    pair.processes.set(
      'Dave',
      await startSidecarProcess(flags, { onLine: (line) => log.push(jsonLine(line)) }),
    );
    dave!.close();
    dave = createClient(FastPaySidecar, pair.url('Dave'));
    expect(log.find((l) => l.msg === 'sidecar listening')?.restoredLocks).toBe(1);

    const after = await followStages(dave!, tx);
    const receipt = await chain.receipt(chainTxHash);
    expect(receipt?.success).toBe(true);
    const stages = after.map((u) => u.stage as number);
    expect(stages.filter((s) => s === WireStage.INCLUDED)).toHaveLength(1);
    expect(stages.at(-1)).toBe(WireStage.FINALIZED);
    expect(after.find((u) => (u.stage as number) === WireStage.INCLUDED)?.blockHeight).toBe(
      receipt!.blockNumber,
    );
    const settled = log.filter((l) => l.msg === 'settlement' && l.txHash === toHex(after[0]!.txHash));
    expect(settled.map((l) => l.stage)).toEqual(['INCLUDED', 'FINALIZED']);
    await eventually(() => {
      const values = inspector.messages
        .filter((m) => m.type === '@xstate.snapshot')
        .map((m) => (m.snapshot as { value?: unknown }).value)
        .filter((v) => v !== undefined);
      expect(values).toContain('included');
      expect(values.at(-1)).toBe('finalized');
    });
    expect(inspector.messages.find((m) => m.type === '@xstate.actor')?.name).toBe(
      `settlement ${toHex(after[0]!.txHash).slice(0, 10)}`,
    );
    await inspector.close();
    const head = (await chain.head()).height;
    expect(await chain.balanceOf(ALPHA_USD, SHOP, head)).toBe(2_000000n);
    expect(await chain.nonce(PAYER.address, tx.nonce!.nonceKey, head)).toBe(1n);
    console.log(
      `kill -9 after QUEUED_ONCHAIN: ${includedAtKill ? `already included in ${includedAtKill.blockNumber}` : 'not yet included'}; ` +
        `restarted sidecar logged ${settled.map((l) => l.stage).join(',')}; included in ${receipt!.blockNumber}`,
    );
  }, 120_000);
});
