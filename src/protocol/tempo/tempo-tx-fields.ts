import { RlpError, type RlpItem, rlpBytes, rlpListItems, rlpUint } from './rlp-reader.ts';
import type { Secp256k1Signature } from './secp256k1-sender.ts';
import type { PaymentCall } from './tip20-transfer.ts';

/** The 13 unsigned fields of a 0x76 tx, in ox `TxEnvelopeTempo` terms (absent integers are 0). */
export interface TempoTxFields {
  readonly chainId: bigint;
  readonly maxPriorityFeePerGas: bigint;
  readonly maxFeePerGas: bigint;
  readonly gas: bigint;
  readonly calls: readonly PaymentCall[];
  /** Canonical big-endian bytes of any width; the caller bounds it. */
  readonly nonceKey: Uint8Array;
  readonly nonce: bigint;
  readonly validBefore?: bigint;
  readonly validAfter?: bigint;
  readonly feeToken?: Uint8Array;
  /** Absent, the `0x00` placeholder (null, as in ox) or the fee payer's signature. */
  readonly feePayer?: Secp256k1Signature | null;
  /** The encoded authorization list, when it is not empty. */
  readonly authorizationList?: Uint8Array;
}

const ADDRESS_BYTES = 20;
const STORAGE_KEY_BYTES = 32;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function malformed(): RlpError {
  return new RlpError('malformed fields');
}

/**
 * Reads the 13 unsigned fields of a 0x76 tx body (`items`: its canonical RLP items, 14 of them, integer fields
 * canonical) with exactly the field rules ox's `TxEnvelopeTempo.deserialize` + `serialize` round trip enforced
 * (Tempo's `TempoTransaction` fields): integers of at most 32 bytes, chain id and validity bounds within 2^53 − 1,
 * validBefore > validAfter, tip ≤ fee cap, at least one call of [to (empty or 20 bytes), value, data], an access
 * list of [address, [32-byte keys]], a fee payer slot that is empty, the `0x00` placeholder (then without fee
 * token) or [yParity, r, s]. Throws RlpError (nonCanonical for a non-minimal value).
 */
export function readTempoTxFields(bytes: Uint8Array, items: readonly RlpItem[]): TempoTxFields {
  const calls = readCalls(bytes, items[4]!);
  checkAccessList(bytes, items[5]!);
  const authorizationList = items[12]!;
  if (!authorizationList.isList) throw malformed();
  const feePayer = readFeePayer(bytes, items[11]!);

  const chainId = uintAt(bytes, items, 0);
  if (chainId === 0n) throw malformed();
  if (chainId > MAX_SAFE) throw new RlpError('chain id exceeds 2^53 - 1');
  const validBefore = optionalSeconds(uintAt(bytes, items, 8), 'validBefore');
  const validAfter = optionalSeconds(uintAt(bytes, items, 9), 'validAfter');
  if (validBefore !== undefined && validAfter !== undefined && validBefore <= validAfter) {
    throw new RlpError(`validBefore (${validBefore}) must be greater than validAfter (${validAfter}).`);
  }
  const maxPriorityFeePerGas = uintAt(bytes, items, 1);
  const maxFeePerGas = uintAt(bytes, items, 2);
  if (maxFeePerGas > 0n && maxPriorityFeePerGas > maxFeePerGas) {
    throw new RlpError('maxPriorityFeePerGas exceeds maxFeePerGas');
  }
  const feeToken = rlpBytes(bytes, items[10]!);
  if (feeToken.length !== 0 && feeToken.length !== ADDRESS_BYTES)
    throw new RlpError('fee token is not an address');
  if (feePayer === null && feeToken.length !== 0) {
    throw new RlpError('fee token next to the fee payer placeholder', true);
  }

  return {
    chainId,
    maxPriorityFeePerGas,
    maxFeePerGas,
    gas: uintAt(bytes, items, 3),
    calls,
    nonceKey: rlpBytes(bytes, items[6]!),
    nonce: uintAt(bytes, items, 7),
    validBefore,
    validAfter,
    feeToken: feeToken.length ? feeToken.slice() : undefined,
    feePayer,
    authorizationList:
      authorizationList.end > authorizationList.payloadStart
        ? bytes.subarray(authorizationList.start, authorizationList.end)
        : undefined,
  };
}

/** The integer field `index` (at most 32 bytes, as the chain's U256 at widest). */
function uintAt(bytes: Uint8Array, items: readonly RlpItem[], index: number): bigint {
  return rlpUint(rlpBytes(bytes, items[index]!), 32);
}

function readCalls(bytes: Uint8Array, item: RlpItem): PaymentCall[] {
  if (!item.isList && item.end !== item.payloadStart) throw malformed();
  const calls = item.isList ? rlpListItems(bytes, item).map((call) => readCall(bytes, call)) : [];
  if (calls.length === 0) throw new RlpError('Calls list cannot be empty.');
  return calls;
}

function readCall(bytes: Uint8Array, item: RlpItem): PaymentCall {
  const [to, value, data] = strings(bytes, item, 3) as [Uint8Array, Uint8Array, Uint8Array];
  if (to.length !== 0 && to.length !== ADDRESS_BYTES) throw new RlpError('call target is not an address');
  return { to: to.length ? to.slice() : undefined, value: rlpUint(value, 32), data };
}

function checkAccessList(bytes: Uint8Array, item: RlpItem): void {
  if (!item.isList) throw malformed();
  for (const entry of rlpListItems(bytes, item)) {
    const parts = entry.isList ? rlpListItems(bytes, entry) : [];
    const [address, keys] = parts;
    if (
      parts.length !== 2 ||
      address!.isList ||
      address!.end - address!.payloadStart !== ADDRESS_BYTES ||
      !keys!.isList
    ) {
      throw new RlpError('malformed access list');
    }
    for (const key of rlpListItems(bytes, keys!)) {
      if (key.isList || key.end - key.payloadStart !== STORAGE_KEY_BYTES)
        throw new RlpError('malformed access list');
    }
  }
}

function readFeePayer(bytes: Uint8Array, item: RlpItem): Secp256k1Signature | null | undefined {
  if (!item.isList) {
    const marker = rlpBytes(bytes, item);
    if (marker.length === 0) return undefined;
    if (marker.length === 1 && marker[0] === 0) return null;
    throw malformed();
  }
  const [v, r, s] = strings(bytes, item, 3) as [Uint8Array, Uint8Array, Uint8Array];
  if (v[0] === 0 || r[0] === 0 || s[0] === 0) throw new RlpError('RLP integer has a leading zero', true);
  if (v.length > 1 || (v.length === 1 && v[0] !== 1))
    throw new RlpError('fee payer signature y-parity must be 0 or 1');
  if (r.length > 32 || s.length > 32) throw new RlpError('fee payer signature value wider than 32 bytes');
  return { r, s, yParity: v.length };
}

/** The payloads of the list `item`, which must hold exactly `count` strings. */
function strings(bytes: Uint8Array, item: RlpItem, count: number): Uint8Array[] {
  if (!item.isList) throw malformed();
  const parts = rlpListItems(bytes, item);
  if (parts.length !== count || parts.some((part) => part.isList)) throw malformed();
  return parts.map((part) => rlpBytes(bytes, part));
}

/** An optional Unix time: 0 (empty) is absent; ox holds it as a JS number, so it must stay within 2^53 − 1. */
function optionalSeconds(value: bigint, name: string): bigint | undefined {
  if (value > MAX_SAFE) throw new RlpError(`${name} exceeds 2^53 - 1`);
  return value === 0n ? undefined : value;
}
