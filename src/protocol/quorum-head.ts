import { compareBytes } from './bytes.ts';

/** A chain head as one validator reports it (GetChainHead): height, block hash and block time (unix millis). */
export interface ReportedHead {
  readonly height: bigint;
  readonly hash: Uint8Array;
  readonly timestampMs: bigint;
}

/**
 * The head an observer without its own chain node may trust (ARCHITECTURE.md "Actors"; departs from reference
 * §9.2, which takes the single highest report): the (f+1)-th highest reported head, so at least one honest
 * validator has reached it and f liars cannot move it ahead. Heads are ordered by height, a tie going to the
 * smaller hash. Its time is capped at the (f+1)-th highest reported time, so a liar whose height was picked cannot
 * run the clock ahead either. Undefined with fewer than f+1 reports.
 */
export function quorumHead<H extends ReportedHead>(reports: readonly H[], f: number): H | undefined {
  if (reports.length < f + 1) return undefined;
  const byHeight = [...reports].sort((a, b) =>
    a.height === b.height ? compareBytes(a.hash, b.hash) : a.height > b.height ? -1 : 1,
  );
  const byTime = reports.map((r) => r.timestampMs).sort((a, b) => (a > b ? -1 : a < b ? 1 : 0));
  const head = byHeight[f]!;
  const time = byTime[f]!;
  return head.timestampMs > time ? { ...head, timestampMs: time } : head;
}
