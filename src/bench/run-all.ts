import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { projectPath } from '../services/project-root.ts';
import { type BenchFigure, failedFigure } from './bench-figure.ts';
import { type BenchNetwork, startBenchNetwork } from './bench-network.ts';
import { demoFigure } from './demo-figure.ts';
import { fanoutFigure } from './fanout-figure.ts';
import { memoryFigure } from './memory-figure.ts';
import { pipelineFigure } from './pipeline-figure.ts';
import { sidecarFigure } from './sidecar-figure.ts';
import { submitLatencyFigure } from './submit-latency-figure.ts';

/** Where results go: one JSON per figure, its SVG plots, and summary.json (machine, date, every figure). */
export const RESULTS_DIR = projectPath('bench-results');

/** Figure ids in the order they run, with their title and target for a run that failed. */
export const FIGURES = {
  p1: ['pure pipeline ÷ crypto ceiling', '≥ 0.7'],
  p2: ['one sidecar, certified payments/s per core', '≥ 5,000'],
  p3: ['submit → QC, 4 validators, 1 in flight', 'p50 ≤ write p50 + 1 ms; p99 ≤ 2 × write p99'],
  p4: ['one QC event to 1,000 graphql-ws subscribers', 'p99 ≤ 50 ms'],
  p5: ['RSS slope per 10,000 payments', '≈ 0'],
  p6: ['demo: first submission → QC2', '≤ 50 ms'],
} as const;
export type FigureId = keyof typeof FIGURES;

export interface BenchSizes {
  /** P1/P2 fixtures (signed payments). */
  readonly fixtures: number;
  readonly rounds: number;
  readonly inFlight: readonly number[];
  /** P3 payments, one in flight. */
  readonly latencyPayments: number;
  readonly subscribers: number;
  readonly fanoutEvents: number;
  /** P5 payments. */
  readonly memoryPayments: number;
}

export const DEFAULT_SIZES: BenchSizes = {
  fixtures: 4000,
  rounds: 5,
  inFlight: [1, 4, 16, 64],
  latencyPayments: 300,
  subscribers: 1000,
  fanoutEvents: 5,
  memoryPayments: 3000,
};

const NETWORK_FIGURES: readonly FigureId[] = ['p3', 'p4', 'p5'];

/**
 * Runs the chosen figures side by side in one process on loopback (the ones that need a devnet share one: a
 * Tempo node, 4 sidecars, an aggregator, 10 funded payers), prints a target / measured / ratio table and writes
 * bench-results/. A figure that fails is reported as failed; the others still run. Returns the figures.
 */
export async function runAllBenchmarks(
  ids: readonly FigureId[],
  sizes: BenchSizes = DEFAULT_SIZES,
  log: (line: string) => void = console.log,
): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const attempt = async (id: FigureId, run: () => BenchFigure | Promise<BenchFigure>) => {
    if (!ids.includes(id)) return;
    log(`… ${id}: ${FIGURES[id][0]}`);
    const started = Date.now();
    try {
      figures.push(await run());
    } catch (error) {
      figures.push(failedFigure(id, FIGURES[id][0], FIGURES[id][1], error));
    }
    log(`  ${id}: ${figures.at(-1)!.measured} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  };
  const progress = (line: string) => log(`  ${line}`);
  await attempt('p1', () => pipelineFigure(sizes.fixtures, sizes.rounds, progress));
  await attempt('p2', () => sidecarFigure(sizes.fixtures, sizes.inFlight, progress));
  if (NETWORK_FIGURES.some((id) => ids.includes(id))) {
    log('… starting a devnet, 4 sidecars and an aggregator');
    let network: BenchNetwork | undefined;
    try {
      network = await startBenchNetwork(10);
    } catch (error) {
      for (const id of NETWORK_FIGURES.filter((i) => ids.includes(i)))
        figures.push(failedFigure(id, FIGURES[id][0], FIGURES[id][1], error));
    }
    if (network) {
      const net = network;
      try {
        await attempt('p3', () => submitLatencyFigure(net, sizes.latencyPayments));
        await attempt('p4', () => fanoutFigure(net, sizes.subscribers, sizes.fanoutEvents));
        await attempt('p5', () => memoryFigure(net, sizes.memoryPayments));
      } finally {
        await net.stop();
      }
    }
  }
  await attempt('p6', () => demoFigure());
  await writeResults(figures);
  log(`\n${resultTable(figures)}`);
  log(`\nresults and plots in ${RESULTS_DIR}`);
  return figures;
}

/** The figures as an aligned text table: id, title, target, measured, ratio (≥ 1 = met). */
export function resultTable(figures: readonly BenchFigure[]): string {
  const rows = [
    ['', 'figure', 'target', 'measured', 'ratio'],
    ...figures.map((f) => [
      f.id,
      f.title,
      f.target,
      f.measured,
      `${f.ratio.toFixed(2)} ${f.ratio >= 1 ? 'met' : 'NOT met'}`,
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The machine a run measured, for the README. */
export function machine(): {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  loadAverage: number;
} {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadAverage: Number(loadavg()[0]!.toFixed(2)),
  };
}

async function writeResults(figures: readonly BenchFigure[]): Promise<void> {
  await mkdir(RESULTS_DIR, { recursive: true });
  for (const f of figures) {
    const { plots, ...rest } = f;
    await writeFile(
      join(RESULTS_DIR, `${f.id}.json`),
      `${JSON.stringify({ date: new Date().toISOString(), machine: machine(), ...rest }, null, 2)}\n`,
    );
    for (const p of plots ?? []) await writeFile(join(RESULTS_DIR, `${p.name}.svg`), p.svg);
  }
}
