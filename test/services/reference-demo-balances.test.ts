import { describe, expect, it } from 'vitest';
import { sidecarConfigFromFlags } from '../../src/cli/sidecar.command.ts';
import { fromHex } from '../../src/protocol/bytes.ts';
import { decodeTempoTx } from '../../src/protocol/tempo/decode-tempo-tx.ts';
import { TempoTxFormat } from '../../src/protocol/types.ts';
import { createStaticChainView } from '../../src/protocol/validation/static-chain-view.ts';
import { wrapSignedPayment } from '../../src/protocol/wrap-signed-payment.ts';
import { REFERENCE_DEMO_ASSET, referenceDemoBalances } from '../../src/services/sidecar/demo-balances.ts';
import { DAVE } from '../support/demo-keys.ts';
import { committeeOf, HarnessValidator, suite } from '../support/validator-harness.ts';

/** The reference's Appendix A legacy tx: Alice pays Bob 10 base units of 0x20c0…aaaa on chain 1337. */
const APPENDIX_A_LEGACY = fromHex(
  'f8a78001830138809420c000000000000000000000aaaaaaaaaaaaaaaa80b844a9059cbb0000000000000000000000001563915e194d8cfba1943570603f7606a3115508000000000000000000000000000000000000000000000000000000000000000a820a96a005eb1be0e2928d88c0aa681f31abe32eaba156f31cc797a57722f2091bf2ecd5a02beb436c9a38495eff1cfed91171c4b0de766663d2ede996885cb5159996d4ae',
);

describe("the reference sidecar's demo balances (--reference-demo-balances)", () => {
  it('is a flag of allegro sidecar', () => {
    const flags = {
      name: 'Dave',
      listen: '127.0.0.1:0',
      seed: '41'.repeat(32),
      'validator-id': 'd1'.repeat(32),
    };
    const defaults = {
      'chain-id': '1337',
      epoch: '1',
      'block-height': '1',
      'max-total-certs': '10',
      'max-known-qcs': '10',
    };
    const config = sidecarConfigFromFlags({
      ...defaults,
      ...flags,
      'reference-demo-balances': true,
    } as never);
    expect(config.referenceDemoBalances).toBe(true);
  });

  it("funds Alice 15, Bob 5, Carol 5 base units of the reference's asset, so its Appendix A payment of 10 certifies", () => {
    expect(referenceDemoBalances().map((b) => b.amount)).toEqual([15n, 5n, 5n]);
    const decoded = decodeTempoTx(suite, TempoTxFormat.EVM_OPAQUE_BYTES_V1, APPENDIX_A_LEGACY);
    if (!decoded.ok) throw new Error(decoded.reject.message);
    expect(decoded.tx.asset).toEqual(REFERENCE_DEMO_ASSET);
    const tx = wrapSignedPayment(APPENDIX_A_LEGACY, decoded.tx, {
      expiry: { kind: 'maxBlockHeight', value: 100n },
    })!;
    const view = createStaticChainView({
      head: { height: 1n, timestampMs: BigInt(Date.now()) },
      balances: referenceDemoBalances(),
    });
    const { decision } = new HarnessValidator(DAVE, committeeOf([DAVE]), view).submit({ tx, parentQcs: [] });
    expect(decision.kind).toBe('accept');
  });
});
