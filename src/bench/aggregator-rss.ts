import { randomBytes } from 'node:crypto';
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
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
import { Metrics } from '../services/http/metrics.ts';
import { BulletinBoard } from '../services/shared/bulletin-board.ts';
import { openStore } from '../store/open-store.ts';
import { createLogger } from '../util/logger.ts';
import { diskBytes, type MemorySplit, memorySplit } from './memory-split.ts';
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
  /** Finished payments the store keeps (PaymentSystem's retention); default the aggregator's. */
  readonly retainFinished?: number;
  /** Called with a short line at every sample. */
  readonly progress?: (line: string) => void;
}

/** One sample: resident memory split by kind (see MemorySplit), the JS heap after a full GC, the store on disk. */
export interface AggregatorRssSample extends MemorySplit {
  readonly payments: number;
  readonly heapMb: number;
  /** V8's heap as reserved from the OS (part of the anonymous RSS). */
  readonly heapTotalMb: number;
  /** Memory of ArrayBuffers and other objects outside the V8 heap that V8 knows of. */
  readonly externalMb: number;
  readonly storeMb: number;
}

export interface AggregatorRssBenchResult {
  /**
   * A sample after each `sampleEvery` payments. RSS counts the LMDB data file's pages the process has mapped
   * (`mappedMb`, part of `fileMb`), which grow with the history on disk and which the kernel may reclaim;
   * `anonMb` is what the process itself holds.
   */
  readonly samples: AggregatorRssSample[];
  readonly seconds: number;
  /** Growth per 10,000 finished payments, fitted over the second half of the samples (MB = MiB). */
  readonly slopeMbPer10k: number;
  /** The same for anonymous RSS, file-backed RSS and the store's mapped pages, when the platform tells them. */
  readonly anonSlopeMbPer10k?: number;
  readonly fileSlopeMbPer10k?: number;
  readonly mappedSlopeMbPer10k?: number;
  readonly heapSlopeMbPer10k: number;
  readonly storeSlopeMbPer10k: number;
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
  const dir = await realpath(await mkdtemp(join(tmpdir(), 'allegro-aggregator-rss-')));
  const store = await openStore(`lmdb:${dir}`);
  const registry = await PaymentSystem.open({
    store,
    ...(options.retainFinished ? { retainFinished: options.retainFinished } : {}),
  });
  const aggregator = new Aggregator({
    suite,
    committee,
    links: [],
    registry,
    board: new BulletinBoard({ maxTotalCerts: options.boardCerts ?? 50_000, maxResponse: 2_000 }),
    policy: DEFAULT_RETRY_POLICY,
    mirror: { intervalMs: 0, pageSize: 1_000 },
    metrics: aggregatorMetrics(new Metrics(), () => new Map()),
    logger: createLogger('aggregator-rss-bench', 'silent'),
    headSource: SIDECAR_HEAD_SOURCE,
  });
  await aggregator.start();
  const gc = exposedGc();
  const samples: AggregatorRssSample[] = [];
  const sample = (payments: number) => {
    gc();
    const memory = process.memoryUsage();
    const s: AggregatorRssSample = {
      payments,
      ...memorySplit(dir),
      heapMb: memory.heapUsed / 2 ** 20,
      heapTotalMb: memory.heapTotal / 2 ** 20,
      externalMb: memory.external / 2 ** 20,
      storeMb: diskBytes(dir) / 2 ** 20,
    };
    samples.push(s);
    const mb = (v: number | undefined) => (v === undefined ? '?' : v.toFixed(1));
    options.progress?.(
      `${payments} payments: RSS ${mb(s.rssMb)} MB = anonymous ${mb(s.anonMb)} + file-backed ${mb(s.fileMb)} ` +
        `(store's mapped pages ${mb(s.mappedMb)}); JS heap ${mb(s.heapMb)} MB of ${mb(s.heapTotalMb)} MB reserved, ` +
        `external ${mb(s.externalMb)} MB; store on disk ${mb(s.storeMb)} MB`,
    );
  };
  const began = Date.now();
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
  const seconds = (Date.now() - began) / 1000;
  const steady = samples.slice(Math.floor(samples.length / 2));
  const per10k = (field: keyof AggregatorRssSample) =>
    steady.every((s) => s[field] !== undefined)
      ? slope(steady.map((s) => ({ x: s.payments, y: s[field]! }))) * 10_000
      : undefined;
  return {
    samples,
    seconds,
    slopeMbPer10k: per10k('rssMb')!,
    anonSlopeMbPer10k: per10k('anonMb'),
    fileSlopeMbPer10k: per10k('fileMb'),
    mappedSlopeMbPer10k: per10k('mappedMb'),
    heapSlopeMbPer10k: per10k('heapMb')!,
    storeSlopeMbPer10k: per10k('storeMb')!,
  };
}

/** A full garbage collection before each sample, so the heap figure is what is still referenced. */
function exposedGc(): () => void {
  if (global.gc) return global.gc;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
