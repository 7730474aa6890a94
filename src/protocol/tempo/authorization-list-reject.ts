import * as Errors from 'ox/Errors';
import * as Rlp from 'ox/Rlp';
import * as AuthorizationTempo from 'ox/tempo/AuthorizationTempo';
import { toHex } from '../bytes.ts';
import { RejectCode } from '../reject.ts';
import { type DecodeTempoTxResult, decodeFailure, invalidTx } from './decoded-tempo-tx.ts';

/**
 * The reject for a 0x76 tx with a non-empty authorization list (`encoded`: the list item, canonical RLP): it is not
 * a payment (NOT_PAYMENT_TX, its effects cannot be accounted for) when ox reads it as Tempo authorizations that
 * re-encode to the same bytes, and malformed (INVALID_FORMAT) otherwise, exactly as before the byte reader. ox
 * runs only on this rare path; its errors never escape.
 */
export function authorizationListReject(encoded: Uint8Array): DecodeTempoTxResult {
  try {
    const authorizations = AuthorizationTempo.fromTupleList(Rlp.toHex(encoded) as never);
    const reencoded = Rlp.fromHex(AuthorizationTempo.toTupleList(authorizations) as never);
    if (reencoded !== toHex(encoded)) return invalidTx('non-canonical tempo tx encoding');
  } catch (err) {
    return invalidTx(`invalid tempo tx encoding: ${describe(err)}`);
  }
  return decodeFailure(RejectCode.NOT_PAYMENT_TX, 'authorization list is not supported in a payment tx');
}

/** ox's own short message for its validation errors; anything else (a TypeError deep in ox) is just malformed. */
function describe(err: unknown): string {
  if (!(err instanceof Errors.BaseError)) return 'malformed fields';
  const message = err.shortMessage;
  return message.length > 160 ? `${message.slice(0, 160)}…` : message;
}
