import type { Ledger, LockRecord } from '../../protocol/ledger/ledger.ts';
import type { Logger } from '../logger.ts';
import type { SafetyJournal } from './safety-journal.ts';

/**
 * For a standalone sidecar (no chain to follow): every `intervalMs`, releases the locks whose signed tx can no
 * longer be included because its validBefore passed on the wall clock, so their sequences and funds are usable
 * again (with a chain, the ChainFollower does this at each head). Returns a stop function.
 */
export function startExpirySweeper(
  ledger: Ledger,
  journal: SafetyJournal,
  now: () => bigint,
  logger: Logger,
  onReleased: (records: readonly LockRecord[]) => void,
  intervalMs = 1000,
): () => void {
  const timer = setInterval(() => {
    const released = ledger.releaseExpired(now());
    if (released.length === 0) return;
    onReleased(released);
    journal
      .release(released)
      .catch((err) => logger.warn({ err: err.message }, 'could not forget expired locks'));
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
