import { numberToBytes } from 'viem';
import { ALPHA_USD } from '../chain/tempo-tokens.ts';
import { buildPayment } from '../client/build-payment.ts';
import { payerAddress } from '../client/payer-key.ts';
import { fromHex } from '../protocol/bytes.ts';
import { createNodeCryptoSuite } from '../protocol/crypto/node-suite.ts';

const RECIPIENTS = [
  fromHex('0x1563915e194d8cfba1943570603f7606a3115508', 20),
  fromHex('0x5cbdd86a2fa8dc4bddd8a8f69dba48572eec07fb', 20),
];

/** Two conflicting payments of payer `i` (same sender, lane and sequence, different recipients). */
export function conflictingPair(i: number) {
  const suite = createNodeCryptoSuite();
  const account = numberToBytes(0xc4a05n + BigInt(i), { size: 32 });
  const build = (to: Uint8Array) =>
    buildPayment({
      suite,
      account,
      to,
      amount: 1_000n,
      asset: ALPHA_USD,
      chainId: 1337n,
      lane: { nonceKey: numberToBytes(1n, { size: 32 }) },
      seq: 0n,
      validBefore: BigInt(Math.floor(Date.now() / 1000) + 1800),
    });
  return { sender: payerAddress(account), txs: RECIPIENTS.map(build) };
}
