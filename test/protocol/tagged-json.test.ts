import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeTagged, encodeTagged } from '../../src/protocol/tagged-json.ts';

describe('tagged JSON', () => {
  it('round-trips bigints beyond 2^53 and byte arrays nested in objects and arrays', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.uint8Array({ maxLength: 40 }),
        fc.string(),
        (n, b, s) => {
          const value = { n, list: [b, { n, s }], flag: true, nothing: null };
          expect(decodeTagged(encodeTagged(value))).toEqual(value);
        },
      ),
    );
  });
});
