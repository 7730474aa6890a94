import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/protocol/bytes.ts';
import { checkHashVector } from '../../src/protocol/conformance.ts';
import { createNodeCryptoSuite } from '../../src/protocol/crypto/node-suite.ts';
import { parseHashVector, VECTOR_OUTPUTS } from '../../src/protocol/hash-vector.ts';
import { GOLDEN_VECTOR_PATH, goldenExpected } from '../support/golden-vector.ts';

const suite = createNodeCryptoSuite();
const golden = JSON.parse(readFileSync(GOLDEN_VECTOR_PATH, 'utf8')) as Record<string, unknown>;
const expected = golden.expected as Record<string, string>;

function check(json: unknown) {
  const parsed = parseHashVector(json);
  if (!parsed.ok) throw new Error(parsed.message);
  return checkHashVector(suite, parsed.vector);
}

function problem(json: unknown): string {
  const parsed = parseHashVector(json);
  if (parsed.ok) throw new Error('expected the vector to be refused');
  return parsed.message;
}

describe('checkHashVector (reference §3.5)', () => {
  it('passes every output of the golden vector, with the golden QC certificates by default', () => {
    const checks = check(golden);
    expect(checks.map((c) => c.output)).toEqual([...VECTOR_OUTPUTS]);
    expect(checks.every((c) => c.pass)).toBe(true);
    expect(checks.find((c) => c.output === 'qc_hash')?.computed).toBe(toHex(goldenExpected.qcHash));
  });

  it('fails exactly the output whose expected value was tampered with', () => {
    const tampered = {
      ...golden,
      expected: { ...expected, effects_hash_hex: `00${expected.effects_hash_hex!.slice(2)}` },
    };
    const failed = check(tampered).filter((c) => !c.pass);
    expect(failed.map((c) => c.output)).toEqual(['effects_hash']);
    expect(failed[0]?.computed).toBe(toHex(goldenExpected.effectsHash));
  });

  it('accepts explicit qc_certs in any order with their qc_threshold, and 0x-prefixed hex', () => {
    const qc_certs = [
      { signer_id_hex: `0x${'0b'.repeat(32)}`, signature_hex: 'bb'.repeat(64), created_unix_millis: 1001 },
      { signer_id_hex: '0a'.repeat(32), signature_hex: 'aa'.repeat(64), created_unix_millis: '1000' },
    ];
    const checks = check({ ...golden, qc_certs, qc_threshold: 2, tempo_tx_hex: `0x${golden.tempo_tx_hex}` });
    expect(checks.every((c) => c.pass)).toBe(true);
  });

  it('reports only the outputs a vector pins', () => {
    const checks = check({ ...golden, expected: { qc_hash_hex: expected.qc_hash_hex } });
    expect(checks.map((c) => [c.output, c.pass])).toEqual([['qc_hash', true]]);
  });

  it('fails qc_hash when the declared threshold differs from the golden one', () => {
    const qc_certs = [
      { signer_id_hex: '0a'.repeat(32), signature_hex: 'aa'.repeat(64), created_unix_millis: 1000 },
    ];
    const checks = check({ ...golden, qc_certs, qc_threshold: 1 });
    expect(checks.filter((c) => !c.pass).map((c) => c.output)).toEqual(['qc_hash']);
  });
});

describe('parseHashVector refuses malformed vectors with a message', () => {
  const { tempo_tx_hex: _, ...withoutTx } = golden;
  it.each([
    ['not an object', [], /vector must be an object/],
    ['a missing field', withoutTx, /tempo_tx_hex must be a hex string/],
    ['bad hex', { ...golden, sender_hex: 'zz' }, /sender_hex: invalid hex/],
    ['a wrong-length address', { ...golden, asset_hex: '03'.repeat(19) }, /asset_hex: expected 20 bytes/],
    ['a 31-byte parent', { ...golden, parent_qc_hash_hex: '11'.repeat(31) }, /parent_qc_hash_hex/],
    ['an already rounded unsafe number', { ...golden, chain_id: 2 ** 60 }, /chain_id must be a u64/],
    ['a u64 overflow', { ...golden, amount: '18446744073709551616' }, /amount must be a u64/],
    ['an unknown expiry kind', { ...golden, expiry: { kind: 'never', value: 1 } }, /expiry.kind/],
    ['an empty domain tag', { ...golden, domain_tag: '' }, /domain_tag must be a non-empty string/],
    [
      'a protocol version above u16',
      { ...golden, protocol_version: 65536 },
      /protocol_version must be a u16/,
    ],
    [
      'an unknown expected output',
      { ...golden, expected: { tx_hash: 'aa' } },
      /expected.tx_hash: unknown output/,
    ],
    ['no expected outputs', { ...golden, expected: {} }, /expected names no outputs/],
    ['qc_certs without qc_threshold', { ...golden, qc_certs: [] }, /qc_threshold must be a u64/],
    [
      'qc_threshold above u32',
      { ...golden, qc_certs: [], qc_threshold: 2 ** 32 },
      /qc_threshold must be a u32/,
    ],
    [
      'a short qc signature',
      {
        ...golden,
        qc_certs: [{ signer_id_hex: '0a'.repeat(32), signature_hex: 'aa', created_unix_millis: 1 }],
        qc_threshold: 1,
      },
      /qc_certs\[0\].signature_hex: expected 64 bytes/,
    ],
  ])('%s', (_, json, message) => {
    expect(problem(json)).toMatch(message);
  });

  it('never throws, whatever JSON it is given or whichever field of the golden vector is replaced', () => {
    const anyField = fc
      .tuple(fc.constantFrom(...Object.keys(golden)), fc.jsonValue())
      .map(([key, value]) => ({ ...golden, [key]: value }));
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), anyField), (json) => {
        expect(() => parseHashVector(json)).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});
