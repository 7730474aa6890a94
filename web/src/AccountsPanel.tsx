import { type FormEvent, useState } from 'react';
import { formatAmount, short } from './format.ts';
import type { NamedAccount } from './names.ts';

export interface AccountBalance {
  readonly amount: string;
  /** Funds in the escrow contract, when the aggregator knows an escrow. */
  readonly escrowed: string | null;
  readonly atBlock: string;
}

interface Props {
  readonly accounts: readonly NamedAccount[];
  readonly balances: Readonly<Record<string, AccountBalance>>;
  readonly asset: string;
  /** Whether the chain can be read at all (an aggregator without --rpc-url cannot). */
  readonly chainReadable: boolean;
  readonly onAdd: (account: NamedAccount) => void;
}

/** Named accounts with their on-chain (and escrowed) balances at the chain head, and a form to add one. */
export function AccountsPanel({ accounts, balances, asset, chainReadable, onAdd }: Props) {
  const [name, setName] = useState('');
  const [address, setAddress] = useState('');
  const valid = name.trim() !== '' && /^0x[0-9a-fA-F]{40}$/.test(address.trim());
  const add = (event: FormEvent) => {
    event.preventDefault();
    if (!valid) return;
    onAdd({ name: name.trim(), address: address.trim().toLowerCase() });
    setName('');
    setAddress('');
  };
  return (
    <section className="panel">
      <h2>Accounts</h2>
      {accounts.length === 0 && (
        <p className="empty">
          No named accounts: this aggregator is not a devnet. Add an address to watch it.
        </p>
      )}
      {!chainReadable && <p className="empty">Balances need an aggregator reading the chain (--rpc-url).</p>}
      <ul className="accounts" data-testid="accounts">
        {accounts.map((a) => {
          const b = balances[a.address];
          return (
            <li key={a.address} data-testid="account" data-name={a.name}>
              <strong>{a.name}</strong>
              <span className="mono">{short(a.address)}</span>
              <span data-testid="balance">{b ? formatAmount(b.amount, asset) : '—'}</span>
              {b?.escrowed != null && (
                <span data-testid="escrowed">{formatAmount(b.escrowed, asset)} in escrow</span>
              )}
            </li>
          );
        })}
      </ul>
      <form className="add-account" onSubmit={add}>
        <input
          placeholder="name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-label="account name"
        />
        <input
          placeholder="0x… address"
          value={address}
          onChange={(e) => setAddress(e.target.value)}
          aria-label="account address"
        />
        <button type="submit" disabled={!valid}>
          Add
        </button>
      </form>
    </section>
  );
}
