import type { BenchFigure } from './bench-figure.ts';
import type { BenchNetwork } from './bench-network.ts';
import { slope } from './percentile.ts';
import { processRssMiB } from './process-rss.ts';
import { svgLineChart } from './svg-line-chart.ts';

/** Steady state: RSS grows by at most this many MiB per 10,000 payments. */
const TARGET_MIB_PER_10K = 2;
const SAMPLES = 20;

/**
 * P5 (aggregator part, with the committee's sidecars sampled alongside): RSS against payments while every payer
 * but the first two pays in parallel (one payment in flight per payer). The slope per 10,000 payments is fitted
 * over the second half of the run (the first half warms caches and JIT); RSS after the run is reported too.
 */
export async function memoryFigure(network: BenchNetwork, payments: number): Promise<BenchFigure> {
  const payers = network.payers.length > 2 ? network.payers.slice(2) : network.payers;
  const processes = [
    { label: 'aggregator', pid: network.aggregator.pid },
    ...[...network.sidecars.processes].map(([name, p]) => ({ label: `sidecar ${name}`, pid: p.pid })),
  ];
  const series = processes.map((p) => ({ label: p.label, points: [] as { x: number; y: number }[] }));
  const sample = async (x: number) => {
    for (const [i, p] of processes.entries()) {
      const rss = await processRssMiB(p.pid);
      if (rss !== undefined) series[i]!.points.push({ x, y: rss });
    }
  };
  let sent = 0;
  let failed = 0;
  const every = Math.max(1, Math.floor(payments / SAMPLES));
  await sample(0);
  let sampling = Promise.resolve();
  await Promise.all(
    payers.map(async (payer) => {
      while (sent < payments) {
        sent++;
        try {
          await payer.sendPayment({ to: network.recipient, amount: 1n });
        } catch {
          failed++;
        }
        if (sent % every === 0) {
          const at = sent;
          sampling = sampling.then(() => sample(at));
        }
      }
    }),
  );
  await sampling;
  await sample(sent);
  const perTenK = (points: { x: number; y: number }[]) =>
    slope(points.filter((p) => p.x >= sent / 2)) * 10_000;
  const slopes = series.map((s) => ({
    label: s.label,
    mibPer10k: perTenK(s.points),
    after: s.points.at(-1)?.y,
  }));
  const aggregator = slopes[0]!;
  const worstSidecar = slopes
    .slice(1)
    .reduce((a, b) => (b.mibPer10k > a.mibPer10k ? b : a), slopes[1] ?? aggregator);
  const worst = Math.max(aggregator.mibPer10k, worstSidecar.mibPer10k);
  const mib = (v: number | undefined) => `${(v ?? Number.NaN).toFixed(1)} MiB`;
  return {
    id: 'p5',
    title: `RSS slope per 10,000 payments (${sent} payments, ${payers.length} payers)`,
    target: `≈ 0 (≤ ${TARGET_MIB_PER_10K} MiB per 10,000 payments)`,
    measured:
      `aggregator ${mib(aggregator.mibPer10k)}/10k, after ${mib(aggregator.after)}; ` +
      `worst sidecar ${mib(worstSidecar.mibPer10k)}/10k, after ${mib(worstSidecar.after)}`,
    ratio: TARGET_MIB_PER_10K / Math.max(worst, 1e-3),
    details: { payments: sent, failedPayments: failed, payers: payers.length, slopes, samples: series },
    plots: [
      {
        name: 'p5-rss-vs-payments',
        svg: svgLineChart({
          title: 'Resident memory against payments',
          xLabel: 'payments certified',
          yLabel: 'RSS (MiB)',
          series,
        }),
      },
    ],
  };
}
