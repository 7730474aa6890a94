import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberToBytes } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import type { DemoAccount } from '../chain/demo-accounts.ts';
import { type Devnet, startDevnet } from '../chain/devnet.ts';
import { AllegroClient } from '../client/allegro-client.ts';
import { fromHex, toHex } from '../protocol/bytes.ts';
import { createNodeCryptoSuite } from '../protocol/crypto/node-suite.ts';
import { type AggregatorProcess, startAggregatorProcess } from '../services/aggregator/aggregator-process.ts';
import { demoValidators } from '../services/demo/demo-validators.ts';
import { type SidecarCommittee, startSidecarCommittee } from '../services/demo/sidecar-committee.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { grpcTransport } from '../wire/grpc-transport.ts';
import type { SidecarTransport } from '../wire/sidecar-transport.ts';

/** What the latency, fan-out and memory figures run on: real processes on 127.0.0.1. */
export interface BenchNetwork {
  readonly devnet: Devnet;
  readonly sidecars: SidecarCommittee;
  readonly aggregator: AggregatorProcess;
  /** Funded payers, each with its own client (one lane each: a sender has one live lane). */
  readonly payers: readonly AllegroClient[];
  /** Where payments go (an unfunded account). */
  readonly recipient: Uint8Array;
  stop(): Promise<void>;
}

/** Payer `i`'s key: deterministic, distinct from the demo accounts. */
const payerKey = (i: number) => numberToBytes(0xbe0000n + BigInt(i), { size: 32 });

/**
 * Starts a Tempo devnet (1 s blocks) funding `payers` accounts with 1,000 AlphaUSD and 1,000 pathUSD of fees
 * each, a committee of 4 sidecar processes (f = 1, LMDB stores) following it, and an aggregator (memory store)
 * watching them; one AllegroClient per payer over gRPC. Whatever started is stopped if a later step fails.
 */
export async function startBenchNetwork(payers: number): Promise<BenchNetwork> {
  const dir = await mkdtemp(join(tmpdir(), 'allegro-bench-net-'));
  const stops: (() => Promise<void>)[] = [async () => rm(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
  };
  try {
    const accounts: DemoAccount[] = Array.from({ length: payers }, (_, i) => ({
      name: `payer${i}`,
      privateKey: payerKey(i),
      address: fromHex(privateKeyToAddress(toHex(payerKey(i)) as `0x${string}`), 20),
      alphaUsd: 1_000_000000n,
    }));
    const devnet = await startDevnet({
      port: 0,
      blockTime: 1,
      chainId: 1337n,
      accounts,
      feeAllowance: 1_000_000000n,
    });
    stops.push(() => devnet.stop());
    const sidecars = await startSidecarCommittee({
      validators: demoValidators(4),
      chainId: 1337n,
      epoch: 1n,
      dir,
      flags: ['--rpc-url', devnet.rpcUrl, '--ws-url', devnet.wsUrl, '--gossip-interval-ms', '500'],
    });
    stops.push(() => sidecars.stop());
    const { committee } = sidecars;
    const aggregator = await startAggregatorProcess(
      [
        ...['--sidecars', committee.members.map((m) => m.url!).join(',')],
        ...['--listen', '127.0.0.1:0', '--http-listen', '127.0.0.1:0'],
        ...['--chain-id', '1337', '--epoch', '1', '--store', 'memory'],
        ...['--rpc-url', devnet.rpcUrl, '--ws-url', devnet.wsUrl],
      ],
      // Info level: its readiness is the "aggregator listening" line (at warn it never comes).
      { env: { ...process.env, ALLEGRO_LOG_LEVEL: 'info' } },
    );
    stops.push(() => aggregator.stop());
    const suite = createNodeCryptoSuite();
    const transports: SidecarTransport[] = committee.members.map((m) => grpcTransport(m.url!));
    stops.push(async () => {
      for (const t of transports) t.close();
    });
    const clients = accounts.map(
      (a) =>
        new AllegroClient({ committee, transports, account: a.privateKey, store: new MemoryStore(), suite }),
    );
    stops.push(async () => {
      await Promise.all(clients.map((c) => c.close()));
    });
    return {
      devnet,
      sidecars,
      aggregator,
      payers: clients,
      recipient: fromHex('0x00000000000000000000000000000000000b3c4e', 20),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
