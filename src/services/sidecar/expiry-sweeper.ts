import type { Ledger, LockRecord } from '../../protocol/ledger/ledger.ts';
import type { Logger } from '../../util/logger.ts';
import type { SafetyJournal } from './safety-journal.ts';

/**
 * For a standalone sidecar (no chain to follow): every `intervalMs`, releases the locks whose signed tx can no
 * longer be included because its validBefore passed on the wall clock, and the credits whose parent's deadline
 * passed, so their sequences and funds are usable
 * again (with a chain, the ChainFollower does this at each head). Returns a stop function.
 */
export function startExpirySweeper(
  ledger: Ledger,
  journal: SafetyJournal,
  head: () => { readonly timestampMs: bigint; readonly height: bigint },
  logger: Logger,
  onReleased: (records: readonly LockRecord[]) => void,
  intervalMs = 1000,
): () => void {
  const timer = setInterval(() => {
    const { timestampMs, height } = head();
    const released = ledger.releaseExpired(timestampMs, height);
    const credits = ledger.drainReleasedCredits();
    if (released.length === 0 && credits.length === 0) return;
    onReleased(released);
    journal
      .release(released, credits)
      .catch((err) => logger.warn({ err: err.message }, 'could not forget expired locks'));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
