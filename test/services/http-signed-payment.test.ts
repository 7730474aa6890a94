import { describe, expect, it } from 'vitest';
import { signTempoTransfer } from '../../src/chain/tempo-transfer.ts';
import { fromHex } from '../../src/protocol/bytes.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import {
  DEFAULT_EXPIRY_WINDOW_MS,
  defaultExpiry,
  signedPaymentRequest,
} from '../../src/services/aggregator/signed-payment-request.ts';
import { ALICE_KEY, ALPHA_USD, BOB, PATH_USD } from '../support/demo-keys.ts';
import { suite } from '../support/validator-harness.ts';

function signed(validBefore?: bigint) {
  return signTempoTransfer({
    chainId: 1337n,
    senderKey: fromHex(ALICE_KEY),
    recipient: BOB,
    amount: 1_000n,
    token: ALPHA_USD,
    nonceKey: new Uint8Array(32).fill(9),
    nonce: 0n,
    feeToken: PATH_USD,
    ...(validBefore === undefined ? {} : { validBefore }),
  });
}

describe('REST submit-raw-tx bodies as the reference clients send them', () => {
  it('takes a tx without validBefore and no stated expiry with the default window', () => {
    const built = signedPaymentRequest(suite, {
      signedTx: signed(),
      defaultExpiryUnixMillis: 1_800_000_000_000n,
    });
    expect(built.ok && built.request.tx?.expiry).toEqual({ kind: 'unixMillis', value: 1_800_000_000_000n });
    const stated = signedPaymentRequest(suite, {
      signedTx: signed(),
      expiryUnixMillis: 1_700_000_000_000n,
      defaultExpiryUnixMillis: 1_800_000_000_000n,
    });
    expect(stated.ok && stated.request.tx?.expiry).toEqual({ kind: 'unixMillis', value: 1_700_000_000_000n });
    const none = signedPaymentRequest(suite, { signedTx: signed() });
    expect(!none.ok && none.reject.code).toBe(RejectCode.INVALID_FORMAT);
  });

  it("takes the expiry from the tx's validBefore when it has one, whatever the default", () => {
    const built = signedPaymentRequest(suite, {
      signedTx: signed(1_750_000_000n),
      defaultExpiryUnixMillis: 1_800_000_000_000n,
    });
    expect(built.ok && built.request.tx?.expiry).toEqual({ kind: 'unixMillis', value: 1_750_000_000_000n });
  });

  it('rounds the default expiry up to a whole minute, so a resubmission within the minute keeps its tx hash', () => {
    const now = 1_700_000_012_345n;
    expect(defaultExpiry(now) % 60_000n).toBe(0n);
    expect(defaultExpiry(now) - now).toBeGreaterThanOrEqual(DEFAULT_EXPIRY_WINDOW_MS);
    expect(defaultExpiry(now) - now).toBeLessThan(DEFAULT_EXPIRY_WINDOW_MS + 60_000n);
    expect(defaultExpiry(now + 1_000n)).toBe(defaultExpiry(now));
  });
});
