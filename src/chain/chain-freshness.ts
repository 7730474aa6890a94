/** How recent a follower's news of its Tempo node is: what a node's /healthz reports of the chain. */
export interface ChainFreshness {
  /** Milliseconds since the last head came from the node. */
  readonly headAgeMs: number;
  /** Why the node is unreachable, when it failed since the last head; undefined while heads arrive. */
  readonly unreachable?: string;
}
