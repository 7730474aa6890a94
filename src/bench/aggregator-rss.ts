import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PaymentSystem } from '../actors/payment-system.ts';
import { SIDECAR_HEAD_SOURCE } from '../chain/head-source.ts';
import { DEFAULT_RETRY_POLICY } from '../client/retry-policy.ts';
import { toHex } from '../protocol/bytes.ts';
import { signCertificate } from '../protocol/certificate.ts';
import { type Committee, quorumThreshold } from '../protocol/committee.ts';
import { createNodeCryptoSuite } from '../protocol/crypto/node-suite.ts';
import { effectsHash } from '../protocol/hashing.ts';
import type { Effects } from '../protocol/types.ts';
import { Aggregator } from '../services/aggregator/aggregator.ts';
import { aggregatorMetrics } from '../services/aggregator/aggregator-metrics.ts';
import { PaymentRecords } from '../services/aggregator/payment-records.ts';
import { Metrics } from '../services/http/metrics.ts';
import { BulletinBoard } from '../services/shared/bulletin-board.ts';
import { openStore } from '../store/open-store.ts';
import { createLogger } from '../util/logger.ts';
import { slope } from './percentile.ts';

/** Targets (issue: bounded memory in the aggregator): steady-state growth, and RSS after a million payments. */
export const AGGREGATOR_RSS_TARGET_MB_PER_10K = 5;
export const AGGREGATOR_RSS_TARGET_MB_AT_1M = 256;

export interface AggregatorRssBenchOptions {
  /** Stop after this long (default 3 minutes) or after `maxPayments`, whichever comes first. */
  readonly durationMs?: number;
  readonly maxPayments?: number;
  /** An RSS sample every this many payments; default 5 000. */
  readonly sampleEvery?: number;
  /** Payments in flight (store writes of concurrent payments share commits); default 32. */
  readonly concurrency?: number;
  /** Verified certificates the merged board holds at most; default 50 000 (the aggregator node's). */
  readonly boardCerts?: number;
  /** Committee size; default 4. */
  readonly validators?: number;
  /** Called with a short line at every sample. */
  readonly progress?: (line: string) => void;
}

export interface AggregatorRssBenchResult {
  /**
   * RSS after each `sampleEvery` payments, and its anonymous part (Linux): RSS also counts the LMDB file pages
   * the process has mapped, which grow with the history on disk and which the kernel may reclaim.
   */
  readonly samples: { payments: number; rssMb: number; anonMb?: number }[];
  /** RSS growth per 10,000 finished payments, fitted over the second half of the samples (MB = MiB). */
  readonly slopeMbPer10k: number;
  /** The same for anonymous RSS (the memory the process itself holds), when the platform tells it. */
  readonly anonSlopeMbPer10k?: number;
}

/**
 * Runs as many payments as fit in `durationMs` through ONE in-process aggregator on an LMDB store, each the whole
 * way: 2f+1 verified certificates (the QC forms), then INCLUDED and FINALIZED as the aggregator's own chain reads
 * deliver them; samples this process's RSS (the load generator keeps nothing per payment) and fits the growth per
 * 10,000 payments over the second half of the run, once caches have filled.
 */
