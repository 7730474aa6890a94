import { setTimeout as delay } from 'node:timers/promises';

/** Bounds of an exponential backoff, in milliseconds, and its source of randomness. */
export interface BackoffOptions {
  /** Cap of the first delay; default 250 ms. */
  readonly initialMs?: number;
  /** Largest cap; default 30 s. */
  readonly maxMs?: number;
  /** Uniform in [0, 1); default Math.random. `() => 1` gives the caps themselves (no jitter). */
  readonly random?: () => number;
}

/**
 * The delay before retry number `attempt` (0 for the first) with "full jitter": uniform in [0, cap) where the cap
 * is `initialMs · 2^attempt`, at most `maxMs`. Retriers that failed together (a node restart drops every stream at
 * once) spread over the whole window instead of retrying in lockstep.
 */
export function backoffDelay(options: BackoffOptions, attempt: number): number {
  const initialMs = options.initialMs ?? 250;
  const maxMs = Math.max(options.maxMs ?? 30_000, initialMs);
  const cap = Math.min(initialMs * 2 ** Math.min(attempt, 52), maxMs);
  return Math.floor((options.random ?? Math.random)() * cap);
}

/** Exponential backoff with full jitter (`backoffDelay`) between retries; back to the first cap on `reset`. */
export class Backoff {
  #attempt = 0;

  constructor(private readonly options: BackoffOptions = {}) {}

  /** The delay before the next retry; each call doubles the following one's cap. */
  next(): number {
    return backoffDelay(this.options, this.#attempt++);
  }

  reset(): void {
    this.#attempt = 0;
  }
}

/** Waits `ms`, or less when `signal` aborts; never rejects. */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch(() => undefined);
}
