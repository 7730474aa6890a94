import { fromHex, toHex } from '../../protocol/bytes.ts';
import type { Store } from '../../store/store.ts';

/** A payment settlement gave up on while its lock stays live, and why (its lifecycle's final FAILED message). */
export interface EvictionMark {
  readonly txHash: Uint8Array;
  readonly reason: string;
}

/**
 * Durable markers of payments settlement stopped forwarding (evicted after repeated refusals, or a child whose
 * parent failed), so a restart does not send them again. One Store entry per payment under `prefix`, keyed by
 * FastPay tx hash; it is forgotten once the chain releases the payment's lock (nonce or deadline passed).
 */
export class EvictionMarks {
  readonly #encoder = new TextEncoder();
  readonly #decoder = new TextDecoder();

  constructor(
    private readonly store: Store,
    private readonly prefix: string,
  ) {}

  mark(txHash: Uint8Array, reason: string): Promise<void> {
    return this.store.put(this.prefix + toHex(txHash), this.#encoder.encode(reason));
  }

  async forget(txHashes: readonly Uint8Array[]): Promise<void> {
    if (txHashes.length === 0) return;
    await this.store.batch(txHashes.map((h) => ({ key: this.prefix + toHex(h), value: null })));
  }

  async *all(): AsyncIterable<EvictionMark> {
    for await (const [key, value] of this.store.scan(this.prefix)) {
      yield { txHash: fromHex(key.slice(this.prefix.length), 32), reason: this.#decoder.decode(value) };
    }
  }
}
