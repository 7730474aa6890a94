import { encodeFunctionData, erc20Abi, type Hex, numberToHex } from 'viem';
import { Account } from 'viem/tempo';
import { fromHex, toHex } from '../../src/protocol/bytes.ts';
import { type Expiry, type FastPayTx, TempoTxFormat } from '../../src/protocol/types.ts';
import { ALPHA_USD } from './demo-keys.ts';

/** A payment to sign as a real Tempo 0x76 transaction and wrap as a FastPayTx. */
export interface PaymentSpec {
  readonly key: Hex;
  readonly to: Uint8Array;
  readonly amount: bigint;
  readonly asset?: Uint8Array;
  readonly chainId?: bigint;
  readonly nonceKey?: bigint;
  readonly seq?: bigint;
  /** Unix seconds; default 2_000_000_000 (2033). */
  readonly validBefore?: bigint;
  readonly feeToken?: Uint8Array;
  readonly gas?: bigint;
  readonly maxFeePerGas?: bigint;
  readonly parentQcHash?: Uint8Array;
  readonly requestId?: string;
  /** Default: unix millis of validBefore. */
  readonly expiry?: Expiry;
}

/** Signs `spec` with viem/tempo (the real 0x76 encoding) and wraps it with matching wrapper fields. */
export async function buildPayment(spec: PaymentSpec): Promise<FastPayTx> {
  const account = Account.fromSecp256k1(spec.key);
  const asset = spec.asset ?? ALPHA_USD;
  const chainId = spec.chainId ?? 1337n;
  const nonceKey = spec.nonceKey ?? 1n;
  const seq = spec.seq ?? 0n;
  const validBefore = spec.validBefore ?? 2_000_000_000n;
  const data = encodeFunctionData({
    abi: erc20Abi,
    functionName: 'transfer',
    args: [toHex(spec.to), spec.amount],
  });
  const raw = await account.signTransaction({
    chainId: Number(chainId),
    calls: [{ to: toHex(asset), data }],
    nonceKey,
    nonce: Number(seq),
    gas: spec.gas ?? 100_000n,
    maxFeePerGas: spec.maxFeePerGas ?? 20_000_000_000n,
    maxPriorityFeePerGas: 1n,
    validBefore: Number(validBefore),
    ...(spec.feeToken ? { feeToken: toHex(spec.feeToken) } : {}),
  } as Parameters<typeof account.signTransaction>[0]);
  const sender = fromHex(account.address);
  const payment = { sender, recipient: spec.to, amount: spec.amount, asset };
  return {
    chainId,
    tempoTx: fromHex(raw),
    format: TempoTxFormat.TEMPO_NATIVE_V1,
    intent: payment,
    overlay: { payment },
    nonce: { nonceKey: fromHex(numberToHex(nonceKey, { size: 32 })), seq },
    expiry: spec.expiry ?? { kind: 'unixMillis', value: validBefore * 1000n },
    parentQcHash: spec.parentQcHash ?? new Uint8Array(),
    clientRequestId: spec.requestId ?? '',
  };
}
