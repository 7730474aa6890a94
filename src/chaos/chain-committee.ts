import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAnvil } from '../chain/anvil-process.ts';
import type { ChainPort } from '../chain/chain-port.ts';
import type { DemoAccount } from '../chain/demo-accounts.ts';
import { type Devnet, startDevnet } from '../chain/devnet.ts';
import { connectEscrow, type EscrowChain } from '../chain/escrow/escrow-chain.ts';
import { createViemChain } from '../chain/viem-chain.ts';
import { toHex } from '../protocol/bytes.ts';
import { DEMO_WITHDRAWAL_DELAY } from '../services/demo/demo-network.ts';
import { demoValidators } from '../services/demo/demo-validators.ts';
import { type SidecarCommittee, startSidecarCommittee } from '../services/demo/sidecar-committee.ts';
import { freePort } from '../services/free-port.ts';
import { grpcTransport } from '../wire/grpc-transport.ts';
import type { SidecarTransport } from '../wire/sidecar-transport.ts';
import { awaitSidecarsFollow } from './await-sidecars-follow.ts';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.ts';

export interface ChainCommitteeOptions {
  /** Flags added to every sidecar's command line. */
  readonly sidecarFlags?: readonly string[];
  /** ESCROWED mode: the accounts' AlphaUSD sits in an escrow, and each sidecar settles with its settlement key. */
  readonly escrow?: boolean;
  /** Each sidecar reaches each peer through a TCP proxy of its own (`peerLinks`); payers dial sidecars directly. */
  readonly proxiedPeerLinks?: boolean;
}

/** The proxy `from` (a sidecar's index) pulls gossip from `to` through. */
export interface PeerLink {
  readonly from: number;
  readonly to: number;
  readonly proxy: TcpProxy;
}

/** A devnet and a committee of 4 chain-following sidecar processes (f = 1), with a transport to each. */
export interface ChainCommittee {
  /** The devnet as first started (its URLs stay valid across restartNode). */
  readonly devnet: Devnet;
  readonly chain: ChainPort;
  readonly sidecars: SidecarCommittee;
  readonly transports: readonly SidecarTransport[];
  /** Set in escrow mode. */
  readonly escrow?: EscrowChain;
  /** Every ordered pair of sidecars when started with `proxiedPeerLinks`, else none. */
  readonly peerLinks: readonly PeerLink[];
  /**
   * Stops the Tempo node and starts it again on the same port: from its dumped state (`--state`), or from
   * genesis (a reset: funded again, everything after the funding gone), after running `whileDown` (if given)
   * with the node stopped. The sidecars are not told; this resolves once each follows the new node
   * (awaitSidecarsFollow, within 60 s), with the milliseconds that took.
   */
  restartNode(
    from: 'state' | 'genesis',
    whileDown?: () => Promise<void>,
  ): Promise<{ followingAfterMs: number }>;
  /** Closes the transports and proxies and stops every process, by pid. */
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
  { sidecarFlags = [], escrow: escrowMode = false, proxiedPeerLinks = false }: ChainCommitteeOptions = {},
): Promise<ChainCommittee> {
  const dir = await mkdtemp(join(tmpdir(), 'allegro-chaos-chain-'));
  const state = join(dir, 'anvil-state.json');
  const validators = demoValidators(4);
  const peerLinks: PeerLink[] = [];
  const closeLinks = async () => {
    for (const l of peerLinks) await l.proxy.close();
  };
  let devnet: Devnet | undefined;
  let chain: ChainPort | undefined;
  let escrow: EscrowChain | undefined;
  try {
    const port = await freePort();
    const options = {
      port,
      blockTime: 1,
      chainId: 1337n,
      accounts,
      feeAllowance,
      ...(escrowMode
        ? {
            escrow: {
              settlementKeys: validators.map((v) => v.settlementKey),
              withdrawalDelay: DEMO_WITHDRAWAL_DELAY,
            },
          }
        : {}),
    };
    devnet = await startDevnet({ ...options, state });
    let node: { stop(): Promise<void> } = devnet;
    chain = createViemChain({ rpcUrl: devnet.rpcUrl });
    const deployed = devnet.escrow;
    if (deployed) escrow = await connectEscrow({ rpcUrl: devnet.rpcUrl, escrow: deployed.address });
    const sidecars = await startSidecarCommittee({
      validators,
      chainId: 1337n,
      epoch: 1n,
      dir,
      ...(deployed
        ? {
            flagsOf: (v) => ['--escrow', toHex(deployed.address), '--settlement-key', toHex(v.settlementKey)],
          }
        : {}),
      ...(proxiedPeerLinks
        ? {
            peerUrl: async (puller, member) => {
              const proxy = await startTcpProxy(Number(new URL(member.url!).port));
              const index = (name: string) => validators.findIndex((v) => v.name === name);
              peerLinks.push({ from: index(puller.name), to: index(member.name), proxy });
              return `http://127.0.0.1:${proxy.port}`;
            },
          }
        : {}),
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
    const running = { devnet, chain, ...(escrow ? { escrow } : {}) };
    return {
      ...running,
      sidecars,
      transports,
      peerLinks,
      async restartNode(from, whileDown) {
        await node.stop();
        await whileDown?.();
        node =
          from === 'state'
            ? await startAnvil({ port, blockTime: 1, chainId: 1337n, state })
            : await startDevnet(options);
        const restartedAt = (await running.chain.head()).height;
        const urls = sidecars.committee.members.map((m) => m.url!);
        return { followingAfterMs: await awaitSidecarsFollow(running.chain, urls, restartedAt, 60_000) };
      },
      async stop() {
        for (const t of transports) t.close();
        await sidecars.stop();
        await closeLinks();
        await running.escrow?.close();
        await running.chain.close();
        await node.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await closeLinks();
    await escrow?.close();
    await chain?.close();
    await devnet?.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
