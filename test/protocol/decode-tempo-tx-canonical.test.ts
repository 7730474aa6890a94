import fc from 'fast-check';
import { type Hex, Rlp } from 'ox';
import { TxEnvelopeTempo } from 'ox/tempo';
import { describe, expect, it } from 'vitest';
import { concatBytes, fromHex, toHex } from '../../src/protocol/bytes.ts';
import { createNodeCryptoSuite } from '../../src/protocol/crypto/node-suite.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import { decodeTempoTx } from '../../src/protocol/tempo/decode-tempo-tx.ts';
import { TempoTxFormat } from '../../src/protocol/types.ts';
import { ALICE, ALPHA_USD, BOB, CAROL_KEY, PATH_USD } from '../support/demo-keys.ts';
import {
  type RlpItem,
  signSponsoredTempo,
  signTempo,
  tempoEnvelope,
  tempoFromItems,
  tempoItems,
  transferCall,
  withTempoItem,
} from '../support/tempo-tx-fixtures.ts';

const node = createNodeCryptoSuite();
const NATIVE = TempoTxFormat.TEMPO_NATIVE_V1;
const U64 = (1n << 64n) - 1n;
const U128 = (1n << 128n) - 1n;

function decode(bytes: Uint8Array) {
  return decodeTempoTx(node, NATIVE, bytes);
}

function expectInvalid(bytes: Uint8Array, message: string) {
  const result = decode(bytes);
  expect(result.ok ? 'accepted' : result.reject).toEqual({ code: RejectCode.INVALID_FORMAT, message });
}

/** A 0x76 tx whose body items are `items`, except item `index`, written as the raw bytes `raw`. */
function withRawItem(tx: Uint8Array, index: number, raw: Uint8Array): Uint8Array {
  const parts = tempoItems(tx).map((item, i) => (i === index ? raw : fromHex(Rlp.fromHex(item as never))));
  return concatBytes(Uint8Array.of(0x76), listHeader(parts.reduce((n, p) => n + p.length, 0)), ...parts);
}

function listHeader(length: number): Uint8Array {
  if (length < 56) return Uint8Array.of(0xc0 + length);
  const bytes = fromHex(length.toString(16).padStart(length < 256 ? 2 : 4, '0'));
  return concatBytes(Uint8Array.of(0xf7 + bytes.length), bytes);
}

const envelope = fc.record({
  chainId: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  maxFeePerGas: fc.bigInt({ min: 0n, max: U128 }),
  tipShare: fc.bigInt({ min: 0n, max: 1000n }),
  gas: fc.bigInt({ min: 0n, max: U64 }),
  nonceKey: fc.bigInt({ min: 0n, max: (1n << 256n) - 1n }),
  nonce: fc.bigInt({ min: 0n, max: U64 }),
  validity: fc.option(fc.tuple(fc.integer({ min: 2, max: Number.MAX_SAFE_INTEGER }), fc.option(fc.nat()))),
  feeToken: fc.option(fc.constantFrom(PATH_USD, ALPHA_USD)),
  accessList: fc.boolean(),
  amount: fc.bigInt({ min: 0n, max: U64 }),
  sponsored: fc.boolean(),
});

