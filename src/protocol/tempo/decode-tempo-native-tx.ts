import { Errors, Hex, Rlp } from 'ox';
import { TxEnvelopeTempo } from 'ox/tempo';
import { bytesEqual, fromHex, toHex } from '../bytes.ts';
import type { CryptoSuite } from '../crypto/suite.ts';
import { RejectCode } from '../reject.ts';
import { type DecodeTempoTxResult, decodeFailure, invalidTx } from './decoded-tempo-tx.ts';
import { maxFeeInFeeTokenUnits } from './max-fee.ts';
import { recoverSecp256k1Sender } from './secp256k1-sender.ts';
import { parseTempoSignature, recoverTempoSender } from './tempo-signature.ts';
import { isTip20Address, parseTip20Transfer } from './tip20-transfer.ts';
import { checkTxBounds } from './tx-bounds.ts';
import { uintToBytes32 } from './uint-bytes.ts';

/** Tempo tx type byte (`TEMPO_TX_TYPE_ID`). */
export const TEMPO_TX_TYPE = 0x76;

const UNSIGNED_FIELDS = 13;
/** chainId, maxPriorityFeePerGas, maxFeePerGas, gas, nonceKey, nonce, validBefore, validAfter. */
const INTEGER_FIELDS = [0, 1, 2, 3, 6, 7, 8, 9];
const MAX_NONCE_KEY = (1n << 256n) - 1n;

/**
 * Decodes `TEMPO_NATIVE_V1`: a type 0x76 tx in the real Tempo encoding (ox `TxEnvelopeTempo`: 13 fields plus the
 * sender's signature envelope as the last RLP item; sender signs keccak256 of ox `encodeForSigning`). Fixes
 * reference §7.2/§14: the bytes must be exactly ox's re-serialization (canonical RLP, no trailing data, canonical
 * integers); exactly one call, a TIP-20 transfer; no key authorization or authorization list (we cannot account for
 * them); the sender is recovered with the suite (secp256k1) or verified (P256); a fee payer signature is recovered
 * so a sponsored fee is attributed correctly; the signed chain id, nonce key, nonce, validity window, fee token and
 * maximum fee gas × maxFeePerGas / 10^12 are returned.
 */
