import { numberToBytes } from 'viem';
import { type Devnet, startDevnet } from '../../src/chain/devnet.ts';
import { buildPayment } from '../../src/client/build-payment.ts';
import { toHex } from '../../src/protocol/bytes.ts';
import {
  type AggregatorProcess,
  startAggregatorProcess,
} from '../../src/services/aggregator/aggregator-process.ts';
import { ALICE_KEY, ALPHA_USD, BOB, DAVE, EDGAR } from './demo-keys.ts';
import { type RedisServer, startRedisServer } from './redis-server.ts';
import { SidecarPair } from './sidecar-pair.ts';
import { suite } from './validator-harness.ts';

/** A Tempo devnet (anvil), Dave and Edgar settling on it, and a private redis-server. */
export interface ChainEnv {
  readonly devnet: Devnet;
  readonly pair: SidecarPair;
  readonly redis: RedisServer;
  /** Pids of every process started, to check they are gone after `stop`. */
  pids(): number[];
  stop(): Promise<void>;
}

export async function startChainEnv(blockTime: number): Promise<ChainEnv> {
  const redis = await startRedisServer({ appendonly: true, appendfsync: 'always' });
  const devnet = await startDevnet({ port: 0, blockTime, chainId: 1337n });
  const pair = await SidecarPair.start(['--rpc-url', devnet.rpcUrl, '--ws-url', devnet.wsUrl], [DAVE, EDGAR]);
  return {
    devnet,
    pair,
    redis,
    pids: () => [redis.pid, devnet.pid, ...[...pair.processes.values()].map((p) => p.pid)],
    async stop() {
      await pair.stop();
      await devnet.stop();
      await redis.stop();
    },
  };
}

/** `allegro aggregator` flags for `env`: ephemeral ports, a Redis store under `prefix`, the chain, pubsub. */
export function aggregatorFlags(env: ChainEnv, prefix: string, extra: string[] = []): string[] {
  return [
    '--sidecars',
    [env.pair.url('Dave'), env.pair.url('Edgar')].join(','),
    '--listen',
    '127.0.0.1:0',
    '--http-listen',
    '127.0.0.1:0',
    '--chain-id',
    '1337',
    '--store',
    `${env.redis.url}?prefix=${prefix}:`,
    '--rpc-url',
    env.devnet.rpcUrl,
    '--ws-url',
    env.devnet.wsUrl,
    '--pubsub',
    env.redis.url,
    '--finality-depth',
    '1',
    '--mirror-interval-ms',
    '200',
    ...extra,
  ];
}

export function startAggregator(flags: string[]): Promise<AggregatorProcess> {
  return startAggregatorProcess(flags, { env: { ...process.env, ALLEGRO_LOG_LEVEL: 'info' } });
}

/** A signed Alice → Bob AlphaUSD payment on lane `lane` (seq 0), valid 10 minutes, and its FastPay tx hash. */
export function alicePays(lane: number, amount = 100_000n, seq = 0n) {
  const built = buildPayment({
    suite,
    account: ALICE_KEY,
    to: BOB,
    amount,
    asset: ALPHA_USD,
    chainId: 1337n,
    lane: { nonceKey: numberToBytes(BigInt(lane), { size: 32 }) },
    seq,
    validBefore: BigInt(Math.floor(Date.now() / 1000) + 600),
  });
  return { signedTx: toHex(built.tx.tempoTx!), txHash: toHex(built.txHash), built };
}
