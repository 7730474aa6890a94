import { setTimeout as delay } from 'node:timers/promises';

/** Bounds of an exponential backoff, in milliseconds. */
export interface BackoffOptions {
  /** First delay; default 250 ms. */
  readonly initialMs?: number;
  /** Largest delay; default 30 s. */
  readonly maxMs?: number;
}

/** Exponential backoff between retries: `initialMs`, doubling up to `maxMs`, back to `initialMs` on `reset`. */
export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  #next: number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 250;
    this.maxMs = Math.max(options.maxMs ?? 30_000, this.initialMs);
    this.#next = this.initialMs;
  }

  /** The delay before the next retry; each call doubles the following one. */
  next(): number {
    const delayMs = this.#next;
    this.#next = Math.min(delayMs * 2, this.maxMs);
    return delayMs;
  }

  reset(): void {
    this.#next = this.initialMs;
  }
}

/** Waits `ms`, or less when `signal` aborts; never rejects. */
export async function pause(ms: number, signal: AbortSignal): Promise<void> {
  await delay(ms, undefined, { signal }).catch(() => undefined);
}
