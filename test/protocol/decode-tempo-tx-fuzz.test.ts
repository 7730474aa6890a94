import fc from 'fast-check';
import { Rlp } from 'ox';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../src/protocol/bytes.ts';
import { createNodeCryptoSuite } from '../../src/protocol/crypto/node-suite.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import { decodeTempoTx, MAX_TEMPO_TX_BYTES } from '../../src/protocol/tempo/decode-tempo-tx.ts';
import { TempoTxFormat } from '../../src/protocol/types.ts';
import { CAROL_KEY, PATH_USD } from '../support/demo-keys.ts';
import {
  type RlpItem,
  signSponsoredTempo,
  signTempo,
  signTempoP256,
  tempoEnvelope,
  tempoItems,
} from '../support/tempo-tx-fixtures.ts';

const node = createNodeCryptoSuite();
const NATIVE = TempoTxFormat.TEMPO_NATIVE_V1;
const EVM = TempoTxFormat.EVM_OPAQUE_BYTES_V1;
const FORMATS = [NATIVE, EVM];
const APPENDIX_A_LEGACY = fromHex(
  'f8a78001830138809420c000000000000000000000aaaaaaaaaaaaaaaa80b844a9059cbb0000000000000000000000001563915e194d8cfba1943570603f7606a3115508000000000000000000000000000000000000000000000000000000000000000a820a96a005eb1be0e2928d88c0aa681f31abe32eaba156f31cc797a57722f2091bf2ecd5a02beb436c9a38495eff1cfed91171c4b0de766663d2ede996885cb5159996d4ae',
);
const VALID: readonly [number, Uint8Array][] = [
  [NATIVE, signTempo(tempoEnvelope({ feeToken: toHex(PATH_USD), validAfter: 1 }))],
  [NATIVE, signTempoP256(tempoEnvelope(), true).tx],
  [NATIVE, signSponsoredTempo(tempoEnvelope(), CAROL_KEY)],
  [EVM, APPENDIX_A_LEGACY],
];

/** Decoding returns a value, never throws; a reject is INVALID_FORMAT or NOT_PAYMENT_TX. */
function assertTotal(format: number, bytes: Uint8Array): void {
  const result = decodeTempoTx(node, format, bytes);
  if (!result.ok)
    expect([RejectCode.INVALID_FORMAT, RejectCode.NOT_PAYMENT_TX]).toContain(result.reject.code);
  else expect(result.tx.sender).toHaveLength(20);
}

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), byte: fc.constant(0) }),
);

function mutate(
  bytes: Uint8Array,
  edits: readonly { kind: 'set' | 'insert' | 'delete'; at: number; byte: number }[],
) {
  let out = bytes;
  for (const { kind, at, byte } of edits) {
    const i = at % (out.length + 1);
    if (kind === 'set' && i < out.length)
      out = concatBytes(out.subarray(0, i), Uint8Array.of(byte), out.subarray(i + 1));
    if (kind === 'insert') out = concatBytes(out.subarray(0, i), Uint8Array.of(byte), out.subarray(i));
    if (kind === 'delete') out = concatBytes(out.subarray(0, i), out.subarray(i + 1));
  }
  return out;
}

const rlpItem: fc.Arbitrary<RlpItem> = fc.letrec<{ item: RlpItem }>((tie) => ({
  item: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.uint8Array({ maxLength: 70 }).map((b) => toHex(b)),
    fc.array(tie('item'), { maxLength: 5 }),
  ),
})).item;

describe('decodeTempoTx is total on malformed input', () => {
  it('random bytes never throw, in any format', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(0, 1, 2, 3),
        fc.uint8Array({ minLength: 1, maxLength: 400 }),
        (format, bytes) => {
          assertTotal(format, bytes);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('random bytes behind each type byte never throw', () => {
    const typeBytes = [0x01, 0x02, 0x03, 0x04, 0x76, 0xc0, 0xf8, 0xf9];
    fc.assert(
      fc.property(
        fc.constantFrom(...FORMATS),
        fc.constantFrom(...typeBytes),
        fc.uint8Array({ maxLength: 300 }),
        (format, type, rest) => {
          assertTotal(format, concatBytes(Uint8Array.of(type), rest));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('random RLP structures with the 0x76 prefix never throw', () => {
    fc.assert(
      fc.property(fc.array(rlpItem, { minLength: 12, maxLength: 16 }), (items) => {
        assertTotal(NATIVE, fromHex(`0x76${Rlp.fromHex(items).slice(2)}`));
      }),
      { numRuns: 1500 },
    );
  });

  it('replacing any field of a signed 0x76 tx with a random RLP item never throws', () => {
    const [, tx] = VALID[0]!;
    const items = tempoItems(tx);
    fc.assert(
      fc.property(fc.nat({ max: items.length - 1 }), rlpItem, (index, item) => {
        const edited = [...items];
        edited[index] = item;
        assertTotal(NATIVE, fromHex(`0x76${Rlp.fromHex(edited).slice(2)}`));
      }),
      { numRuns: 1500 },
    );
  });

  it('mutated valid txs never throw', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...VALID),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        ([format, tx], edits) => {
          assertTotal(format, mutate(tx, edits));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('every strict prefix of a valid tx is rejected', () => {
    for (const [format, tx] of VALID) {
      expect(decodeTempoTx(node, format, tx).ok).toBe(true);
      for (let n = 1; n < tx.length; n++)
        expect(decodeTempoTx(node, format, tx.subarray(0, n)).ok).toBe(false);
    }
  });

  it('pathological payloads at the size limit are rejected quickly: deep nesting, huge lengths, giant signatures', () => {
    const body = MAX_TEMPO_TX_BYTES - 1;
    const giantWebAuthn = concatBytes(Uint8Array.of(0x02), new Uint8Array(120_000).fill(0x7b));
    const items = tempoItems(VALID[0]![1]);
    items[13] = toHex(giantWebAuthn);
    const cases: [number, Uint8Array, string | RegExp][] = [
      [
        NATIVE,
        concatBytes(Uint8Array.of(0x76), new Uint8Array(body).fill(0xc1)),
        /^invalid tempo tx encoding/,
      ],
      [
        NATIVE,
        concatBytes(Uint8Array.of(0x76), new Uint8Array(body).fill(0xff)),
        /^invalid tempo tx encoding/,
      ],
      [NATIVE, fromHex('0x76fbffffffff00'), /^invalid tempo tx encoding/],
      [NATIVE, fromHex(`0x76${Rlp.fromHex(items).slice(2)}`), 'unsupported signature type: webAuthn'],
      [EVM, new Uint8Array(body + 1).fill(0xc1), 'invalid ethereum tx encoding'],
      [EVM, concatBytes(fromHex('0xfbffffffff'), new Uint8Array(body - 4)), 'invalid ethereum tx encoding'],
    ];
    for (const [format, bytes, message] of cases) {
      const started = performance.now();
      const result = decodeTempoTx(node, format, bytes);
      expect(performance.now() - started).toBeLessThan(1000);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reject.message).toMatch(message);
    }
  });
});
