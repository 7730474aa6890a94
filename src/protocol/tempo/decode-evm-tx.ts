import { parseTransaction, serializeTransaction } from 'viem/utils';
import { fromHex, toHex } from '../bytes.ts';
import type { CryptoSuite } from '../crypto/suite.ts';
import { RejectCode } from '../reject.ts';
import { type DecodeTempoTxResult, decodeFailure, invalidTx } from './decoded-tempo-tx.ts';
import { maxFeeInFeeTokenUnits } from './max-fee.ts';
import { recoverSecp256k1Sender } from './secp256k1-sender.ts';
import { parseTip20Transfer } from './tip20-transfer.ts';
import { checkTxBounds } from './tx-bounds.ts';

/**
 * Decodes `EVM_OPAQUE_BYTES_V1` (reference §7.1): an EIP-155 legacy, EIP-2930 or EIP-1559 tx parsed by viem, whose
 * bytes must be exactly viem's re-serialization (no trailing data, canonical RLP), carrying one TIP-20 transfer.
 * Departures from the reference: a pre-EIP-155 legacy tx (no chain id, replayable on any chain) is refused, the
 * signed chain id and nonce are returned instead of ignored, high-s signatures are refused, and the maximum fee
 * gasLimit × (gasPrice | maxFeePerGas) / 10^12 is computed (§14). Types 0x03/0x04 are not payments.
 */
export function decodeEvmTx(suite: CryptoSuite, bytes: Uint8Array): DecodeTempoTxResult {
  const type = bytes[0]!;
  if (type === 0x03 || type === 0x04)
    return decodeFailure(RejectCode.NOT_PAYMENT_TX, 'unsupported ethereum tx type');
  if (type !== 0x01 && type !== 0x02 && type < 0xc0) return invalidTx('invalid ethereum tx encoding');
  const kind = type === 0x01 ? 'eip2930' : type === 0x02 ? 'eip1559' : 'legacy';
  const hex = toHex(bytes);
  let parsed: ReturnType<typeof parseTransaction>;
  try {
    parsed = parseTransaction(hex);
  } catch {
    return invalidTx('invalid ethereum tx encoding');
  }
  const { r, s, v, yParity, ...unsigned } = parsed;
  if (r === undefined || s === undefined || v === undefined || yParity === undefined) {
    return invalidTx('ethereum tx is not signed');
  }
  if (unsigned.chainId === undefined) return invalidTx('legacy tx without EIP-155 chain id is replayable');
  if (!Number.isSafeInteger(unsigned.chainId)) return invalidTx('chain id too large');
  let signingPreimage: string;
  try {
    if (serializeTransaction(unsigned, { r, s, v, yParity }) !== hex) {
      return invalidTx('non-canonical ethereum tx encoding');
    }
    signingPreimage = serializeTransaction(unsigned);
  } catch {
    return invalidTx('invalid ethereum tx encoding');
  }

  const nonce = BigInt(unsigned.nonce ?? 0);
  const gas = unsigned.gas ?? 0n;
  const maxFeePerGas = (unsigned.type === 'eip1559' ? unsigned.maxFeePerGas : unsigned.gasPrice) ?? 0n;
  const priorityFee = unsigned.type === 'eip1559' ? (unsigned.maxPriorityFeePerGas ?? 0n) : 0n;
  const outOfBounds = checkTxBounds(nonce, gas, [maxFeePerGas, priorityFee]);
  if (outOfBounds) return { ok: false, reject: outOfBounds };

  const payment = parseTip20Transfer({
    ...(unsigned.to ? { to: fromHex(unsigned.to) } : {}),
    value: unsigned.value ?? 0n,
    data: fromHex(unsigned.data ?? '0x'),
  });
  if (!payment.ok) return payment;

  const signingHash = suite.keccak256(fromHex(signingPreimage));
  const sender = recoverSecp256k1Sender(suite, signingHash, { r: fromHex(r), s: fromHex(s), yParity });
  if (!(sender instanceof Uint8Array)) return { ok: false, reject: sender };
  return {
    ok: true,
    tx: {
      kind,
      sender,
      chainId: BigInt(unsigned.chainId),
      nonceKey: new Uint8Array(32),
      nonce,
      ...payment.transfer,
      sponsored: false,
      maxFee: maxFeeInFeeTokenUnits(gas, maxFeePerGas),
      gasLimit: gas,
      maxFeePerGas,
      signingHash,
    },
  };
}
