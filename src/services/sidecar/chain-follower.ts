import type { ChainHead, ChainPort } from '../../chain/chain-port.ts';
import { holdingKey, laneKey } from '../../protocol/ledger/keys.ts';
import type { Ledger, LockRecord } from '../../protocol/ledger/ledger.ts';
import type { ChainRead, ChainView } from '../../protocol/validation/chain-view.ts';
import type { Logger } from '../logger.ts';
import type { ChainSource, HeadInfo } from './chain-source.ts';
import type { SafetyJournal } from './safety-journal.ts';

/** What changed when the follower moved to a new block B. */
export interface ChainAdvance {
  readonly head: HeadInfo;
  /** Locks released at B: their lane nonce passed (landed or void) or their validBefore passed. */
  readonly released: readonly LockRecord[];
}

export interface ChainFollowerOptions {
  readonly port: ChainPort;
  readonly ledger: Ledger;
  readonly journal: SafetyJournal;
  /**
   * Fee token assumed for txs that name none. Omit it unless the network guarantees it: Tempo charges the
   * account's preference, else the token the tx calls, so without it such txs are refused (must name feeToken).
   */
  readonly defaultFeeToken?: Uint8Array;
  readonly logger: Logger;
  readonly onAdvance?: (advance: ChainAdvance) => void;
}

/**
 * The chain as one block B, the last head whose state the sidecar processed (ARCHITECTURE.md "The sidecar's
 * ledger"). Balances and nonces are read at B; when B advances, the nonces of every lane with live locks or
 * credits are read at the new block first, then — in one synchronous step, so no decision sees half of it — B
 * moves, the value caches are dropped and every lock or credit the chain passed is released. A debit therefore
 * disappears exactly when the balance read at B includes its payment: never counted twice, never missing.
 */
export class ChainFollower implements ChainSource {
  #b: ChainHead;
  #balances = new Map<string, bigint>();
  #nonces = new Map<string, bigint>();
  #queue: Promise<void> = Promise.resolve();
  #pendingHead: ChainHead | undefined;
  #unwatch: (() => void) | undefined;

  private constructor(
    private readonly options: ChainFollowerOptions,
    head: ChainHead,
  ) {
    this.#b = head;
  }

  /** Reads the current head, releases what it already settled, then follows new heads. */
  static async start(options: ChainFollowerOptions): Promise<ChainFollower> {
    const head = await options.port.head();
    const follower = new ChainFollower(options, { ...head, height: head.height - 1n });
    await follower.#advance(head);
    follower.#unwatch = options.port.watchHeads(
      (h) => follower.#enqueue(h),
      (err) => options.logger.warn({ err: err.message }, 'chain head watch error; reconnecting'),
    );
    return follower;
  }

  view(): ChainView {
    const b = this.#b;
    return {
      head: { height: b.height, timestampMs: b.timestampMs },
      chargesFees: true,
      balanceOf: (account, asset) => this.#balances.get(holdingKey(account, asset)),
      nonceOf: (account, nonceKey) => this.#nonces.get(laneKey(account, nonceKey)),
      defaultFeeToken: () => this.options.defaultFeeToken ?? null,
    };
  }

  head(): HeadInfo {
    return this.#b;
  }

  /** Loads the values a decision asked for, at B; values read while B moved on are dropped. */
  async load(reads: readonly ChainRead[]): Promise<void> {
    const at = this.#b;
    const { port } = this.options;
    const values = await Promise.all(
      reads.map(async (r) => {
        if (r.kind === 'balance')
          return [
            holdingKey(r.account, r.asset),
            await port.balanceOf(r.asset, r.account, at.height),
          ] as const;
        if (r.kind === 'nonce')
          return [
            laneKey(r.account, r.nonceKey),
            await port.nonce(r.account, r.nonceKey, at.height),
          ] as const;
        return undefined;
      }),
    );
    if (this.#b !== at) return;
    reads.forEach((r, i) => {
      const v = values[i];
      if (!v) return;
      (r.kind === 'balance' ? this.#balances : this.#nonces).set(v[0], v[1]);
    });
  }

  /** Stops following heads; pending work finishes. */
  async stop(): Promise<void> {
    this.#unwatch?.();
    await this.#queue;
  }

  /** Heads arrive faster than they may be processed: keep only the newest waiting one. */
  #enqueue(head: ChainHead): void {
    const idle = this.#pendingHead === undefined;
    this.#pendingHead = head;
    if (!idle) return;
    this.#queue = this.#queue.then(async () => {
      const next = this.#pendingHead!;
      this.#pendingHead = undefined;
      try {
        await this.#advance(next);
      } catch (err) {
        this.options.logger.warn(
          { err: (err as Error).message, height: String(next.height) },
          'could not process head; will retry',
        );
      }
    });
  }

  async #advance(head: ChainHead): Promise<void> {
    if (head.height <= this.#b.height) return;
    const { port, ledger, journal } = this.options;
    const lanes = ledger.lanes();
    const nonces = await Promise.all(lanes.map((l) => port.nonce(l.sender, l.nonceKey, head.height)));
    this.#b = head;
    this.#balances = new Map();
    this.#nonces = new Map(lanes.map((l, i) => [laneKey(l.sender, l.nonceKey), nonces[i]!]));
    const released = lanes.flatMap((l, i) => ledger.releaseThroughNonce(l.sender, l.nonceKey, nonces[i]!));
    released.push(...ledger.releaseExpired(head.timestampMs));
    journal
      .release(released)
      .catch((err) => this.options.logger.warn({ err: err.message }, 'could not forget released locks'));
    this.options.onAdvance?.({ head, released });
  }
}
