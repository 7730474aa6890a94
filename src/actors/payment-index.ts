import type { Store, StoreWrite } from '../store/store.ts';
import type { PaymentContext } from './payment.machine.ts';

/** Store key prefixes of the payment indexes; each entry's value is the payment's tx hash (UTF-8 0x-hex). */
const ORDER_PREFIX = 'payment-order/';
const ADDRESS_PREFIX = 'payment-address/';
const OPEN_PREFIX = 'payment-open/';
/** Finished payments oldest first: `payment-finished/<finishedAt, 16 digits>/<txHash>`, the retention's queue. */
const FINISHED_PREFIX = 'payment-finished/';
/** Present once every stored payment is in the indexes (v2: the finished index too). */
export const PAYMENT_INDEX_MARKER = 'payment-index/v2';

/** Where a payment sorts: newest submission first, then descending tx hash. */
export type PaymentOrder = readonly [submittedAt: number, txHash: string];

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const MILLIS_SPAN = 10n ** 16n;

export function orderOf(context: PaymentContext): PaymentOrder {
  return [context.stageTimes.SUBMITTED ?? 0, context.txHash];
}

/** A key suffix whose ascending byte order is the newest-first order: inverted millis, inverted hex digits. */
function suffixOf([submittedAt, txHash]: PaymentOrder): string {
  const millis = (MILLIS_SPAN - 1n - BigInt(submittedAt)).toString().padStart(16, '0');
  const hash = [...txHash.toLowerCase()].map((c) => {
    const digit = Number.parseInt(c, 16);
    return Number.isNaN(digit) ? c : (15 - digit).toString(16);
  });
  return `${millis}/${hash.join('')}`;
}

/** The index entries a new payment adds: the overall order, its sender's and recipient's, and the open set. */
export function indexWrites(context: PaymentContext): StoreWrite[] {
  const suffix = suffixOf(orderOf(context));
  const value = encoder.encode(context.txHash);
  const addresses = new Set([context.sender.toLowerCase(), context.recipient.toLowerCase()]);
  return [
    { key: ORDER_PREFIX + suffix, value },
    ...[...addresses].map((a) => ({ key: `${ADDRESS_PREFIX}${a}/${suffix}`, value })),
    { key: OPEN_PREFIX + context.txHash, value },
  ];
}

/** The writes that move a payment finished at `finishedAt` (unix millis) from the open set to the finished queue. */
export function closeWrites(txHash: string, finishedAt: number): StoreWrite[] {
  return [
    { key: OPEN_PREFIX + txHash, value: null },
    { key: finishedKey(finishedAt, txHash), value: encoder.encode(txHash) },
  ];
}

/** The deletes that take a finished payment out of the order indexes (its snapshot and queue entry are the caller's). */
export function forgetWrites(context: PaymentContext): StoreWrite[] {
  return indexWrites(context)
    .slice(0, -1)
    .map((w) => ({ key: w.key, value: null }));
}

function finishedKey(finishedAt: number, txHash: string): string {
  return `${FINISHED_PREFIX}${String(finishedAt).padStart(16, '0')}/${txHash}`;
}

/**
 * Finished payments, the first finished first, each with its queue entry's key and when it finished (bounded
 * memory: one at a time).
 */
export async function* finishedPayments(
  store: Store,
): AsyncIterable<{ key: string; txHash: string; finishedAt: number }> {
  for await (const [key, value] of store.scan(FINISHED_PREFIX)) {
    const finishedAt = Number(key.slice(FINISHED_PREFIX.length, FINISHED_PREFIX.length + 16));
    yield { key, txHash: decoder.decode(value), finishedAt };
  }
}

/** Tx hashes of the open payments (bounded memory: one at a time). */
export async function* openPayments(store: Store): AsyncIterable<string> {
  for await (const [, value] of store.scan(OPEN_PREFIX)) yield decoder.decode(value);
}

/** Tx hashes newest first, of every payment or of one address's, strictly after `after`. */
export async function* paymentsInOrder(
  store: Store,
  filter: { readonly address?: string; readonly after?: PaymentOrder },
): AsyncIterable<string> {
  const prefix = filter.address ? `${ADDRESS_PREFIX}${filter.address.toLowerCase()}/` : ORDER_PREFIX;
  const scan = filter.after
    ? store.scan(prefix, { after: prefix + suffixOf(filter.after) })
    : store.scan(prefix);
  for await (const [, value] of scan) yield decoder.decode(value);
}

export function cursorOf(order: PaymentOrder): string {
  return Buffer.from(JSON.stringify(order)).toString('base64url');
}

/** The order a cursor stands for; throws for a cursor `cursorOf` did not make. */
export function parseCursor(cursor: string): PaymentOrder {
  let order: unknown;
  try {
    order = JSON.parse(Buffer.from(cursor, 'base64url').toString());
  } catch {
    order = undefined;
  }
  if (!Array.isArray(order) || typeof order[0] !== 'number' || typeof order[1] !== 'string') {
    throw new Error(`invalid cursor "${cursor}"`);
  }
  return [order[0], order[1]];
}
