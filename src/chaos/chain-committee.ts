import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChainPort } from '../chain/chain-port.ts';
import type { DemoAccount } from '../chain/demo-accounts.ts';
import { type Devnet, startDevnet } from '../chain/devnet.ts';
import { createViemChain } from '../chain/viem-chain.ts';
import { demoValidators } from '../services/demo/demo-validators.ts';
import { type SidecarCommittee, startSidecarCommittee } from '../services/demo/sidecar-committee.ts';
import { grpcTransport } from '../wire/grpc-transport.ts';
import type { SidecarTransport } from '../wire/sidecar-transport.ts';

/** A devnet and a committee of 4 chain-following sidecar processes (f = 1), with a transport to each. */
export interface ChainCommittee {
  readonly devnet: Devnet;
  readonly chain: ChainPort;
  readonly sidecars: SidecarCommittee;
  readonly transports: readonly SidecarTransport[];
  /** Closes the transports and stops every process, by pid. */
  stop(): Promise<void>;
}

/**
 * Starts `anvil --network tempo` funding `accounts` (each with `feeAllowance` pathUSD for fees) and 4 sidecar
 * processes following it (heads over WebSocket, LMDB stores in a temp dir). What started is stopped again if a
 * later step fails.
 */
export async function startChainCommittee(
  accounts: readonly DemoAccount[],
  feeAllowance: bigint,
  sidecarFlags: readonly string[] = [],
): Promise<ChainCommittee> {
  const dir = await mkdtemp(join(tmpdir(), 'allegro-chaos-chain-'));
  let devnet: Devnet | undefined;
  let chain: ChainPort | undefined;
  try {
    devnet = await startDevnet({ port: 0, blockTime: 1, chainId: 1337n, accounts, feeAllowance });
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
      async stop() {
        for (const t of transports) t.close();
        await sidecars.stop();
        await running.chain.close();
        await running.devnet.stop();
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
