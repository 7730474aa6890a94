import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Devnet, startDevnet } from '../../chain/devnet.ts';
import { toHex } from '../../protocol/bytes.ts';
import { demoValidators } from './demo-validators.ts';
import { type SidecarCommittee, startSidecarCommittee } from './sidecar-committee.ts';

export interface DemoNetworkOptions {
  /** Committee size; f = floor((n − 1) / 3) faults are tolerated. */
  readonly validators: number;
  /** Seconds between blocks. */
  readonly blockTime: number;
  readonly chainId: bigint;
  readonly epoch: bigint;
  /** Called with a short line before each step that takes more than a moment. */
  readonly progress?: (step: string) => void;
  /**
   * ESCROWED mode: the devnet deploys an AllegroEscrow whose committee is the validators' settlement keys and
   * moves every account's AlphaUSD into it; each sidecar certifies and settles escrow payments.
   */
  readonly escrow?: boolean;
  /** Stately inspector WebSocket URL: every sidecar reports its settlement machines to it (`--inspect`). */
  readonly inspect?: string;
}

/** The demo escrow's withdrawal delay W: an hour, far beyond the demo, so no announced withdrawal completes. */
export const DEMO_WITHDRAWAL_DELAY = 3_600n;

/** The devnet and the sidecar processes of the demo, each stopped by pid in `stop`. */
export interface DemoNetwork {
  readonly devnet: Devnet;
  readonly sidecars: SidecarCommittee;
  stop(): Promise<void>;
}

/**
 * Starts what the chained demo runs on: a Tempo devnet (anvil, Alice 15 / Bob 5 / Carol 5 AlphaUSD) and one
 * sidecar process per validator (Dave, Edgar, …) following it over JSON-RPC (`--rpc-url`, heads over
 * `--ws-url`) and settling what they certify, with a shared committee file and LMDB stores in a temp dir.
 * Whatever started is stopped again if a later step fails.
 */
export async function startDemoNetwork(options: DemoNetworkOptions): Promise<DemoNetwork> {
  const dir = await mkdtemp(join(tmpdir(), 'allegro-demo-'));
  const removeDir = () => rm(dir, { recursive: true, force: true });
  let devnet: Devnet | undefined;
  try {
    const validators = demoValidators(options.validators);
    devnet = await startDevnet({
      port: 0,
      blockTime: options.blockTime,
      chainId: options.chainId,
      ...(options.progress ? { progress: options.progress } : {}),
      ...(options.escrow
        ? {
            escrow: {
              settlementKeys: validators.map((v) => v.settlementKey),
              withdrawalDelay: DEMO_WITHDRAWAL_DELAY,
            },
          }
        : {}),
    });
    const escrow = devnet.escrow;
    options.progress?.(
      `starting ${validators.length} sidecar processes: ${validators.map((v) => v.name).join(', ')}`,
    );
    const sidecars = await startSidecarCommittee({
      validators,
      chainId: options.chainId,
      epoch: options.epoch,
      dir,
      flags: [
        ...['--rpc-url', devnet.rpcUrl, '--ws-url', devnet.wsUrl, '--gossip-interval-ms', '500'],
        ...(options.inspect ? ['--inspect', options.inspect] : []),
      ],
      ...(escrow
        ? {
            flagsOf: (v) => ['--escrow', toHex(escrow.address), '--settlement-key', toHex(v.settlementKey)],
          }
        : {}),
    });
    const running = devnet;
    return {
      devnet: running,
      sidecars,
      async stop() {
        await sidecars.stop();
        await running.stop();
        await removeDir();
      },
    };
  } catch (error) {
    await devnet?.stop();
    await removeDir();
    throw error;
  }
}
