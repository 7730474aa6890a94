import { bytesEqual } from '../bytes.ts';
import type { CryptoSuite } from '../crypto/suite.ts';
import { RejectCode } from '../reject.ts';
import { authorizationListReject } from './authorization-list-reject.ts';
import { type DecodeTempoTxResult, decodeFailure, invalidTx } from './decoded-tempo-tx.ts';
import { maxFeeInFeeTokenUnits } from './max-fee.ts';
import { decodeRlp, isRlpUint, RlpError, rlpBytes, rlpListItems } from './rlp-reader.ts';
import { recoverSecp256k1Sender } from './secp256k1-sender.ts';
import { TEMPO_TX_TYPE, tempoFeePayerSignPayload, tempoSenderSignPayload } from './tempo-sign-payload.ts';
import { parseTempoSignature, recoverTempoSender } from './tempo-signature.ts';
import { readTempoTxFields } from './tempo-tx-fields.ts';
import { isTip20Address, parseTip20Transfer } from './tip20-transfer.ts';
import { checkTxBounds } from './tx-bounds.ts';
import { padUintTo32 } from './uint-bytes.ts';

const UNSIGNED_FIELDS = 13;
/** chainId, maxPriorityFeePerGas, maxFeePerGas, gas, nonceKey, nonce, validBefore, validAfter. */
const INTEGER_FIELDS = [0, 1, 2, 3, 6, 7, 8, 9];

/**
 * Decodes `TEMPO_NATIVE_V1`: a type 0x76 tx in the real Tempo encoding (ox `TxEnvelopeTempo`: 13 fields plus the
 * sender's signature envelope as the last RLP item; the sender signs keccak256 of `0x76 ‖ rlp(13 fields)`). Fixes
 * reference §7.2/§14: the bytes must be canonical RLP throughout (strict byte reader: minimal headers, no trailing
 * data, canonical integers) with ox's field rules; exactly one call, a TIP-20 transfer; no key authorization or
 * authorization list (we cannot account for them); the sender is recovered with the suite (secp256k1) or verified
 * (P256); a fee payer signature is recovered so a sponsored fee is attributed correctly; the signed chain id,
 * nonce key, nonce, validity window, fee token and maximum fee gas × maxFeePerGas / 10^12 are returned. The
 * signing payloads reuse the signed bytes of the fields, so the secp256k1 path never touches hex or ox.
 */
export function decodeTempoNativeTx(suite: CryptoSuite, bytes: Uint8Array): DecodeTempoTxResult {
  if (bytes[0] !== TEMPO_TX_TYPE) return invalidTx('not a Tempo native tx (expected 0x76 prefix)');
  try {
    return decodeTempoBody(suite, bytes);
  } catch (err) {
    if (!(err instanceof RlpError)) throw err;
    return invalidTx(
      err.nonCanonical ? 'non-canonical tempo tx encoding' : `invalid tempo tx encoding: ${err.message}`,
    );
  }
}

function decodeTempoBody(suite: CryptoSuite, bytes: Uint8Array): DecodeTempoTxResult {
  if (bytes.length === 1 || bytes[1]! < 0xc0) return invalidTx('expected RLP list for tempo tx body');
  const items = rlpListItems(bytes, decodeRlp(bytes, 1));
  if (items[UNSIGNED_FIELDS]?.isList) {
    return decodeFailure(RejectCode.NOT_PAYMENT_TX, 'key authorization is not supported in a payment tx');
  }
  if (items.length !== UNSIGNED_FIELDS + 1) {
    return invalidTx(
      `expected ${UNSIGNED_FIELDS} tempo tx fields and a signature, got ${items.length} items`,
    );
  }
  if (INTEGER_FIELDS.some((i) => !isRlpUint(bytes, items[i]!)))
    return invalidTx('non-canonical integer in tempo tx');
  const signature = parseTempoSignature(rlpBytes(bytes, items[UNSIGNED_FIELDS]!));
  if (!('type' in signature)) return { ok: false, reject: signature };

  const fields = readTempoTxFields(bytes, items);
  if (fields.feePayer === null) return invalidTx('fee payer signature is a placeholder (0x00)');
  if (fields.authorizationList) return authorizationListReject(fields.authorizationList);
  if (fields.calls.length !== 1)
    return decodeFailure(RejectCode.NOT_PAYMENT_TX, 'exactly one call is allowed');
  if (fields.nonceKey.length > 32) return invalidTx('nonceKey exceeds 32 bytes');
  const { nonce, gas, maxFeePerGas, feeToken, feePayer } = fields;
  const outOfBounds = checkTxBounds(nonce, gas, [maxFeePerGas, fields.maxPriorityFeePerGas]);
  if (outOfBounds) return { ok: false, reject: outOfBounds };
  if (feeToken && !isTip20Address(feeToken)) return invalidTx('fee token is not a TIP-20 token');
  const payment = parseTip20Transfer(fields.calls[0]!);
  if (!payment.ok) return payment;

  const signingHash = suite.keccak256(tempoSenderSignPayload(bytes, items, feePayer !== undefined));
  const sender = recoverTempoSender(suite, signingHash, signature);
  if (!(sender instanceof Uint8Array)) return { ok: false, reject: sender };
  let payer: Uint8Array | undefined;
  if (feePayer) {
    const feePayerHash = suite.keccak256(tempoFeePayerSignPayload(bytes, items, sender));
    const recovered = recoverSecp256k1Sender(suite, feePayerHash, feePayer);
    if (!(recovered instanceof Uint8Array)) return invalidTx(`fee payer signature: ${recovered.message}`);
    payer = recovered;
  }

  return {
    ok: true,
    tx: {
      kind: 'tempo',
      sender,
      chainId: fields.chainId,
      nonceKey: padUintTo32(fields.nonceKey),
      nonce,
      ...payment.transfer,
      ...(fields.validBefore !== undefined ? { validBefore: fields.validBefore } : {}),
      ...(fields.validAfter !== undefined ? { validAfter: fields.validAfter } : {}),
      ...(feeToken ? { feeToken } : {}),
      ...(payer ? { feePayer: payer } : {}),
      sponsored: payer !== undefined && !bytesEqual(payer, sender),
      maxFee: maxFeeInFeeTokenUnits(gas, maxFeePerGas),
      gasLimit: gas,
      maxFeePerGas,
      signingHash,
    },
  };
}
