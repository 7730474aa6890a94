import fc from 'fast-check';
import { Rlp } from 'ox';
import { fromRlp } from 'viem';
import { describe, expect, it } from 'vitest';
import { concatBytes, toHex } from '../../src/protocol/bytes.ts';
import {
  decodeRlp,
  RlpError,
  type RlpItem,
  rlpBytes,
  rlpListItems,
  rlpUint,
} from '../../src/protocol/tempo/rlp-reader.ts';

/** A decoded RLP value: bytes or a list of values. */
type Tree = Uint8Array | readonly Tree[];

/** How one item's header is written: canonically, or in one of the forms a canonical reader must refuse. */
type HeaderForm = 'canonical' | 'byteAsString' | 'longFormShort' | 'lengthLeadingZero';

const tree: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.uint8Array({ maxLength: 80 }),
    fc.integer({ min: 0, max: 255 }).map((b) => Uint8Array.of(b)),
    fc.array(tie('tree'), { maxLength: 6 }),
  ),
})).tree;

/** Big-endian bytes of `n` without leading zeros. */
function lengthBytes(n: number): number[] {
  const out: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) out.unshift(rest % 256);
  return out;
}

function header(isList: boolean, length: number, form: HeaderForm = 'canonical'): Uint8Array {
  const base = isList ? 0xc0 : 0x80;
  if (form === 'byteAsString') return Uint8Array.of(0x81);
  if (form === 'longFormShort') return Uint8Array.of(base + 56, length);
  if (form === 'lengthLeadingZero')
    return Uint8Array.of(base + 55 + 1 + lengthBytes(length).length, 0, ...lengthBytes(length));
  return length < 56
    ? Uint8Array.of(base + length)
    : Uint8Array.of(base + 55 + lengthBytes(length).length, ...lengthBytes(length));
}

/** The forms item `node` may be written in besides the canonical one. */
function altForms(node: Tree): HeaderForm[] {
  if (node instanceof Uint8Array && node.length === 1 && node[0]! < 0x80) return ['byteAsString'];
  const payload =
    node instanceof Uint8Array
      ? node.length
      : node.reduce((sum, child) => sum + encode(child).bytes.length, 0);
  return payload < 56 ? ['longFormShort'] : ['lengthLeadingZero'];
}

/** Encodes `root`, writing the `target`-th item (pre-order) with `form`; returns the bytes and the item count. */
function encode(
  root: Tree,
  target = -1,
  form: HeaderForm = 'canonical',
): { bytes: Uint8Array; count: number } {
  let index = 0;
  const walk = (node: Tree): Uint8Array => {
    const own = index++ === target ? form : 'canonical';
    if (node instanceof Uint8Array) {
      if (node.length === 1 && node[0]! < 0x80 && own === 'canonical') return node;
      return concatBytes(header(false, node.length, own), node);
    }
    const payload = concatBytes(...node.map(walk));
    return concatBytes(header(true, payload.length, own), payload);
  };
  const bytes = walk(root);
  return { bytes, count: index };
}

/** The tree under `item`, read back through the reader. */
function read(bytes: Uint8Array, item: RlpItem): Tree {
  return item.isList ? rlpListItems(bytes, item).map((child) => read(bytes, child)) : rlpBytes(bytes, item);
}

/** Pre-order items of `root`, to pick one to rewrite. */
function nodes(root: Tree): Tree[] {
  return root instanceof Uint8Array ? [root] : [root, ...root.flatMap(nodes)];
}

/** `depth` lists, each holding the next, around an empty list: built outside-in in one buffer. */
function nestedLists(depth: number): Uint8Array {
  const sizes = [1];
  for (let k = 0; k < depth; k++) sizes.push(sizes[k]! + header(true, sizes[k]!).length);
  const out = new Uint8Array(sizes[depth]!);
  let position = 0;
  for (let k = depth; k > 0; k--) {
    const own = header(true, sizes[k - 1]!);
    out.set(own, position);
    position += own.length;
  }
  out[position] = 0xc0;
  return out;
}

function expectRlpError(bytes: Uint8Array, nonCanonical: boolean) {
  let caught: unknown;
  try {
    decodeRlp(bytes);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(RlpError);
  expect((caught as RlpError).nonCanonical).toBe(nonCanonical);
}

describe('rlp-reader: a strict canonical RLP reader', () => {
  it('reads every canonical encoding exactly as ox and viem decode it', () => {
    fc.assert(
      fc.property(tree, (value) => {
        const { bytes } = encode(value);
        expect(toHex(bytes)).toBe(Rlp.fromBytes(value as never, { as: 'Hex' }));
        const decoded = read(bytes, decodeRlp(bytes));
        expect(decoded).toEqual(Rlp.toBytes(bytes));
        expect(decoded).toEqual(fromRlp(bytes, 'bytes'));
        expect(decoded).toEqual(value);
      }),
      { numRuns: 1500 },
    );
  });

  it('refuses each non-canonical header form that ox and viem decode leniently to the same value', () => {
    fc.assert(
      fc.property(tree, fc.nat(), (value, pick) => {
        const all = nodes(value);
        const target = pick % all.length;
        for (const form of altForms(all[target]!)) {
          const { bytes } = encode(value, target, form);
          expect(Rlp.toBytes(bytes)).toEqual(value);
          expectRlpError(bytes, true);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('refuses trailing bytes (non-canonical), truncation and lengths overrunning their parent or the buffer', () => {
    fc.assert(
      fc.property(tree, fc.uint8Array({ minLength: 1, maxLength: 3 }), (value, extra) => {
        const { bytes } = encode(value);
        expectRlpError(concatBytes(bytes, extra), true);
        for (let n = 0; n < bytes.length; n++) expectRlpError(bytes.subarray(0, n), false);
      }),
      { numRuns: 500 },
    );
    expectRlpError(Uint8Array.of(0xc1, 0xc1, 0x80), false);
    expectRlpError(Uint8Array.of(0xc2, 0x82, 0x80, 0x80), false);
    expectRlpError(Uint8Array.of(0xbf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), false);
  });

  it('walks deep nesting and refuses huge claimed lengths without recursion or allocation', () => {
    const nested = nestedLists(30_000);
    const started = performance.now();
    expect(decodeRlp(nested).end).toBe(nested.length);
    expectRlpError(new Uint8Array(120_000).fill(0xc1), false);
    expectRlpError(Uint8Array.of(0xfb, 0xff, 0xff, 0xff, 0xff), false);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('parses canonical integers up to a width: no leading zero, empty for zero', () => {
    expect(rlpUint(new Uint8Array(), 8)).toBe(0n);
    expect(rlpUint(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 8)).toBe(0x0102030405060708n);
    const word = new Uint8Array(32).fill(0xff);
    expect(rlpUint(word, 32)).toBe((1n << 256n) - 1n);
    expect(() => rlpUint(Uint8Array.of(0), 8)).toThrow(RlpError);
    expect(() => rlpUint(Uint8Array.of(0, 1), 8)).toThrow(RlpError);
    expect(() => rlpUint(new Uint8Array(9).fill(1), 8)).toThrow(RlpError);
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: (1n << 256n) - 1n }), (n) => {
        const hex = n.toString(16);
        const bytes = Uint8Array.from(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
        expect(rlpUint(bytes, 32)).toBe(n);
      }),
    );
  });
});
