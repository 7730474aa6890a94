import { type ChainFreshness, FreshnessTracker } from '../../chain/chain-freshness.ts';
import type { ChainHead, ChainPort } from '../../chain/chain-port.ts';
import type { EscrowChain } from '../../chain/escrow/escrow-chain.ts';
import { byteKey, bytesEqual } from '../../protocol/bytes.ts';
import { holdingKey, laneKey, type Pool } from '../../protocol/keys.ts';
import type { Ledger, LockRecord } from '../../protocol/ledger/ledger.ts';
import type { ChainRead, ChainView } from '../../protocol/validation/chain-view.ts';
import { latestWins } from '../../util/latest-wins.ts';
import type { Logger } from '../../util/logger.ts';
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
  /** The AllegroEscrow this sidecar serves: escrow balances and escrow lanes' nextSeq are read from it at B. */
  readonly escrow?: Pick<EscrowChain, 'address' | 'balanceOf' | 'announcedOf' | 'nextSeq'>;
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
  #usable = new Map<string, boolean>();
  /** Set while B moves: decisions wait for it (M1: no decision interleaves with the advance's closing step). */
  #moving: Promise<void> | undefined;
  /** Heads arrive faster than they may be processed: only the newest waiting one is processed next. */
  readonly #heads = latestWins<ChainHead>(
    (head) => this.#advance(head),
    (err, head) =>
      this.options.logger.warn(
        { err: (err as Error).message, height: String(head.height) },
        'could not process head; will retry',
      ),
  );
  #unwatch: (() => void) | undefined;
  readonly #news = new FreshnessTracker();

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
      (h) => {
        follower.#news.head();
        follower.#heads.offer(h);
      },
      (err) => {
        follower.#news.failed(err);
        options.logger.warn({ err: err.message }, 'chain head watch error; reconnecting');
      },
    );
    return follower;
  }

  view(): ChainView {
    const b = this.#b;
    return {
      head: {
        height: b.height,
        timestampMs: b.timestampMs,
        ...(b.baseFeePerGas !== undefined ? { baseFeePerGas: b.baseFeePerGas } : {}),
      },
      chargesFees: true,
      balanceOf: (account, asset) => this.#balances.get(holdingKey(account, asset)),
      nonceOf: (account, nonceKey) => this.#nonces.get(laneKey(account, nonceKey)),
      defaultFeeToken: () => this.options.defaultFeeToken ?? null,
      feeTokenUsable: (token) => this.#usable.get(byteKey(token)),
      ...(this.options.escrow
        ? {
            escrow: this.options.escrow.address,
            escrowBalanceOf: (account: Uint8Array, token: Uint8Array) =>
              this.#balances.get(holdingKey(account, token, 'escrow')),
            escrowNextSeq: (account: Uint8Array, lane: Uint8Array) =>
              this.#nonces.get(laneKey(account, lane, 'escrow')),
          }
        : {}),
    };
  }

  /** Defined while B is moving: a decision must wait for it instead of deciding against half of the move. */
  moving(): Promise<void> | undefined {
    return this.#moving;
  }

  head(): HeadInfo {
    return this.#b;
  }

  freshness(): ChainFreshness {
    return this.#news.freshness();
  }

  /**
   * Loads the values a decision asked for, at B. Values read while B moved on are dropped and read again at the
   * new B (a few times), so a busy chain does not turn into "retry" answers.
   */
  async load(reads: readonly ChainRead[]): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt++) {
      await this.#moving;
      const at = this.#b;
      const values = await Promise.all(reads.map((r) => this.#read(r, at.height)));
      if (this.#b !== at) continue;
      reads.forEach((r, i) => {
        const v = values[i]!;
        if (r.kind === 'feeTokenUsable') this.#usable.set(v[0], v[1] as boolean);
        else if (r.kind === 'balance' || r.kind === 'escrowBalance') this.#balances.set(v[0], v[1] as bigint);
        else if (r.kind === 'nonce' || r.kind === 'escrowNextSeq') this.#nonces.set(v[0], v[1] as bigint);
      });
      return;
    }
  }

  async #read(r: ChainRead, height: bigint): Promise<readonly [string, bigint | boolean | undefined]> {
    const { port } = this.options;
    switch (r.kind) {
      case 'balance':
        return [holdingKey(r.account, r.asset), await port.balanceOf(r.asset, r.account, height)];
      case 'nonce':
        return [laneKey(r.account, r.nonceKey), await port.nonce(r.account, r.nonceKey, height)];
      case 'feeTokenUsable':
        return [byteKey(r.token), await port.feeTokenUsable(r.token, height)];
      case 'feeToken':
        return ['', undefined];
      case 'escrowBalance':
        return [
          holdingKey(r.account, r.asset, 'escrow'),
          await this.#escrowBalance(r.account, r.asset, height),
        ];
      case 'escrowNextSeq':
        return [
          laneKey(r.account, r.nonceKey, 'escrow'),
          await this.#laneNonce(r.account, r.nonceKey, 'escrow', height),
        ];
    }
  }

  /** Escrow balance minus announced withdrawals at `height`: an announcement counts as spent at once. */
  async #escrowBalance(account: Uint8Array, token: Uint8Array, height: bigint): Promise<bigint> {
    const escrow = this.#escrow();
    const [balance, announced] = await Promise.all([
      escrow.balanceOf(account, token, height),
      escrow.announcedOf(account, token, height),
    ]);
    return balance > announced ? balance - announced : 0n;
  }

  /** The lane's chain nonce at `height`: the 2D nonce, or the escrow's nextSeq for an escrow lane. */
  #laneNonce(
    account: Uint8Array,
    nonceKey: Uint8Array,
    pool: Pool | undefined,
    height: bigint,
  ): Promise<bigint> {
    return pool
      ? this.#escrow().nextSeq(account, nonceKey, height)
      : this.options.port.nonce(account, nonceKey, height);
  }

  #escrow(): NonNullable<ChainFollowerOptions['escrow']> {
    const { escrow } = this.options;
    if (!escrow) throw new Error('escrow read without an escrow: the decision refuses escrow payments first');
    return escrow;
  }

  /** Stops following heads; pending work finishes. */
  async stop(): Promise<void> {
    this.#unwatch?.();
    await this.#heads.idle();
  }

  /**
   * Moves B to `head`: a higher head, or any head that is not B (a reorg at the same height, or a chain that went
   * back: a devnet restarted from genesis), so the view follows the chain the node serves instead of refusing every
   * submission until the new chain passes the old height.
   */
  async #advance(head: ChainHead): Promise<void> {
    const b = this.#b;
    if (head.height === b.height && bytesEqual(head.hash, b.hash)) return;
    if (head.height <= b.height) {
      this.options.logger.warn(
        { from: String(b.height), to: String(head.height) },
        'the chain went back (a reorg or a reset): following it',
      );
    }
    const { ledger, journal } = this.options;
    const lanes = ledger.lanes();
    const nonces = new Map<string, bigint>();
    const readNonces = async (ls: typeof lanes) => {
      const values = await Promise.all(
        ls.map((l) => this.#laneNonce(l.sender, l.nonceKey, l.pool, head.height)),
      );
      ls.forEach((l, i) => {
        nonces.set(laneKey(l.sender, l.nonceKey, l.pool), values[i]!);
      });
    };
    await readNonces(lanes);
    let open!: () => void;
    this.#moving = new Promise((resolve) => {
      open = resolve;
    });
    try {
      // Lanes that decisions opened while the nonces were read: read them too, now that no decision runs.
      await readNonces(ledger.lanes().filter((l) => !nonces.has(laneKey(l.sender, l.nonceKey, l.pool))));
      this.#b = head;
      this.#balances = new Map();
      this.#usable = new Map();
      this.#nonces = nonces;
      const released = ledger
        .lanes()
        .flatMap((l) =>
          ledger.releaseThroughNonce(
            l.sender,
            l.nonceKey,
            nonces.get(laneKey(l.sender, l.nonceKey, l.pool))!,
            l.pool,
          ),
        );
      released.push(...ledger.releaseExpired(head.timestampMs, head.height));
      journal
        .release(released, ledger.drainReleasedCredits())
        .catch((err) => this.options.logger.warn({ err: err.message }, 'could not forget released locks'));
      this.options.onAdvance?.({ head, released });
    } finally {
      this.#moving = undefined;
      open();
    }
  }
}
