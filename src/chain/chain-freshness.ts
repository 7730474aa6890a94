/** How recent a follower's news of its Tempo node is: what a node's /healthz reports of the chain. */
export interface ChainFreshness {
  /** Milliseconds since the last head came from the node. */
  readonly headAgeMs: number;
  /** Why the node is unreachable, when it failed since the last head; undefined while heads arrive. */
  readonly unreachable?: string;
}

/**
 * Keeps a head watcher's freshness: feed it every head and every watch failure. A failure makes the node
 * unreachable until the next head (heads keep coming by polling while a WebSocket reconnects, see viem-chain.ts).
 */
export class FreshnessTracker {
  #lastHeadAt: number;
  #failure: string | undefined;

  constructor(private readonly now: () => number = Date.now) {
    this.#lastHeadAt = now();
  }

  head(): void {
    this.#lastHeadAt = this.now();
    this.#failure = undefined;
  }

  failed(error: Error): void {
    this.#failure = error.message;
  }

  freshness(): ChainFreshness {
    return {
      headAgeMs: this.now() - this.#lastHeadAt,
      ...(this.#failure === undefined ? {} : { unreachable: this.#failure }),
    };
  }
}
