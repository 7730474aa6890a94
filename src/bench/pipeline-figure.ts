import type { BenchFigure } from './bench-figure.ts';
import { protocolBenchFigures } from './protocol-bench.ts';

/** P1: the pure pipeline against the crypto ceiling on the same fixtures, medians of `rounds` (`bench protocol`). */
export function pipelineFigure(
  payments: number,
  rounds: number,
  onLine: (line: string) => void,
): BenchFigure {
  const f = protocolBenchFigures(payments, rounds, onLine);
  return {
    id: 'p1',
    title: 'pure pipeline ÷ crypto ceiling (one core)',
    target: `≥ ${f.targetRatio}`,
    measured: `${f.ratio.toFixed(2)} (${Math.round(f.pipelinePerSecond)}/s ÷ ${Math.round(f.ceilingPerSecond)}/s)`,
    ratio: f.ratio / f.targetRatio,
    details: { ...f },
  };
}
