import { describe, expect, it } from 'vitest';
import { fromHex } from '../../src/protocol/bytes.ts';
import { CanonicalWriter } from '../../src/protocol/canonical-writer.ts';

describe('CanonicalWriter (reference §3 encoding rules)', () => {
  it('writes integers fixed-width big-endian', () => {
    // Widths and byte order as in the golden cert preimage (§3.5): version u16 1, chain_id u64 1337.
    const out = new CanonicalWriter().u8(1).u16(1).u32(0x15).u64(1337n).finish();
    expect(out).toEqual(fromHex('01' + '0001' + '00000015' + '0000000000000539'));
  });

  it('writes tags raw, variable bytes with a u32 length prefix and fixed ids raw', () => {
    const out = new CanonicalWriter().tag('ab').bytes(fromHex('ffee')).fixed(fromHex('0102'), 2).finish();
    expect(out).toEqual(fromHex('6162' + '00000002ffee' + '0102'));
  });

  it('writes the extremes of every integer width', () => {
    const out = new CanonicalWriter()
      .u8(255)
      .u16(0xffff)
      .u32(0xffff_ffff)
      .u64((1n << 64n) - 1n)
      .finish();
    expect(out).toEqual(new Uint8Array(15).fill(0xff));
  });

  it.each([
    ['u8 256', (w: CanonicalWriter) => w.u8(256)],
    ['u8 fraction', (w: CanonicalWriter) => w.u8(1.5)],
    ['u16 negative', (w: CanonicalWriter) => w.u16(-1)],
    ['u32 2^32', (w: CanonicalWriter) => w.u32(2 ** 32)],
    ['u64 2^64', (w: CanonicalWriter) => w.u64(1n << 64n)],
    ['u64 negative', (w: CanonicalWriter) => w.u64(-1n)],
    ['fixed id of the wrong length', (w: CanonicalWriter) => w.fixed(new Uint8Array(31), 32)],
  ])('refuses a value that does not fit its field: %s', (_, write) => {
    expect(() => write(new CanonicalWriter())).toThrow(RangeError);
  });
});
