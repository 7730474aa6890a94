import type { ChaosFile, ChaosRecord } from '../bench/readme-sections.ts';

/**
 * bench-results/chaos.json after a run of `mode` that produced `results` (each stamped with its `date`). A run of
 * some scenarios at the scale of the file replaces only their records, in place, and keeps the others; a run at
 * another scale, or without an earlier file, starts the file afresh, so one table never mixes the two scales.
 */
export function mergeChaosFile(
  previous: ChaosFile | undefined,
  mode: string,
  results: readonly ChaosRecord[],
  date: string,
): ChaosFile {
  const stamped = results.map((r) => ({ ...r, date: r.date ?? date }));
  if (!previous || previous.mode !== mode) return { date, mode, scenarios: stamped };
  const fresh = new Map(stamped.map((r) => [r.scenario, r]));
  const kept = previous.scenarios.map(
    (r) => fresh.get(r.scenario) ?? { ...r, date: r.date ?? previous.date },
  );
  const added = stamped.filter((r) => !previous.scenarios.some((p) => p.scenario === r.scenario));
  return { date, mode, scenarios: [...kept, ...added] };
}
