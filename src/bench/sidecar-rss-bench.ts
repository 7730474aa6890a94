import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberToBytes } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import { ALPHA_USD, PATH_USD } from '../chain/tempo-tokens.ts';
import { signTempoTransfer } from '../chain/tempo-transfer.ts';
import { fromHex, toHex } from '../protocol/bytes.ts';
import { createNodeCryptoSuite } from '../protocol/crypto/node-suite.ts';
import { decodeTempoTx } from '../protocol/tempo/decode-tempo-tx.ts';
import { TempoTxFormat } from '../protocol/types.ts';
import { wrapSignedPayment } from '../protocol/wrap-signed-payment.ts';
import { freePort } from '../services/free-port.ts';
import { startSidecarProcess } from '../services/sidecar/sidecar-process.ts';
import { submitRequestToProto } from '../wire/convert-request.ts';
import { createClient } from '../wire/grpc-client.ts';
import { diskBytes } from './memory-split.ts';

/** RSS at most this much once extrapolated to a million payments. */
export const RSS_TARGET_BYTES_PER_MILLION = 256 * 1024 * 1024;

const SAMPLE_EVERY = 10_000;
const BATCH = 128;
const RECIPIENT = fromHex('0x1563915e194d8cfba1943570603f7606a3115508');

export interface RssSample {
  readonly payments: number;
  readonly rssBytes: number;
  /** Bytes the LMDB store's files take on disk. */
  readonly storeBytes: number;
  /** The sidecar's V8 heap in use and its live locks, from its /metrics. */
  readonly heapUsedBytes: number;
  readonly liveLocks: number;
}

/** What `bench sidecar-rss` measured. */
export interface SidecarRssFigures {
  readonly payments: number;
  readonly certified: number;
  readonly seconds: number;
  readonly samples: readonly RssSample[];
  /** RSS growth per 10,000 payments over the second half of the run (steady state). */
  readonly slopeBytesPer10k: number;
  /** The last RSS plus the slope up to 1,000,000 payments. */
  readonly extrapolatedMillionBytes: number;
  readonly targetBytes: number;
  readonly met: boolean;
}

/**
 * Runs as many payments as fit in `seconds` through one standalone sidecar process with an LMDB store, every
 * payment valid for `validForSeconds` only, so that locks expire and leave (a standalone lock without validBefore
 * never does); `payers` accounts take turns (seq 0 again once their last lock expired). Samples the sidecar's RSS
 * and the store's size on disk every 10,000 payments.
 */
export async function sidecarRssFigures(
  seconds: number,
  options: { readonly payers?: number; readonly validForSeconds?: number } = {},
  onLine: (line: string) => void = () => {},
): Promise<SidecarRssFigures> {
  const payers = options.payers ?? 10_000;
  const validFor = options.validForSeconds ?? 4;
  const suite = createNodeCryptoSuite();
  const keys = Array.from({ length: payers }, (_, i) =>
    suite.keccak256(numberToBytes(0x5500000 + i, { size: 32 })),
  );
  const dir = await mkdtemp(join(tmpdir(), 'allegro-bench-rss-'));
  try {
    const senders = keys.map((key) => fromHex(privateKeyToAddress(toHex(key) as `0x${string}`)));
    await writeFile(
      join(dir, 'balances.json'),
      JSON.stringify(
        senders.map((s) => ({ account: toHex(s), asset: toHex(ALPHA_USD), amount: '1000000000000' })),
      ),
    );
    const store = join(dir, 'store');
    const httpPort = await freePort();
    const sidecar = await startSidecarProcess(
      [
        ...[
          '--name',
          'Rss',
          '--listen',
          '127.0.0.1:0',
          '--seed',
          '41'.repeat(32),
          '--validator-id',
          'd1'.repeat(32),
        ],
        ...['--balances', join(dir, 'balances.json'), '--store', `lmdb:${store}`, '--allow-small-committee'],
        ...['--http-listen', `127.0.0.1:${httpPort}`],
      ],
      { env: { ...process.env, ALLEGRO_LOG_LEVEL: 'info' }, timeoutMs: 180_000 },
    );
    const client = createClient(FastPaySidecar, sidecar.url);
    const samples: RssSample[] = [];
    let sent = 0;
    let certified = 0;
    const started = Date.now();
    try {
      while (Date.now() - started < seconds * 1000) {
        const validBefore = BigInt(Math.floor(Date.now() / 1000) + validFor);
        const requests = Array.from({ length: BATCH }, (_, i) => {
          const raw = signTempoTransfer({
            chainId: 1337n,
            senderKey: keys[(sent + i) % payers]!,
            recipient: RECIPIENT,
            amount: 1_000n,
            token: ALPHA_USD,
            nonceKey: numberToBytes(1, { size: 32 }),
            nonce: 0n,
            feeToken: PATH_USD,
            validBefore,
          });
          const decoded = decodeTempoTx(suite, TempoTxFormat.TEMPO_NATIVE_V1, raw);
          if (!decoded.ok) throw new Error(`bench payment does not decode: ${decoded.reject.message}`);
          return submitRequestToProto({ tx: wrapSignedPayment(raw, decoded.tx)!, parentQcs: [] });
        });
        const { responses } = await client.submitFastPayBatch({ requests }, { timeoutMs: 60_000 });
        certified += responses.filter((r) => r.result.case === 'cert').length;
        const before = sent;
        sent += BATCH;
        if (Math.floor(sent / SAMPLE_EVERY) > Math.floor(before / SAMPLE_EVERY)) {
          const scrape = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
          const sample = {
            payments: sent,
            rssBytes: await rssOf(sidecar.pid),
            storeBytes: diskBytes(store),
            heapUsedBytes: metricValue(scrape, 'nodejs_heap_size_used_bytes'),
            liveLocks: metricValue(scrape, 'allegro_sidecar_memory_entries{structure="live_locks"}'),
          };
          samples.push(sample);
          onLine(
            `${sent} payments (${certified} certified): RSS ${mib(sample.rssBytes)}, heap used ${mib(sample.heapUsedBytes)}, ${sample.liveLocks} live locks, store ${mib(sample.storeBytes)}`,
          );
        }
      }
    } finally {
      client.close();
      await sidecar.stop();
    }
    const slope = slopePer10k(samples.slice(Math.floor(samples.length / 2)));
    const last = samples.at(-1);
    const extrapolated = last
      ? last.rssBytes + (slope * Math.max(0, 1_000_000 - last.payments)) / SAMPLE_EVERY
      : 0;
    return {
      payments: sent,
      certified,
      seconds: (Date.now() - started) / 1000,
      samples,
      slopeBytesPer10k: slope,
      extrapolatedMillionBytes: extrapolated,
      targetBytes: RSS_TARGET_BYTES_PER_MILLION,
      met: last !== undefined && extrapolated <= RSS_TARGET_BYTES_PER_MILLION,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

/** Least-squares slope of RSS against payments, per 10,000 payments; 0 with fewer than two samples. */
function slopePer10k(samples: readonly RssSample[]): number {
  if (samples.length < 2) return 0;
  const n = samples.length;
  const mx = samples.reduce((a, s) => a + s.payments, 0) / n;
  const my = samples.reduce((a, s) => a + s.rssBytes, 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.payments - mx) * (s.rssBytes - my);
    den += (s.payments - mx) ** 2;
  }
  return (num / den) * SAMPLE_EVERY;
}

/** The value of the first sample named exactly `series` (name and labels) in a Prometheus scrape; 0 if absent. */
function metricValue(scrape: string, series: string): number {
  const line = scrape.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** Resident set size of a process (Linux /proc/PID/status VmRSS). */
async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024;
}
