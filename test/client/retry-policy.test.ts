import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_RETRY_POLICY } from '../../src/client/retry-policy.ts';

describe('backoffDelay', () => {
  const policy = { ...DEFAULT_RETRY_POLICY, initialBackoffMs: 100, maxBackoffMs: 1_000 };

  it('doubles per retry with half of each delay jittered', () => {
    expect([0, 1, 2].map((retry) => backoffDelay(policy, retry, () => 0))).toEqual([50, 100, 200]);
    expect([0, 1, 2].map((retry) => backoffDelay(policy, retry, () => 1))).toEqual([100, 200, 400]);
  });

  it('never exceeds the cap', () => {
    expect(backoffDelay(policy, 30, () => 1)).toBe(1_000);
    expect(backoffDelay(policy, 30, () => 0)).toBe(500);
  });
});
