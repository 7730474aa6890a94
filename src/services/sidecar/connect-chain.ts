import type { InspectionEvent, Observer } from 'xstate';
import { createViemChain } from '../../chain/viem-chain.ts';
import type { Ledger } from '../../protocol/ledger/ledger.ts';
import type { Logger } from '../../util/logger.ts';
import { type ChainAdvance, ChainFollower, type ChainFollowerOptions } from './chain-follower.ts';
import type { LifecycleHub } from './lifecycle-hub.ts';
import type { SafetyJournal } from './safety-journal.ts';
import { Settlement } from './settlement.ts';
import { settlementRoute } from './settlement-route.ts';
import type { SidecarConfig } from './sidecar-config.ts';

export interface ChainConnection {
  /** The chain as block B: the sidecar's ChainSource (balances, 2D nonces, expiry, GetChainHead). */
  readonly follower: ChainFollower;
  readonly settlement: Settlement;
  stop(): Promise<void>;
}

export interface ChainConnectionDeps {
  readonly ledger: Ledger;
  readonly journal: SafetyJournal;
  readonly lifecycle: LifecycleHub;
  readonly keccak256: (data: Uint8Array) => Uint8Array;
  /** This validator's Ed25519 public key: sub-block lanes route by its first 15 bytes. */
  readonly validatorKey: Uint8Array;
  readonly logger: Logger;
  /** Inspection observer of every settlement machine (`--inspect`). */
  readonly inspect?: Observer<InspectionEvent>;
  /** Escrow mode: the follower reads the escrow at B, and escrow releases go to the escrow's settlement. */
  readonly escrow?: {
    readonly reader: NonNullable<ChainFollowerOptions['escrow']>;
    readonly onAdvance: (advance: ChainAdvance) => void;
  };
}

/**
 * Connects a sidecar to its Tempo node (`--rpc-url`, heads over `--ws-url` when given): checks the node serves
 * `--chain-id`, follows heads as block B (fees charged; no default fee token: Tempo charges a tx naming none in
 * the payer's preference, which B does not read, so such txs are refused), feeds every release at B to the
 * settlement queue, and re-queues every lock of the restored ledger still live at the first head (its signed tx
 * is in the delta), so payments certified before a restart still settle; those given up on stay unsent.
 */
export async function connectChain(
  config: Pick<SidecarConfig, 'chainId' | 'wsUrl' | 'settlement'> & { readonly rpcUrl: string },
  deps: ChainConnectionDeps,
): Promise<ChainConnection> {
  const { ledger, journal, lifecycle, keccak256, validatorKey, logger } = deps;
  const port = createViemChain({
    rpcUrl: config.rpcUrl,
    ...(config.wsUrl ? { wsUrl: config.wsUrl } : {}),
  });
  try {
    const chainId = await port.chainId();
    if (chainId !== config.chainId) {
      throw new Error(
        `--rpc-url serves chain id ${chainId}, but the sidecar runs --chain-id ${config.chainId}`,
      );
    }
    const { lane, forwardDelayBlocks, maxPending, finalityDepth, evictAfterRefusals, coolOffMs } =
      config.settlement;
    const settlement = new Settlement({
      port,
      ledger,
      lifecycle,
      keccak256,
      logger,
      snapshots: journal.settlements(),
      maxPending,
      evictAfterRefusals,
      coolOffMs,
      finalityDepth,
      forwardDelayBlocks: (nonceKey) =>
        settlementRoute(lane, nonceKey, validatorKey, forwardDelayBlocks).delayBlocks,
      ...(deps.inspect ? { inspect: deps.inspect } : {}),
    });
    const follower = await ChainFollower.start({
      port,
      ledger,
      journal,
      logger,
      onAdvance: (advance) => {
        const { escrow } = deps;
        if (!escrow) return settlement.onAdvance(advance);
        settlement.onAdvance({
          ...advance,
          released: advance.released.filter((r) => r.delta.pool !== 'escrow'),
        });
        escrow.onAdvance(advance);
      },
      ...(deps.escrow ? { escrow: deps.escrow.reader } : {}),
    });
    const restored = await settlement.restore();
    logger.info({ restored }, 'settlement restored');
    return {
      follower,
      settlement,
      async stop() {
        await follower.stop();
        await settlement.stop();
        await port.close();
      },
    };
  } catch (err) {
    await port.close();
    throw err;
  }
}
