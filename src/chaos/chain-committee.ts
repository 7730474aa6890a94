import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAnvil } from '../chain/anvil-process.ts';
import type { ChainPort } from '../chain/chain-port.ts';
import type { DemoAccount } from '../chain/demo-accounts.ts';
import { type Devnet, startDevnet } from '../chain/devnet.ts';
import { createViemChain } from '../chain/viem-chain.ts';
import { demoValidators } from '../services/demo/demo-validators.ts';
import { type SidecarCommittee, startSidecarCommittee } from '../services/demo/sidecar-committee.ts';
import { freePort } from '../services/free-port.ts';
import { grpcTransport } from '../wire/grpc-transport.ts';
import type { SidecarTransport } from '../wire/sidecar-transport.ts';

/** A devnet and a committee of 4 chain-following sidecar processes (f = 1), with a transport to each. */
export interface ChainCommittee {
  /** The devnet as first started (its URLs stay valid across restartNode). */
  readonly devnet: Devnet;
  readonly chain: ChainPort;
  readonly sidecars: SidecarCommittee;
  readonly transports: readonly SidecarTransport[];
  /**
   * Stops the Tempo node and starts it again on the same port: from its dumped state (`--state`), or from
   * genesis (a reset: funded again, everything after the funding gone). The sidecars are not told.
   */
  restartNode(from: 'state' | 'genesis'): Promise<void>;
  /** Closes the transports and stops every process, by pid. */
  stop(): Promise<void>;
}

/**
 * Starts `anvil --network tempo` funding `accounts` (each with `feeAllowance` pathUSD for fees) and 4 sidecar
 * processes following it (heads over WebSocket, LMDB stores in a temp dir); the node dumps its state on exit. What started is stopped again if a
 * later step fails.
 */
export async function startChainCommittee(
  accounts: readonly DemoAccount[],
  feeAllowance: bigint,
  sidecarFlags: readonly string[] = [],
): Promise<ChainCommittee> {
  const dir = await mkdtemp(join(tmpdir(), 'allegro-chaos-chain-'));
  const state = join(dir, 'anvil-state.json');
  let devnet: Devnet | undefined;
  let chain: ChainPort | undefined;
  try {
    const port = await freePort();
    const options = { port, blockTime: 1, chainId: 1337n, accounts, feeAllowance };
    devnet = await startDevnet({ ...options, state });
    let node: { stop(): Promise<void> } = devnet;
    chain = createViemChain({ rpcUrl: devnet.rpcUrl });
    const sidecars = await startSidecarCommittee({
      validators: demoValidators(4),
      chainId: 1337n,
      epoch: 1n,
      dir,
      flags: [
        '--rpc-url',
        devnet.rpcUrl,
        '--ws-url',
        devnet.wsUrl,
        '--gossip-interval-ms',
        '200',
        ...sidecarFlags,
      ],
    });
    const transports = sidecars.committee.members.map((m) => grpcTransport(m.url!));
    const running = { devnet, chain };
    return {
      ...running,
      sidecars,
      transports,
      async restartNode(from) {
        await node.stop();
        node =
          from === 'state'
            ? await startAnvil({ port, blockTime: 1, chainId: 1337n, state })
            : await startDevnet(options);
      },
      async stop() {
        for (const t of transports) t.close();
        await sidecars.stop();
        await running.chain.close();
        await node.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await chain?.close();
    await devnet?.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
