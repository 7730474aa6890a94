/** Who an address is, as far as the page knows: the devnet's named accounts and the ones a person added. */

import { short } from './format.ts';

export interface NamedAccount {
  readonly name: string;
  readonly address: string;
}

/** The name of `address`, or its short hex. */
export function nameOf(accounts: readonly NamedAccount[], address: string): string {
  return accounts.find((a) => a.address === address.toLowerCase())?.name ?? short(address);
}

const STORAGE_KEY = 'allegro.watchedAccounts';

/** Accounts a person added on this browser (names are local; nothing is sent anywhere). */
export function loadWatched(): NamedAccount[] {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? '[]');
    return Array.isArray(parsed)
      ? parsed.filter(
          (a): a is NamedAccount =>
            typeof a?.name === 'string' &&
            typeof a?.address === 'string' &&
            /^0x[0-9a-f]{40}$/.test(a.address),
        )
      : [];
  } catch {
    return [];
  }
}

export function saveWatched(accounts: readonly NamedAccount[]): void {
  localStorage.setItem(STORAGE_KEY, JSON.stringify(accounts));
}
