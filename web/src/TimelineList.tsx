import { formatAmount, formatTime, short } from './format.ts';
import { type NamedAccount, nameOf } from './names.ts';
import { type Entry, nextBlockAfter } from './timeline.ts';

interface Props {
  readonly entries: readonly Entry[];
  readonly accounts: readonly NamedAccount[];
}

/** Blocks and QCs as they arrived while the page is open: each QC between two blocks, with the server's times. */
export function TimelineList({ entries, accounts }: Props) {
  if (entries.length === 0) return <p className="empty">Waiting for the first block…</p>;
  return (
    <ol className="timeline" data-testid="timeline">
      {entries.map((entry) => (
        <TimelineRow key={keyOf(entry)} entry={entry} entries={entries} accounts={accounts} />
      ))}
    </ol>
  );
}

function TimelineRow({
  entry,
  entries,
  accounts,
}: {
  entry: Entry;
  entries: readonly Entry[];
  accounts: readonly NamedAccount[];
}) {
  if (entry.kind === 'block') {
    return (
      <li className="block" data-testid="block-event">
        block {entry.height} <span className="timing">{formatTime(entry.at)}</span>
      </li>
    );
  }
  if (entry.kind === 'stage') {
    return (
      <li className={`chain ${entry.stage}`} data-testid="stage-event" data-tx-hash={entry.txHash}>
        {short(entry.txHash)} {entry.stage}
        {entry.blockNumber ? ` in block ${entry.blockNumber}` : ''}
      </li>
    );
  }
  const { payment } = entry;
  const next = nextBlockAfter(entries, entry);
  return (
    <li className="qc" data-testid="qc-event" data-tx-hash={payment.txHash}>
      <strong>QC formed</strong> {nameOf(accounts, payment.sender)} → {nameOf(accounts, payment.recipient)}{' '}
      {formatAmount(payment.amount, payment.asset)} ({payment.certificates.length} certificates) at block{' '}
      {payment.blockAtQc} <span className="timing">{formatTime(entry.at)}</span>
      {next && (
        <span className="timing" data-testid="before-next-block">
          {' '}
          · block {next.height} at {formatTime(next.at)}
        </span>
      )}
    </li>
  );
}

function keyOf(entry: Entry): string {
  if (entry.kind === 'block') return `block-${entry.height}`;
  if (entry.kind === 'qc') return `qc-${entry.payment.txHash}`;
  return `${entry.stage}-${entry.txHash}`;
}
