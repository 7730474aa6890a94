/** What one chaos scenario reports: the fault it injected, whether the system survived, its figures. */
export interface ChaosResult {
  readonly scenario: string;
  readonly fault: string;
  readonly ok: boolean;
  /** One line of figures, e.g. "1,000,000 requests, 0 crashes, 0 hangs". */
  readonly figures: string;
  readonly details: Readonly<Record<string, unknown>>;
}

/** A scenario at two sizes: the full run and the CI subset (under a few minutes). */
export interface ChaosScenario {
  readonly name: string;
  run(scale: 'full' | 'ci', log: (line: string) => void): Promise<ChaosResult>;
}
