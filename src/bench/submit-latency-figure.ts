import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../store/open-store.ts';
import { measureDurableWrites } from '../store/store-benchmark.ts';
import type { BenchFigure } from './bench-figure.ts';
import type { BenchNetwork } from './bench-network.ts';
import { percentile } from './percentile.ts';
import { cdfPoints, svgLineChart } from './svg-line-chart.ts';

/** Durable write latencies of the sidecars' store kind (LMDB), one write in flight, in milliseconds. */
async function durableWriteLatencies(count: number): Promise<number[]> {
  const dir = await mkdtemp(join(tmpdir(), 'allegro-bench-store-'));
  const store = await openStore(`lmdb:${dir}`);
  try {
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const one = await measureDurableWrites(store, {
        writes: 1,
        concurrency: 1,
        valueBytes: 256,
        keyPrefix: `w${i}:`,
      });
      out.push(one.seconds * 1000);
    }
    return out;
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * P3: client submit → QC in hand with 4 validators (f = 1) and one payment in flight, p50 and p99, beside the
 * store's own durable-write p50 and p99 measured in the same run (interleaved: the machine's load is the same).
 * Target: submit p50 ≤ write p50 + 1 ms and submit p99 ≤ 2 × write p99.
 */
export async function submitLatencyFigure(network: BenchNetwork, payments: number): Promise<BenchFigure> {
  const payer = network.payers[0]!;
  const submit: number[] = [];
  const writes: number[] = [];
  const batch = Math.max(1, Math.floor(payments / 10));
  for (let done = 0; done < payments; done += batch) {
    writes.push(...(await durableWriteLatencies(batch)));
    for (let i = 0; i < batch && done + i < payments; i++) {
      const started = process.hrtime.bigint();
      await payer.sendPayment({ to: network.recipient, amount: 1n });
      submit.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  const s50 = percentile(submit, 50);
  const s99 = percentile(submit, 99);
  const w50 = percentile(writes, 50);
  const w99 = percentile(writes, 99);
  const ratio = Math.min((w50 + 1) / s50, (2 * w99) / s99);
  const ms = (v: number) => `${v.toFixed(2)} ms`;
  return {
    id: 'p3',
    title: 'submit → QC in hand, 4 validators, 1 in flight',
    target: 'p50 ≤ write p50 + 1 ms; p99 ≤ 2 × write p99',
    measured: `p50 ${ms(s50)} (write ${ms(w50)}), p99 ${ms(s99)} (write ${ms(w99)})`,
    ratio,
    details: {
      payments: submit.length,
      submitP50Ms: s50,
      submitP99Ms: s99,
      writeP50Ms: w50,
      writeP99Ms: w99,
      durableWrites: writes.length,
      store: 'lmdb',
    },
    plots: [
      {
        name: 'p3-submit-qc-cdf',
        svg: svgLineChart({
          title: 'Submit → QC latency (4 validators, 1 in flight) and durable write latency',
          xLabel: 'milliseconds (log scale)',
          yLabel: 'fraction of calls ≤ x',
          logX: true,
          series: [
            { label: `submit → QC (${submit.length})`, points: cdfPoints(submit) },
            { label: `LMDB durable write (${writes.length})`, points: cdfPoints(writes) },
          ],
        }),
      },
    ],
  };
}
