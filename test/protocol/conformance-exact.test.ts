import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fromHex, toHex } from '../../src/protocol/bytes.ts';
import { checkHashVector } from '../../src/protocol/conformance.ts';
import { createNodeCryptoSuite } from '../../src/protocol/crypto/node-suite.ts';
import { parseExactJson } from '../../src/protocol/exact-json.ts';
import { parseHashVector } from '../../src/protocol/hash-vector.ts';
import { effectsHash, txHash } from '../../src/protocol/hashing.ts';
import { GOLDEN_VECTOR_PATH } from '../support/golden-vector.ts';

const suite = createNodeCryptoSuite();
const goldenText = readFileSync(GOLDEN_VECTOR_PATH, 'utf8');
const golden = JSON.parse(goldenText) as Record<string, unknown> & { expected: Record<string, string> };
const U64_MAX = 18446744073709551615n;

function checks(text: string) {
  const parsed = parseHashVector(parseExactJson(text));
  if (!parsed.ok) throw new Error(parsed.message);
  return checkHashVector(suite, parsed.vector);
}

/** The golden vector's text with `field`'s JSON value replaced by the literal `literal`. */
function withLiteral(text: string, field: string, literal: string): string {
  const pattern = new RegExp(`("${field}":\\s*)[^,\\n}]+`);
  expect(text).toMatch(pattern);
  return text.replace(pattern, `$1${literal}`);
}

describe('reference-format vectors are read exactly', () => {
  it('u64 values above 2^53 written as JSON numbers keep every digit (nonce_seq and amount = 2^64 − 1)', () => {
    const nonceKey = fromHex(golden.nonce_key_hex as string);
    const expectedEffects = effectsHash(suite, {
      sender: fromHex(golden.sender_hex as string),
      recipient: fromHex(golden.recipient_hex as string),
      amount: U64_MAX,
      asset: fromHex(golden.asset_hex as string),
      nonce: { nonceKey, seq: U64_MAX },
    });
    let text = withLiteral(goldenText, 'nonce_seq', U64_MAX.toString());
    text = withLiteral(text, 'amount', U64_MAX.toString());
    text = text.replace(
      /"expected": \{[^}]*\}/,
      `"expected": { "effects_hash_hex": "${toHex(expectedEffects)}" }`,
    );
    expect(checks(text)).toEqual([
      expect.objectContaining({ output: 'effects_hash', pass: true, computed: toHex(expectedEffects) }),
    ]);
    // What JSON.parse would have read instead: 2^64, which is no u64 at all.
    expect(parseHashVector(JSON.parse(text)).ok).toBe(false);
  });

  it('"parent_qc_hash_hex": null means no parent: tx_hash is the hash with the single 0x00 parent byte', () => {
    const parsed = parseHashVector(parseExactJson(withLiteral(goldenText, 'parent_qc_hash_hex', 'null')));
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.vector.tx.parentQcHash).toEqual(new Uint8Array());
    const computed = checkHashVector(suite, parsed.vector).find((c) => c.output === 'tx_hash')!.computed;
    expect(computed).toBe(toHex(txHash(suite, { ...parsed.vector.tx, parentQcHash: new Uint8Array() })));
    expect(computed).not.toBe(`0x${golden.expected.tx_hash_hex}`);
  });

  it('another domain_tag and protocol_version enter the certificate preimage in place of the fixed ones', () => {
    const tag = 'tempo.fastpay.cert.v2-test';
    // The golden preimage is tag ‖ u32 21 ‖ "tempo.fastpay.cert.v1" ‖ u16 1 ‖ chain ‖ epoch ‖ hashes.
    const goldenPreimage = golden.expected.cert_preimage_hex!;
    const head = Buffer.from('tempo.fastpay.cert.preimage.v1').toString('hex');
    const fixed = `${head}00000015${Buffer.from('tempo.fastpay.cert.v1').toString('hex')}0001`;
    expect(goldenPreimage.startsWith(fixed)).toBe(true);
    const length = tag.length.toString(16).padStart(8, '0');
    const preimage = `${head}${length}${Buffer.from(tag).toString('hex')}0300${goldenPreimage.slice(fixed.length)}`;
    let text = withLiteral(goldenText, 'domain_tag', JSON.stringify(tag));
    text = withLiteral(text, 'protocol_version', '768');
    text = text.replace(/"cert_preimage_hex": "[0-9a-f]+"/, `"cert_preimage_hex": "${preimage}"`);
    const results = checks(text);
    expect(results.find((c) => c.output === 'cert_preimage')).toMatchObject({ pass: true });
    expect(results.find((c) => c.output === 'tx_hash')).toMatchObject({ pass: true });
    expect(results.find((c) => c.output === 'cert_digest')).toMatchObject({ pass: false });
  });

  it('the fixed domain tag and version, named or not, give the golden outputs unchanged', () => {
    const { domain_tag: _tag, protocol_version: _version, ...unnamed } = golden;
    expect(checks(goldenText).every((c) => c.pass)).toBe(true);
    expect(checks(JSON.stringify(unnamed)).every((c) => c.pass)).toBe(true);
  });
});

describe('parseExactJson', () => {
  it('reads what JSON.parse reads, for safe values', () => {
    const text = '{"a":[1,-2,3.5,1e3,true,false,null,"x\\"y\\u00e9"],"b":{"c":{}},"d":[]}';
    expect(parseExactJson(text)).toEqual(JSON.parse(text));
  });

  it('keeps integers beyond ±(2^53 − 1) exact as bigint, and leaves fractions and exponents as numbers', () => {
    expect(
      parseExactJson(
        '[9007199254740991, 9007199254740993, -9007199254740993, 1.5e300, 18446744073709551615.0]',
      ),
    ).toEqual([9007199254740991, 9007199254740993n, -9007199254740993n, 1.5e300, 2 ** 64]);
  });

  it('does not touch digits inside strings', () => {
    expect(parseExactJson('{"n":"18446744073709551615"}')).toEqual({ n: '18446744073709551615' });
  });

  it('keeps a "__proto__" key as data', () => {
    const value = parseExactJson('{"__proto__": {"polluted": 1}}') as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each(['', '{', '[1,]', '{"a" 1}', '01', '"\\x"', '{"a":1} x', 'nul', '-'])('refuses %j', (text) => {
    expect(() => parseExactJson(text)).toThrow(/at offset \d+/);
  });
});