export async function runAggregatorRssBench(
  options: AggregatorRssBenchOptions = {},
): Promise<AggregatorRssBenchResult> {
  const durationMs = options.durationMs ?? 180_000;
  const maxPayments = options.maxPayments ?? Number.POSITIVE_INFINITY;
  const sampleEvery = options.sampleEvery ?? 5_000;
  const suite = createNodeCryptoSuite();
  const validators = Array.from({ length: options.validators ?? 4 }, (_, i) => {
    const seed = new Uint8Array(32).fill(i + 1);
    return { name: `v${i}`, id: new Uint8Array(32).fill(0xa0 + i), signer: suite.ed25519.signer(seed) };
  });
  const committee: Committee = {
    chainId: 1337n,
    epoch: 1n,
    members: validators.map((v) => ({ name: v.name, id: v.id, publicKey: v.signer.publicKey })),
  };
  const signers = validators.slice(0, quorumThreshold(committee));
  const dir = await mkdtemp(join(tmpdir(), 'allegro-aggregator-rss-'));
  const store = await openStore(`lmdb:${dir}`);
  const registry = await PaymentSystem.open({ store });
  const aggregator = new Aggregator({
    suite,
    committee,
    links: [],
    registry,
    records: new PaymentRecords(store),
    board: new BulletinBoard({ maxTotalCerts: options.boardCerts ?? 50_000, maxResponse: 2_000 }),
    policy: DEFAULT_RETRY_POLICY,
    mirror: { intervalMs: 0, pageSize: 1_000 },
    metrics: aggregatorMetrics(new Metrics(), () => new Map()),
    logger: createLogger('aggregator-rss-bench', 'silent'),
    headSource: SIDECAR_HEAD_SOURCE,
  });
  await aggregator.start();
  const samples: { payments: number; rssMb: number; anonMb?: number }[] = [];
  const sample = (payments: number) => {
    global.gc?.();
    const memory = process.memoryUsage();
    const rssMb = memory.rss / 2 ** 20;
    const anonMb = anonymousRssMb();
    samples.push({ payments, rssMb, ...(anonMb === undefined ? {} : { anonMb }) });
    const heapMb = (memory.heapUsed / 2 ** 20).toFixed(1);
    const anon = anonMb === undefined ? '' : `, anonymous ${anonMb.toFixed(1)} MB`;
    options.progress?.(`${payments} payments: RSS ${rssMb.toFixed(1)} MB (JS heap ${heapMb} MB${anon})`);
  };
  try {
    sample(0);
    const sender = randomBytes(20);
    const deadline = Date.now() + durationMs;
    let started = 0;
    let done = 0;
    const pay = async (n: number) => {
      const effects: Effects = {
        sender,
        recipient: randomBytes(20),
        amount: BigInt(n + 1),
        asset: new Uint8Array(20).fill(0x20),
        nonce: { nonceKey: new Uint8Array(32), seq: BigInt(n) },
      };
      const txHash = randomBytes(32);
      const hash = effectsHash(suite, effects);
      const at = BigInt(Date.now());
      for (const v of signers) {
        await aggregator.ingest(signCertificate(suite, v.signer, v, committee, effects, txHash, hash, at));
      }
      const key = toHex(txHash);
      const block = { blockNumber: String(n + 1), blockHash: toHex(randomBytes(32)) };
      await aggregator.advance(key, { type: 'INCLUDED', at: Date.now(), ...block });
      await aggregator.advance(key, { type: 'FINALIZED', at: Date.now(), blockNumber: block.blockNumber });
    };
    const worker = async () => {
      while (started < maxPayments && Date.now() < deadline) {
        await pay(started++);
        if (++done % sampleEvery === 0) sample(done);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 32 }, worker));
    const n = done;
    if (n % sampleEvery !== 0) sample(n);
  } finally {
    await aggregator.close();
    await registry.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
  const steady = samples.slice(Math.floor(samples.length / 2));
  const per10k = (y: (s: (typeof samples)[number]) => number) =>
    slope(steady.map((s) => ({ x: s.payments, y: y(s) }))) * 10_000;
  const anon = steady.every((s) => s.anonMb !== undefined);
  return {
    samples,
    slopeMbPer10k: per10k((s) => s.rssMb),
    ...(anon ? { anonSlopeMbPer10k: per10k((s) => s.anonMb!) } : {}),
  };
}

/** RssAnon of this process in MiB, from /proc/self/status (Linux); undefined elsewhere. */
function anonymousRssMb(): number | undefined {
  try {
    const kib = /^RssAnon:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kib === undefined ? undefined : Number(kib) / 1024;
  } catch {
    return undefined;
  }
}
