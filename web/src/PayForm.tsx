import { type FormEvent, useState } from 'react';
import { payFromBrowser } from './browser-payer.ts';
import { formatAmount, parseAmount, short } from './format.ts';
import type { NamedAccount } from './names.ts';
import type { PaymentFields } from './nodes.ts';

interface Props {
  readonly chainId: bigint;
  /** Accounts the page holds a devnet key for. */
  readonly signers: readonly (NamedAccount & { readonly key: Uint8Array })[];
  readonly accounts: readonly NamedAccount[];
  readonly asset: string;
  readonly onPaid: (payment: PaymentFields) => void;
}

/** Pays from a devnet account, signed in this browser; says what the validators answered, reject codes included. */
export function PayForm({ chainId, signers, accounts, asset, onPaid }: Props) {
  const [from, setFrom] = useState(signers[0]?.address ?? '');
  const [to, setTo] = useState(accounts.find((a) => a.address !== signers[0]?.address)?.address ?? '');
  const [amount, setAmount] = useState('1');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string }>();
  const units = parseAmount(amount);
  const signer = signers.find((s) => s.address === from);

  const pay = async (event: FormEvent) => {
    event.preventDefault();
    if (!signer || units === undefined) return;
    setBusy(true);
    setOutcome(undefined);
    try {
      const r = await payFromBrowser({ chainId, payerKey: signer.key, payer: from, to, amount: units });
      onPaid(r.payment);
      const refusals = r.rejections.map((x) => `${x.validator.name}: ${x.code} (${x.message})`).join('; ');
      setOutcome({
        ok: r.qcFormed,
        text: `${short(r.payment.txHash)} ${formatAmount(units, asset)}: ${r.payment.stage}${refusals ? `; refused by ${refusals}` : ''}`,
      });
    } catch (error) {
      setOutcome({ ok: false, text: (error as Error).message });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="panel pay" onSubmit={pay}>
      <h2>Pay</h2>
      <p className="hint">
        Signed in this browser with the devnet's demo key; the key never leaves the page.
      </p>
      <div className="fields">
        <label>
          from
          <select data-testid="pay-from" value={from} onChange={(e) => setFrom(e.target.value)}>
            {signers.map((s) => (
              <option key={s.address} value={s.address}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          to
          <select data-testid="pay-to" value={to} onChange={(e) => setTo(e.target.value)}>
            {accounts
              .filter((a) => a.address !== from)
              .map((a) => (
                <option key={a.address} value={a.address}>
                  {a.name}
                </option>
              ))}
          </select>
        </label>
        <label>
          amount
          <input
            data-testid="pay-amount"
            inputMode="decimal"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
          />
        </label>
      </div>
      <button
        type="submit"
        data-testid="pay"
        disabled={busy || !signer || !to || units === undefined || units === 0n}
      >
        {busy ? 'Paying…' : `Pay ${units === undefined ? '' : formatAmount(units, asset)}`}
      </button>
      {outcome && (
        <p data-testid="pay-outcome" className={outcome.ok ? 'ok' : 'error'}>
          {outcome.text}
        </p>
      )}
    </form>
  );
}
