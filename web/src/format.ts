/** How the page writes amounts, addresses and times (pure). */

import { ALPHA_USD, PATH_USD, TIP20_DECIMALS } from '../../src/chain/tempo-tokens.ts';
import { toHex } from '../../src/protocol/bytes.ts';

/** Names of the TIP-20 tokens the devnet knows; any other asset is shown by its address. */
const ASSETS: ReadonlyMap<string, string> = new Map([
  [toHex(ALPHA_USD), 'AlphaUSD'],
  [toHex(PATH_USD), 'pathUSD'],
]);

const UNIT = 10n ** BigInt(TIP20_DECIMALS);

/** `amount` base units of a 6-decimal TIP-20 token, e.g. "10.5", followed by the asset's name when given. */
export function formatAmount(amount: string | bigint, asset?: string): string {
  const units = BigInt(amount);
  const whole = units / UNIT;
  const fraction = (units % UNIT).toString().padStart(TIP20_DECIMALS, '0').replace(/0+$/, '');
  const number = fraction ? `${whole}.${fraction}` : whole.toString();
  return asset ? `${number} ${assetName(asset)}` : number;
}

/** Base units of a decimal amount typed by a person ("10", "0.25"); undefined when it is not one. */
export function parseAmount(text: string): bigint | undefined {
  const match = /^\s*(\d{1,12})(?:\.(\d{1,6}))?\s*$/.exec(text);
  if (!match) return undefined;
  return BigInt(match[1]!) * UNIT + BigInt((match[2] ?? '').padEnd(TIP20_DECIMALS, '0'));
}

export function assetName(asset: string): string {
  return ASSETS.get(asset.toLowerCase()) ?? short(asset);
}

/** `0x1234…abcd`. */
export function short(hex: string): string {
  return hex.length > 12 ? `${hex.slice(0, 6)}…${hex.slice(-4)}` : hex;
}

/** A server or chain time (unix millis) as `HH:MM:SS.mmm UTC`: absolute, never the browser's clock. */
export function formatTime(unixMillis: string | number): string {
  return `${new Date(Number(unixMillis)).toISOString().slice(11, 23)} UTC`;
}
