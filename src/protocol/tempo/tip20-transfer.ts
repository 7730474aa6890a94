import { fromHex } from '../bytes.ts';
import { type Reject, RejectCode, reject } from '../reject.ts';
import { uintFromBytes } from './uint-bytes.ts';

/**
 * Tempo's TIP-20 token address prefix `0x20c0` followed by ten zero bytes (`TIP20_TOKEN_PREFIX`, 12 bytes; the
 * remaining 8 bytes are the token id). The 12-byte form is what the chain itself tests and cannot be ground by a
 * contract deployer, unlike the 2-byte `0x20c0` the reference's native decoder checks (reference §7.1 step 5).
 */
export const TIP20_ADDRESS_PREFIX: Uint8Array = fromHex('20c000000000000000000000');

const TRANSFER_SELECTOR = fromHex('a9059cbb');
const TRANSFER_CALLDATA_BYTES = 68;

/** One call of a tx: target (undefined for a contract creation), native value and calldata. */
export interface PaymentCall {
  readonly to?: Uint8Array;
  readonly value: bigint;
  readonly data: Uint8Array;
}

/** A TIP-20 `transfer(recipient, amount)` call on `asset`. */
export interface Tip20Transfer {
  readonly asset: Uint8Array;
  readonly recipient: Uint8Array;
  readonly amount: bigint;
}

/** True when `address` is 20 bytes and starts with {@link TIP20_ADDRESS_PREFIX}. */
export function isTip20Address(address: Uint8Array): boolean {
  return address.length === 20 && startsWith(address, TIP20_ADDRESS_PREFIX);
}

/**
 * Accepts exactly a TIP-20 `transfer(address,uint256)` with no native value, in the reference's order
 * (§7.1 steps 3–8): value 0, a call not a create, a TIP-20 target, 68 bytes of calldata with selector a9059cbb, a
 * zero-padded recipient and an amount that fits u64.
 */
export function parseTip20Transfer(
  call: PaymentCall,
): { ok: true; transfer: Tip20Transfer } | { ok: false; reject: Reject } {
  if (call.value !== 0n) return fail(RejectCode.NOT_PAYMENT_TX, 'native value transfers are not supported');
  if (call.to === undefined) return fail(RejectCode.NOT_PAYMENT_TX, 'contract creation is not a payment tx');
  if (!isTip20Address(call.to)) {
    return fail(RejectCode.NOT_PAYMENT_TX, 'token address is not TIP-20 payment-prefixed');
  }
  const data = call.data;
  if (data.length !== TRANSFER_CALLDATA_BYTES || !startsWith(data, TRANSFER_SELECTOR)) {
    return fail(RejectCode.NOT_PAYMENT_TX, 'unsupported call data');
  }
  if (!isZero(data.subarray(4, 16))) return fail(RejectCode.INVALID_FORMAT, 'invalid recipient encoding');
  if (!isZero(data.subarray(36, 60))) return fail(RejectCode.INVALID_FORMAT, 'amount does not fit u64');
  const amount = uintFromBytes(data.subarray(60, 68));
  return { ok: true, transfer: { asset: call.to, recipient: data.slice(16, 36), amount } };
}

function fail(code: RejectCode, message: string): { ok: false; reject: Reject } {
  return { ok: false, reject: reject(code, message) };
}

function startsWith(bytes: Uint8Array, prefix: Uint8Array): boolean {
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}