describe('decodeTempoTx 0x76: strict byte reader', () => {
  it('agrees with ox on every field and on the signing hash of random valid payments, sponsored or not', () => {
    fc.assert(
      fc.property(envelope, (e) => {
        const [validBefore, validAfter] = e.validity ?? [undefined, undefined];
        const unsigned = tempoEnvelope({
          chainId: e.chainId,
          maxFeePerGas: e.maxFeePerGas,
          maxPriorityFeePerGas: (e.maxFeePerGas * e.tipShare) / 1000n,
          gas: e.gas,
          nonceKey: e.nonceKey,
          nonce: e.nonce,
          calls: [transferCall(BOB, e.amount)],
          validBefore,
          ...(validAfter != null ? { validAfter: 1 + (validAfter % (validBefore! - 1)) } : {}),
          ...(e.feeToken ? { feeToken: toHex(e.feeToken) } : {}),
          ...(e.accessList
            ? { accessList: [{ address: toHex(BOB), storageKeys: [`0x${'ab'.repeat(32)}`] }] }
            : {}),
        });
        const tx = e.sponsored ? signSponsoredTempo(unsigned, CAROL_KEY) : signTempo(unsigned);
        const envelope = TxEnvelopeTempo.deserialize(toHex(tx) as TxEnvelopeTempo.Serialized);
        const result = decode(tx);
        if (!result.ok) throw new Error(result.reject.message);
        expect(result.tx).toMatchObject({
          sender: ALICE,
          chainId: BigInt(e.chainId),
          nonceKey: fromHex(e.nonceKey.toString(16).padStart(64, '0')),
          nonce: e.nonce,
          recipient: BOB,
          amount: e.amount,
          sponsored: e.sponsored,
        });
        const optional = (value: unknown) => (value === undefined ? undefined : BigInt(value as number));
        expect(result.tx.validBefore).toBe(optional(envelope.validBefore));
        expect(result.tx.validAfter).toBe(optional(envelope.validAfter));
        expect(result.tx.feeToken).toEqual(envelope.feeToken && fromHex(envelope.feeToken as string));
        expect(result.tx.signingHash).toEqual(fromHex(TxEnvelopeTempo.getSignPayload(envelope)));
      }),
      { numRuns: 120 },
    );
  });

  it('rejects non-canonical RLP anywhere in the tx that ox would have decoded to the same fields', () => {
    const tx = signTempo(tempoEnvelope({ feeToken: toHex(PATH_USD) }));
    const items = tempoItems(tx);
    expect(decode(tx).ok).toBe(true);
    expect(items[7]).toBe('0x01');
    const cases: Uint8Array[] = [
      withRawItem(tx, 7, Uint8Array.of(0x81, 0x01)),
      withRawItem(tx, 0, concatBytes(Uint8Array.of(0xb8, 0x02), fromHex(items[0] as string))),
      withRawItem(tx, 5, Uint8Array.of(0xf8, 0x00)),
      withRawItem(tx, 10, concatBytes(Uint8Array.of(0xb9, 0x00, 0x14), fromHex(items[10] as string))),
      concatBytes(Uint8Array.of(0x76, 0xf9, 0x00), tx.subarray(2)),
      concatBytes(tx, Uint8Array.of(0x80)),
      withTempoItem(tx, 4, [[(items[4] as RlpItem[][])[0]![0]!, '0x00', (items[4] as RlpItem[][])[0]![2]!]]),
      withTempoItem(tx, 4, [
        [(items[4] as RlpItem[][])[0]![0]!, '0x0001', (items[4] as RlpItem[][])[0]![2]!],
      ]),
    ];
    for (const bytes of cases) {
      expect(Rlp.toHex(bytes.subarray(1))).toBeDefined();
      expectInvalid(bytes, 'non-canonical tempo tx encoding');
    }
  });

  it('rejects non-canonical fee payer slots: 0x00 y-parity, leading-zero r, a fee token beside the placeholder', () => {
    const sponsored = signSponsoredTempo(tempoEnvelope(), CAROL_KEY);
    const [, r, s] = tempoItems(sponsored)[11] as [Hex.Hex, Hex.Hex, Hex.Hex];
    const variants: RlpItem[] = [
      ['0x00', r, s],
      ['0x', `0x00${r.slice(2)}`, s],
      ['0x01', r, `0x00${s.slice(2)}`],
    ];
    for (const slot of variants)
      expectInvalid(withTempoItem(sponsored, 11, slot), 'non-canonical tempo tx encoding');
    const placeholder = withTempoItem(signTempo(tempoEnvelope({ feeToken: toHex(PATH_USD) })), 11, '0x00');
    expectInvalid(placeholder, 'non-canonical tempo tx encoding');
  });

  it('rejects shapes the chain cannot decode that the ox round trip let through or choked on', () => {
    const tx = signTempo(tempoEnvelope());
    const [call] = tempoItems(tx)[4] as RlpItem[][];
    const entryWithListAddress: RlpItem = [[toHex(PATH_USD)], [`0x${'11'.repeat(32)}`]];
    expectInvalid(
      withTempoItem(tx, 5, [entryWithListAddress]),
      'invalid tempo tx encoding: malformed access list',
    );
    expectInvalid(
      withTempoItem(tx, 4, [[call![0]!, call![1]!, [call![2]!]]]),
      'invalid tempo tx encoding: malformed fields',
    );
    expectInvalid(
      withTempoItem(tx, 4, [[call![0]!, `0x${'01'.repeat(33)}`, call![2]!]]),
      'invalid tempo tx encoding: integer wider than 32 bytes',
    );
  });

  it('reports a malformed body as INVALID_FORMAT even when a key authorization list sits at index 13', () => {
    const items = tempoItems(signTempo(tempoEnvelope()));
    const withKeyAuthorization = tempoFromItems([...items.slice(0, 13), ['0x0102'], items[13]!]);
    expect(decode(withKeyAuthorization)).toMatchObject({
      ok: false,
      reject: { code: RejectCode.NOT_PAYMENT_TX },
    });
    const at = toHex(withKeyAuthorization).indexOf('c3820102') / 2 - 1;
    const overrun = withKeyAuthorization.slice();
    overrun[at] = 0xc1;
    expect(Array.isArray((Rlp.toHex(overrun.subarray(1)) as RlpItem[])[13])).toBe(true);
    expectInvalid(overrun, 'invalid tempo tx encoding: RLP item runs past the end');
  });
});
