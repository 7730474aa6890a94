import { describe, expect, it } from 'vitest';
import { repeatByte } from '../../src/protocol/bytes.ts';
import { quorumHead } from '../../src/protocol/quorum-head.ts';

const head = (height: bigint, byte = Number(height % 250n), timestampMs = height * 1000n) => ({
  height,
  hash: repeatByte(byte, 32),
  timestampMs,
});

describe('quorumHead: the (f+1)-th highest reported head', () => {
  it('one liar among four (f = 1) reporting a huge head does not move it', () => {
    const liar = head(2n ** 64n - 1n, 9, 2n ** 63n);
    expect(quorumHead([liar, head(10n), head(11n), head(9n)], 1)).toEqual(head(11n));
  });

  it('with f = 0 it is the highest head', () => {
    expect(quorumHead([head(3n), head(7n)], 0)).toEqual(head(7n));
  });

  it('a tie in height goes to the smaller hash', () => {
    const picked = quorumHead([head(5n, 8), head(5n, 3), head(4n)], 0);
    expect(picked?.hash).toEqual(repeatByte(3, 32));
  });

  it("caps the time at the (f+1)-th highest reported time, so a liar's picked height cannot run the clock", () => {
    const liar = head(10n, 1, 10n ** 15n);
    const picked = quorumHead([liar, head(10n, 2, 5_000n), head(9n, 3, 4_000n), head(8n, 4, 3_000n)], 1);
    expect(picked).toEqual({ height: 10n, hash: repeatByte(2, 32), timestampMs: 5_000n });
    const capped = quorumHead([head(10n, 1, 9_000n), head(10n, 2, 1n), head(3n, 3, 8_000n)], 1);
    expect(capped).toEqual({ height: 10n, hash: repeatByte(2, 32), timestampMs: 1n });
  });

  it('fewer than f+1 reports give no head', () => {
    expect(quorumHead([head(5n)], 1)).toBeUndefined();
    expect(quorumHead([], 0)).toBeUndefined();
  });
});
