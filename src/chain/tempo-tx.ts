import { Secp256k1 } from 'ox';
import { TxEnvelopeTempo } from 'ox/tempo';
import { bytesToBigInt } from 'viem';
import { fromHex, toHex } from '../protocol/bytes.ts';
import type { CryptoSuite } from '../protocol/crypto/suite.ts';

/** One call of a Tempo transaction. */
export interface TempoCall {
  readonly to: Uint8Array;
  readonly data: Uint8Array;
}

/** A call that creates a contract from its creation code (constructor arguments appended). */
export interface TempoCreate {
  readonly create: Uint8Array;
}

/** Gas limit and EIP-1559 fee caps. Fee caps are attodollars per gas; fee = ceil(gasUsed × price / 10^12). */
export interface TempoFees {
  readonly gas: bigint;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

/**
 * Fees for the devnet: anvil's base fee starts at 10^10 and falls while blocks are empty, so a 2×10^10 cap
 * (mainnet's base fee, TIP-1010) always suffices. The 1M gas limit also covers a transfer that opens a new
 * nonce key and a new recipient balance on TIP-1000 networks (~250k gas each). The fee token is pre-charged
 * the cap (0.02 units) and refunded the unused part.
 */
export const DEVNET_FEES: TempoFees = {
  gas: 1_000_000n,
  maxFeePerGas: 20_000_000_000n,
  maxPriorityFeePerGas: 0n,
};

export interface TempoTx {
  readonly chainId: bigint;
  /** 32-byte secp256k1 private key of the sender. */
  readonly senderKey: Uint8Array;
  readonly calls: readonly (TempoCall | TempoCreate)[];
  /** 32-byte big-endian 2D nonce key; all zero selects the protocol nonce. */
  readonly nonceKey: Uint8Array;
  readonly nonce: bigint;
  /** TIP-20 token the sender pays the fee in (the tx's `feeToken`, which overrides any preference). */
  readonly feeToken: Uint8Array;
  /** Unix seconds; the node refuses it unless more than ~3 s in the future. Omitted: no expiry. */
  readonly validBefore?: bigint;
  readonly fees?: TempoFees;
  /** Signs the tx's 32-byte hash (a suite's native signing); default ox's pure-JS secp256k1, same bytes. */
  readonly sign?: CryptoSuite['signRecoverable'];
}

/** Builds and signs a Tempo type 0x76 transaction; returns the raw signed bytes for `eth_sendRawTransaction`. */
export function signTempoTx(tx: TempoTx): Uint8Array {
  const fees = tx.fees ?? DEVNET_FEES;
  const envelope = TxEnvelopeTempo.from({
    chainId: Number(tx.chainId),
    calls: tx.calls.map((c) =>
      'create' in c ? { data: toHex(c.create) } : { to: toHex(c.to), data: toHex(c.data) },
    ),
    nonceKey: bytesToBigInt(tx.nonceKey),
    nonce: tx.nonce,
    feeToken: toHex(tx.feeToken),
    ...(tx.validBefore === undefined ? {} : { validBefore: Number(tx.validBefore) }),
    gas: fees.gas,
    maxFeePerGas: fees.maxFeePerGas,
    maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
  });
  const payload = TxEnvelopeTempo.getSignPayload(envelope);
  const signature = tx.sign
    ? oxSignature(tx.sign(fromHex(payload), tx.senderKey))
    : Secp256k1.sign({ payload, privateKey: toHex(tx.senderKey) });
  return fromHex(TxEnvelopeTempo.serialize(envelope, { signature }));
}

function oxSignature({ signature, recoveryId }: ReturnType<CryptoSuite['signRecoverable']>) {
  return {
    r: bytesToBigInt(signature.subarray(0, 32)),
    s: bytesToBigInt(signature.subarray(32, 64)),
    yParity: recoveryId,
  };
}
