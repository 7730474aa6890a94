/** A chart of one figure, drawn as a hand-written SVG. */
export interface BenchPlot {
  /** File name under bench-results/, without extension. */
  readonly name: string;
  readonly svg: string;
}

/**
 * One measured figure of `allegro bench`: what it is, its target, what this run measured, and the ratio of
 * measured to target oriented so that ≥ 1 means the target is met.
 */
export interface BenchFigure {
  /** `p1` … `p6`. */
  readonly id: string;
  readonly title: string;
  readonly target: string;
  readonly measured: string;
  /** ≥ 1 when the target is met. */
  readonly ratio: number;
  /** Every number behind `measured` (JSON: bigints as decimal strings). */
  readonly details: Readonly<Record<string, unknown>>;
  readonly plots?: readonly BenchPlot[];
}

/** A figure whose run failed: its error stands in the table instead of a measurement. */
export function failedFigure(id: string, title: string, target: string, error: unknown): BenchFigure {
  const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
  return { id, title, target, measured: `failed: ${message}`, ratio: 0, details: { error: message } };
}
