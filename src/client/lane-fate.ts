import { RejectCode } from '../protocol/reject.ts';
import type { ValidatorReport } from './validator-answer.ts';

/** What a payment that got no QC does to its lane. */
export type LaneFate =
  | { readonly kind: 'keep' }
  | { readonly kind: 'release' }
  | { readonly kind: 'resync'; readonly next: bigint };

/**
 * Rejects that do not show the validator is free to certify another tx at this sequence: EXPIRED is checked before
 * the contention lock (reference §6.2 B2 before B3), so a validator holding our tx answers it after the expiry;
 * NONCE_SEQ_TOO_LOW and EQUIVOCATION say the sequence is taken.
 */
const SEQUENCE_MAY_BE_HELD = new Set([
  RejectCode.EXPIRED,
  RejectCode.NONCE_SEQ_TOO_LOW,
  RejectCode.EQUIVOCATION,
]);

const EXPECTED = /expected (\d+)/;

/**
 * The lane rule after a failed collection at sequence `seq` (fixes reference §14 "release does not roll back the
 * counter"). A sidecar only certifies the exact next sequence of a lane, so a validator that expects N holds (or
 * saw settle) every sequence below N and none above. The lane moves past `seq` only where a quorum holds it:
 *
 * - `keep` while any validator holds a certificate of the tx or still had a request in flight: the tx may be
 *   locked, so it stays pending and is resubmitted unchanged (sidecars answer a known tx idempotently);
 * - `resync` forward when at least `threshold` validators say `seq` is taken (NONCE_SEQ_TOO_LOW "expected N", or
 *   EQUIVOCATION: another tx holds it, so they expect at least seq+1): to the largest N that `threshold` of them
 *   expect at least, so every sequence below N is held by a quorum;
 * - `resync` back to N when at least `threshold` validators answered NONCE_SEQ_TOO_HIGH "expected N" with the same
 *   N: none of them holds anything from N on, and any two quorums share a validator, so no QC exists there;
 * - `release` when every validator answered with a reject that proves it holds no lock at `seq` (any code but
 *   those above): the same sequence is reused, so no gap can appear, and nothing conflicts with it;
 * - otherwise `keep`.
 */
export function laneAfterFailure(
  reports: readonly ValidatorReport[],
  threshold: number,
  seq: bigint,
): LaneFate {
  if (reports.some((r) => r.inFlight || r.answer.kind === 'certificate')) return { kind: 'keep' };
  const taken: bigint[] = [];
  const behind = new Map<bigint, number>();
  for (const { answer } of reports) {
    if (answer.kind !== 'reject') continue;
    if (answer.code === RejectCode.EQUIVOCATION) taken.push(seq + 1n);
    const expected = expectedSequence(answer.code, answer.message);
    if (expected === undefined) continue;
    if (expected > seq) taken.push(expected);
    else behind.set(expected, (behind.get(expected) ?? 0) + 1);
  }
  if (taken.length >= threshold) return { kind: 'resync', next: taken.sort(descending)[threshold - 1]! };
  for (const [next, count] of behind) if (count >= threshold) return { kind: 'resync', next };
  const released = reports.every(
    (r) => r.answer.kind === 'reject' && !SEQUENCE_MAY_BE_HELD.has(r.answer.code),
  );
  return released ? { kind: 'release' } : { kind: 'keep' };
}

/** The "expected N" of a NONCE_SEQ_TOO_LOW/HIGH reject (reference §6.2 B4; Allegro's sidecar names N), if any. */
function expectedSequence(code: RejectCode, message: string): bigint | undefined {
  if (code !== RejectCode.NONCE_SEQ_TOO_LOW && code !== RejectCode.NONCE_SEQ_TOO_HIGH) return undefined;
  const match = EXPECTED.exec(message);
  return match ? BigInt(match[1]!) : undefined;
}

function descending(a: bigint, b: bigint): number {
  return a > b ? -1 : a < b ? 1 : 0;
}
