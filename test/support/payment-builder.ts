import { type Hex, numberToBytes } from 'viem';
import { buildPayment as buildClientPayment } from '../../src/client/build-payment.ts';
import type { FastPayTx } from '../../src/protocol/types.ts';
import { ALPHA_USD } from './demo-keys.ts';
import { suite } from './validator-harness.ts';

/** A payment to sign as a real Tempo 0x76 transaction and wrap as a FastPayTx. */
export interface PaymentSpec {
  readonly key: Hex;
  readonly to: Uint8Array;
  readonly amount: bigint;
  readonly asset?: Uint8Array;
  readonly chainId?: bigint;
  readonly nonceKey?: bigint;
  readonly seq?: bigint;
  /** Unix seconds; default ten minutes from now (wall clock, like a real payer). */
  readonly validBefore?: bigint;
  readonly feeToken?: Uint8Array;
  /** Cited as is, so tests can cite a QC that is not attached. */
  readonly parentQcHash?: Uint8Array;
  readonly requestId?: string;
}

/** The client's payment builder (src/client/build-payment.ts) with test defaults: Alice's lane 1, seq 0, AlphaUSD. */
export async function buildPayment(spec: PaymentSpec): Promise<FastPayTx> {
  const { tx } = buildClientPayment({
    suite,
    account: spec.key,
    to: spec.to,
    amount: spec.amount,
    asset: spec.asset ?? ALPHA_USD,
    chainId: spec.chainId ?? 1337n,
    lane: { nonceKey: numberToBytes(spec.nonceKey ?? 1n, { size: 32 }) },
    seq: spec.seq ?? 0n,
    validBefore: spec.validBefore ?? BigInt(Math.floor(Date.now() / 1000) + 600),
    ...(spec.feeToken ? { feeToken: spec.feeToken } : {}),
    ...(spec.requestId ? { clientRequestId: spec.requestId } : {}),
  });
  return spec.parentQcHash ? { ...tx, parentQcHash: spec.parentQcHash } : tx;
}
