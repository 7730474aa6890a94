import { formatAmount, short } from './format.ts';
import { type NamedAccount, nameOf } from './names.ts';
import { GUARANTEE_MEANING, type PaymentFields } from './nodes.ts';

interface Props {
  readonly payments: readonly PaymentFields[];
  readonly accounts: readonly NamedAccount[];
  readonly selected: string | undefined;
  readonly loaded: boolean;
  readonly onSelect: (txHash: string) => void;
}

/** Every payment known (history first loaded, then live), newest first; a click opens its detail. */
export function PaymentList({ payments, accounts, selected, loaded, onSelect }: Props) {
  if (!loaded) return <p className="empty">Loading the payment history…</p>;
  if (payments.length === 0) {
    return (
      <p className="empty" data-testid="no-payments">
        No payments yet. Pay from an account above, or run the chained demo.
      </p>
    );
  }
  return (
    <ul className="payments" data-testid="payments">
      {payments.map((p) => (
        <li
          key={p.txHash}
          data-testid="payment-row"
          data-tx-hash={p.txHash}
          className={p.txHash === selected ? 'selected' : ''}
        >
          <button type="button" onClick={() => onSelect(p.txHash)}>
            <span className="who">
              {nameOf(accounts, p.sender)} → {nameOf(accounts, p.recipient)}
            </span>
            <span className="amount">{formatAmount(p.amount, p.asset)}</span>
            <span className={`stage ${p.stage}`} data-testid="payment-stage">
              {p.stage}
            </span>
            <span className={`guarantee ${p.guarantee}`} title={GUARANTEE_MEANING[p.guarantee]}>
              {p.guarantee}
            </span>
            <span className="meta">
              {p.certificates.length}/{p.threshold} certificates
              {p.blockAtQc && ` · QC at block ${p.blockAtQc}`}
              {p.inclusion && ` · in block ${p.inclusion.blockNumber}`}
              {p.parentQcHash && ' · chained'}
            </span>
            <span className="mono meta">{short(p.txHash)}</span>
          </button>
        </li>
      ))}
    </ul>
  );
}
