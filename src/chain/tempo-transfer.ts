import { encodeFunctionData } from 'viem';
import { Abis } from 'viem/tempo';
import { fromHex, toHex } from '../protocol/bytes.ts';
import { ALPHA_USD } from './tempo-tokens.ts';
import { signTempoTx, type TempoCall, type TempoTx } from './tempo-tx.ts';

/** The TIP-20 `transfer(to, amount)` call on `token`. */
export function tip20TransferCall(token: Uint8Array, to: Uint8Array, amount: bigint): TempoCall {
  return {
    to: token,
    data: fromHex(
      encodeFunctionData({ abi: Abis.tip20, functionName: 'transfer', args: [toHex(to), amount] }),
    ),
  };
}

export interface TempoTransfer extends Omit<TempoTx, 'calls'> {
  readonly recipient: Uint8Array;
  readonly amount: bigint;
  /** TIP-20 token to pay in. Default AlphaUSD. */
  readonly token?: Uint8Array;
}

/** Signs a Tempo 0x76 transaction with a single TIP-20 transfer (an Allegro payment); returns the raw bytes. */
export function signTempoTransfer(transfer: TempoTransfer): Uint8Array {
  const { recipient, amount, token = ALPHA_USD, ...tx } = transfer;
  return signTempoTx({ ...tx, calls: [tip20TransferCall(token, recipient, amount)] });
}
