import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay } from '../../src/util/backoff.ts';

describe('backoff with full jitter', () => {
  it('draws each delay uniformly below a cap that doubles from initialMs up to maxMs', () => {
    const options = { initialMs: 100, maxMs: 1_000 };
    expect([0, 1, 2, 3, 4, 60].map((n) => backoffDelay({ ...options, random: () => 0.999999 }, n))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelay({ ...options, random: () => 0 }, 3)).toBe(0);
    expect(backoffDelay({ ...options, random: () => 0.5 }, 2)).toBe(200);
  });

  it('defaults to caps of 250 ms doubling to 30 s, and Math.random stays below the cap', () => {
    expect(backoffDelay({ random: () => 1 }, 0)).toBe(250);
    expect(backoffDelay({ random: () => 1 }, 20)).toBe(30_000);
    for (let i = 0; i < 100; i++) {
      const d = backoffDelay({ initialMs: 10, maxMs: 10 }, 0);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(10);
    }
  });

  it('doubles the cap on each next() and starts over on reset()', () => {
    const backoff = new Backoff({ initialMs: 10, maxMs: 40, random: () => 1 });
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([10, 20, 40, 40]);
    backoff.reset();
    expect(backoff.next()).toBe(10);
  });
});