export function decodeTempoNativeTx(suite: CryptoSuite, bytes: Uint8Array): DecodeTempoTxResult {
  if (bytes[0] !== TEMPO_TX_TYPE) return invalidTx('not a Tempo native tx (expected 0x76 prefix)');
  let fields: ReturnType<typeof Rlp.toHex>;
  try {
    fields = Rlp.toHex(bytes.subarray(1));
  } catch (err) {
    return invalidTx(`invalid tempo tx encoding: ${describe(err)}`);
  }
  if (!Array.isArray(fields)) return invalidTx('expected RLP list for tempo tx body');
  if (Array.isArray(fields[UNSIGNED_FIELDS])) {
    return decodeFailure(RejectCode.NOT_PAYMENT_TX, 'key authorization is not supported in a payment tx');
  }
  if (fields.length !== UNSIGNED_FIELDS + 1) {
    return invalidTx(
      `expected ${UNSIGNED_FIELDS} tempo tx fields and a signature, got ${fields.length} items`,
    );
  }
  if (INTEGER_FIELDS.some((i) => typeof fields[i] !== 'string' || (fields[i] as string).startsWith('0x00'))) {
    return invalidTx('non-canonical integer in tempo tx');
  }
  const signature = parseTempoSignature(fromHex(fields[UNSIGNED_FIELDS] as Hex.Hex));
  if (!('type' in signature)) return { ok: false, reject: signature };

  // Canonical means: the outer list re-encodes to the input (no trailing data, minimal headers), the signature
  // item is canonical by its parse above, and ox re-serializes the 13 fields exactly. The sender signature is not
  // fed to ox, so ox never runs its slow JS recovery.
  let envelope: TxEnvelopeTempo.TxEnvelopeTempo;
  let signingPreimage: Hex.Hex;
  try {
    if (Hex.concat('0x76', Rlp.fromHex(fields)) !== toHex(bytes))
      return invalidTx('non-canonical tempo tx encoding');
    const unsigned = Hex.concat('0x76', Rlp.fromHex(fields.slice(0, UNSIGNED_FIELDS)));
    envelope = TxEnvelopeTempo.deserialize(unsigned as TxEnvelopeTempo.Serialized);
    signingPreimage = TxEnvelopeTempo.encodeForSigning(envelope);
    const reserialized =
      envelope.feePayerSignature === undefined ? signingPreimage : TxEnvelopeTempo.serialize(envelope);
    if (reserialized.toLowerCase() !== unsigned) return invalidTx('non-canonical tempo tx encoding');
  } catch (err) {
    return invalidTx(`invalid tempo tx encoding: ${describe(err)}`);
  }

  if (envelope.feePayerSignature === null) return invalidTx('fee payer signature is a placeholder (0x00)');
  if (envelope.authorizationList?.length) {
    return decodeFailure(RejectCode.NOT_PAYMENT_TX, 'authorization list is not supported in a payment tx');
  }
  if (envelope.calls.length !== 1)
    return decodeFailure(RejectCode.NOT_PAYMENT_TX, 'exactly one call is allowed');
  const nonceKey = envelope.nonceKey ?? 0n;
  if (nonceKey > MAX_NONCE_KEY) return invalidTx('nonceKey exceeds 32 bytes');
  const nonce = envelope.nonce ?? 0n;
  const gas = envelope.gas ?? 0n;
  const maxFeePerGas = envelope.maxFeePerGas ?? 0n;
  const outOfBounds = checkTxBounds(nonce, gas, [maxFeePerGas, envelope.maxPriorityFeePerGas ?? 0n]);
  if (outOfBounds) return { ok: false, reject: outOfBounds };
  const feeToken = envelope.feeToken === undefined ? undefined : fromHex(String(envelope.feeToken));
  if (feeToken && !isTip20Address(feeToken)) return invalidTx('fee token is not a TIP-20 token');

  const [call] = envelope.calls;
  const payment = parseTip20Transfer({
    ...(call?.to ? { to: fromHex(call.to) } : {}),
    value: call?.value ?? 0n,
    data: fromHex(call?.data ?? '0x'),
  });
  if (!payment.ok) return payment;

  const signingHash = suite.keccak256(fromHex(signingPreimage));
  const sender = recoverTempoSender(suite, signingHash, signature);
  if (!(sender instanceof Uint8Array)) return { ok: false, reject: sender };
  let feePayer: Uint8Array | undefined;
  if (envelope.feePayerSignature) {
    const { r, s, yParity } = envelope.feePayerSignature;
    const payload = fromHex(TxEnvelopeTempo.getFeePayerSignPayload(envelope, { sender: toHex(sender) }));
    const recovered = recoverSecp256k1Sender(suite, payload, r, s, yParity);
    if (!(recovered instanceof Uint8Array)) {
      return invalidTx(`fee payer signature: ${recovered.message}`);
    }
    feePayer = recovered;
  }

  return {
    ok: true,
    tx: {
      kind: 'tempo',
      sender,
      chainId: BigInt(envelope.chainId),
      nonceKey: uintToBytes32(nonceKey),
      nonce,
      ...payment.transfer,
      ...(envelope.validBefore !== undefined ? { validBefore: BigInt(envelope.validBefore) } : {}),
      ...(envelope.validAfter !== undefined ? { validAfter: BigInt(envelope.validAfter) } : {}),
      ...(feeToken ? { feeToken } : {}),
      ...(feePayer ? { feePayer } : {}),
      sponsored: feePayer !== undefined && !bytesEqual(feePayer, sender),
      maxFee: maxFeeInFeeTokenUnits(gas, maxFeePerGas),
      signingHash,
    },
  };
}

/** ox's own short message for its validation errors; anything else (a TypeError deep in ox) is just malformed. */
function describe(err: unknown): string {
  if (!(err instanceof Errors.BaseError)) return 'malformed fields';
  const message = err.shortMessage;
  return message.length > 160 ? `${message.slice(0, 160)}…` : message;
}
