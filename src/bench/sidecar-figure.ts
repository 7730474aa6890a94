import type { BenchFigure } from './bench-figure.ts';
import { makeFixtures } from './protocol-bench.ts';
import { runSidecarBench, SIDECAR_TARGET_PER_CORE, type SidecarBenchOptions } from './sidecar-bench.ts';
import { svgLineChart } from './svg-line-chart.ts';

/** The headline setting of `bench sidecar`: batches of 64 payments, 4 calls in flight. */
const HEADLINE: SidecarBenchOptions = { batch: 64, inFlight: 4 };

/**
 * P2: one sidecar process (LMDB, fsync before each certificate), certified payments per second per core of its
 * own CPU at the headline setting; then one payment per call at each `inFlight` count, a fresh sidecar each time,
 * for the throughput-against-in-flight plot (wall-clock rate: the load generator shares the cores).
 */
export async function sidecarFigure(
  payments: number,
  inFlight: readonly number[],
  onLine: (line: string) => void,
): Promise<BenchFigure> {
  const fixtures = makeFixtures(
    payments,
    (n) => n % 2000 === 0 && onLine(`signed ${n}/${payments} payments`),
  );
  const perCore = (cpu: number | undefined) => (cpu ? 1 / cpu : Number.NaN);
  const headline = await runSidecarBench(fixtures, HEADLINE);
  const sweep = [];
  for (const n of inFlight) {
    const r = await runSidecarBench(fixtures, { batch: 1, inFlight: n });
    sweep.push({ inFlight: n, ...r, perCorePerSecond: perCore(r.cpuSecondsPerPayment) });
    onLine(
      `${n} in flight: ${Math.round(r.perSecond)}/s wall, ${Math.round(perCore(r.cpuSecondsPerPayment))}/s per core`,
    );
  }
  const headlinePerCore = perCore(headline.cpuSecondsPerPayment);
  return {
    id: 'p2',
    title: `one sidecar: certified payments/s per core of its CPU (batch ${HEADLINE.batch}, ${HEADLINE.inFlight} in flight)`,
    target: `≥ ${SIDECAR_TARGET_PER_CORE.toLocaleString('en-US')}`,
    measured: `${Math.round(headlinePerCore).toLocaleString('en-US')}/s per core (${Math.round(headline.perSecond)}/s wall, ${headline.rejected} rejected)`,
    ratio: headlinePerCore / SIDECAR_TARGET_PER_CORE,
    details: { payments, headline: { ...HEADLINE, ...headline, perCorePerSecond: headlinePerCore }, sweep },
    plots: [
      {
        name: 'p2-throughput-vs-in-flight',
        svg: svgLineChart({
          title: 'One sidecar, one payment per call: certified payments/s against calls in flight',
          xLabel: 'calls in flight (log scale)',
          yLabel: 'certified payments / s',
          logX: true,
          series: [
            {
              label: 'wall clock (load generator on the same cores)',
              points: sweep.map((r) => ({ x: r.inFlight, y: r.perSecond })),
            },
            {
              label: 'per core of the sidecar’s own CPU',
              points: sweep
                .filter((r) => Number.isFinite(r.perCorePerSecond))
                .map((r) => ({ x: r.inFlight, y: r.perCorePerSecond })),
            },
          ],
          marks: [{ y: SIDECAR_TARGET_PER_CORE, label: 'target per core' }],
        }),
      },
    ],
  };
}
