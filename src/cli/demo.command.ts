import { formatUnits } from 'viem';
import { ActorSystem } from '../actors/actor-system.ts';
import type { WebSocketInspector } from '../actors/inspector.ts';
import { DEMO_ACCOUNTS } from '../chain/demo-accounts.ts';
import { connectEscrow, type EscrowChain } from '../chain/escrow/escrow-chain.ts';
import { nodeHeadSource } from '../chain/head-source.ts';
import { TIP20_DECIMALS } from '../chain/tempo-tokens.ts';
import { createViemChain } from '../chain/viem-chain.ts';
import { toHex } from '../protocol/bytes.ts';
import { faultTolerance, quorumThreshold } from '../protocol/committee.ts';
import { type AggregatorProcess, startAggregatorProcess } from '../services/aggregator/aggregator-process.ts';
import { type DemoNetwork, startDemoNetwork } from '../services/demo/demo-network.ts';
import { type ChainedDemoReport, runChainedDemo } from '../services/demo/demo-script.ts';
import { MAX_DEMO_VALIDATORS } from '../services/demo/demo-validators.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { createLogger } from '../util/logger.ts';
import { type AggregatorFeed, followAggregator } from './aggregator-feed.ts';
import {
  bigintOption,
  type Command,
  intOption,
  type OptionValues,
  stringOption,
  UsageError,
} from './command.ts';
import { demoGrpcCommand } from './demo-grpc.command.ts';
import { abortable, runInterruptible } from './interruptible.ts';

/** Alice 15 − 10, Bob 5 + 10 − 10, Carol 5 + 10 AlphaUSD (reference §12.1). */
const EXPECTED_BALANCES: Readonly<Record<string, bigint>> = {
  Alice: 5_000000n,
  Bob: 5_000000n,
  Carol: 15_000000n,
};

export const demoCommand: Command = {
  name: 'demo',
  summary: 'the chained Alice → Bob → Carol demo: devnet, sidecars and payments in one command',
  usage:
    'demo [--validators N] [--block-time SECONDS] [--direct] [--inspect URL]\n       allegro demo grpc --dave-url URL --edgar-url URL',
  description: [
    'Starts a Tempo devnet (anvil, block time 5 s) and one sidecar process per validator, each settling on it;',
    'then Alice pays Bob 10 AlphaUSD, and Bob at once pays Carol 10 citing QC1 as parent. Both QCs form within one',
    'block; both payments are then included on chain, and the final balances are read back (Alice 5, Bob 5,',
    'Carol 15). Every process it started is stopped at the end, on errors and on Ctrl-C.',
    '',
    "By default the payments are ESCROWED: the devnet deploys the AllegroEscrow, registers the validators'",
    'settlement keys, and Alice, Bob and Carol deposit their AlphaUSD into it. After QC2 Alice tries every way',
    'out (a transfer out of the escrow without a QC, a second payment on her sequence, a withdrawal, draining',
    "her wallet's fee token) and each is shown failing while both payments settle; the balances are the escrow's.",
    '--direct runs the LOCKED mode instead: ordinary Tempo transfers from the wallets.',
    'A demo committee is smaller than the 4 validators a safe one needs; its sidecars run with',
    '--allow-small-committee.',
    '',
    '--inspect sends every actor (payments, sidecar proxies, chain watcher, the script; with --direct also the',
    "sidecars' settlement machines) to a Stately inspector WebSocket server, with key material and signed",
    'transaction bytes redacted.',
  ].join('\n'),
  subcommands: { grpc: demoGrpcCommand },
  options: {
    validators: {
      type: 'string',
      value: 'N',
      help: `committee size, 1 to ${MAX_DEMO_VALIDATORS} (4 = 3f+1 with f = 1)`,
      default: '2',
    },
    direct: { type: 'boolean', help: 'LOCKED mode: plain Tempo transfers instead of escrowed payments' },
    'block-time': { type: 'string', value: 'SECONDS', help: 'seconds between blocks', default: '5' },
    inspect: {
      type: 'string',
      value: 'URL',
      help: 'Stately inspector WebSocket URL, e.g. ws://127.0.0.1:8081',
    },
    'chain-id': { type: 'string', value: 'N', help: 'chain id', default: '1337' },
    epoch: { type: 'string', value: 'N', help: 'committee epoch', default: '1' },
  },
  async run(values) {
    return runInterruptible(stringOption(values, 'inspect'), ({ inspector, signal }) =>
      runOnDevnet(values, inspector, signal),
    );
  },
};

/** The full demo: devnet, sidecar processes, payments, inclusion and balances. */
async function runOnDevnet(
  values: OptionValues,
  inspector: WebSocketInspector | undefined,
  signal: AbortSignal,
): Promise<number> {
  const validators = intOption(values, 'validators')!;
  if (validators < 1 || validators > MAX_DEMO_VALIDATORS) {
    throw new UsageError(`--validators must be 1 to ${MAX_DEMO_VALIDATORS}`);
  }
  const blockTime = Number(stringOption(values, 'block-time', true));
  if (!(blockTime > 0)) throw new UsageError('--block-time must be a positive number of seconds');
  const chainId = bigintOption(values, 'chain-id')!;
  const epoch = bigintOption(values, 'epoch')!;

  console.log(
    `Allegro chained demo: Alice → Bob → Carol, ${validators} validator sidecars, one local Tempo devnet`,
  );
  const escrowMode = values.direct !== true;
  const network = await startDemoNetwork({
    validators,
    blockTime,
    chainId,
    epoch,
    progress,
    escrow: escrowMode,
    ...(values.inspect ? { inspect: stringOption(values, 'inspect', true) } : {}),
  });
  const { devnet, sidecars } = network;
  const chain = createViemChain({ rpcUrl: devnet.rpcUrl, wsUrl: devnet.wsUrl });
  let escrow: EscrowChain | undefined;
  let system: ActorSystem | undefined;
  let aggregator: AggregatorProcess | undefined;
  let feed: AggregatorFeed | undefined;
  try {
    const { committee } = sidecars;
    console.log(`  anvil  pid ${devnet.pid}  ${devnet.rpcUrl}`);
    for (const member of committee.members) {
      console.log(
        `  ${member.name.padEnd(6)} pid ${sidecars.processes.get(member.name)!.pid}  ${member.url}`,
      );
    }
    console.log(
      `Committee of ${committee.members.length}: f = ${faultTolerance(committee)}, a QC needs ${quorumThreshold(committee)} certificates`,
    );
    if (devnet.escrow) {
      escrow = await connectEscrow({ rpcUrl: devnet.rpcUrl, escrow: devnet.escrow.address });
      console.log(
        `Guarantee: ESCROWED. AllegroEscrow ${toHex(devnet.escrow.address)} holds Alice 15, Bob 5, Carol 5 AlphaUSD; ` +
          `settlement needs ${devnet.escrow.threshold} settlement signatures; withdrawals wait W = ${devnet.escrow.withdrawalDelay} s`,
      );
    } else console.log('Guarantee: LOCKED (direct mode: plain Tempo transfers from the wallets)');
    if (signal.aborted) throw signal.reason;
    progress('starting the aggregator');
    aggregator = await startAggregatorProcess(aggregatorFlags(network), {
      env: { ...process.env, ALLEGRO_LOG_LEVEL: 'info' },
    });
    console.log(
      `  aggregator pid ${aggregator.pid}  GraphQL ${aggregator.graphqlUrl} (ws too), web page ${aggregator.httpUrl}/`,
    );
    let first: number | undefined;
    const print = (line: string) => {
      first ??= Date.now();
      console.log(line);
    };
    feed = followAggregator(aggregator.graphqlUrl, nameOfAddress, (line) => {
      if (first === undefined) return;
      print(`${`+${((Date.now() - first) / 1000).toFixed(3)} s`.padStart(10)}  [aggregator] ${line}`);
    });
    if (signal.aborted) throw signal.reason;
    system = await ActorSystem.start({
      committee,
      store: new MemoryStore(),
      chain,
      ...(inspector ? { inspect: inspector.inspect } : {}),
      logger: createLogger('demo', process.env.ALLEGRO_LOG_LEVEL ?? 'error'),
    });
    const heads = nodeHeadSource({ rpcUrl: devnet.rpcUrl, wsUrl: devnet.wsUrl });
    console.log(
      `Block heights: the demo's chain head, from ${heads}; the [aggregator] lines state its own head, from the same node.`,
    );
    console.log('\nTimeline (time since the first payment)');
    const report = await abortable(
      runChainedDemo({
        system,
        chain,
        print,
        ...(inspector ? { inspect: inspector.inspect } : {}),
        ...(escrow ? { escrow: { chain: escrow, node: chain } } : {}),
      }),
      signal,
    );
    const settled = new Set(['INCLUDED', 'FINALIZED']);
    progress('waiting until the aggregator reports both payments included');
    await feed.reached(
      report.payments.map((p) => p.txHash),
      settled,
      blockTime * 2000,
    );
    const verdict = judge(report);
    console.log(`\n${verdict.lines.join('\n')}`);
    return verdict.ok ? 0 : 1;
  } finally {
    progress('stopping every process the demo started');
    await feed?.close();
    await aggregator?.stop();
    await system?.stop();
    await escrow?.close();
    await chain.close();
    await network.stop();
    const pids = sidecars.committee.members.map(
      (m) => `${m.name} (pid ${sidecars.processes.get(m.name)!.pid})`,
    );
    if (aggregator) pids.push(`aggregator (pid ${aggregator.pid})`);
    console.log(`Stopped ${[...pids, `anvil (pid ${devnet.pid})`].join(', ')}.`);
  }
}

/** The aggregator watching the demo network: it learns the committee from the sidecars and reads the chain itself. */
function aggregatorFlags(network: DemoNetwork): string[] {
  const { committee } = network.sidecars;
  return [
    '--sidecars',
    committee.members.map((m) => m.url!).join(','),
    '--listen',
    '127.0.0.1:0',
    '--http-listen',
    '127.0.0.1:0',
    '--chain-id',
    committee.chainId.toString(),
    '--epoch',
    committee.epoch.toString(),
    '--store',
    'memory',
    '--rpc-url',
    network.devnet.rpcUrl,
    '--ws-url',
    network.devnet.wsUrl,
    '--devnet-accounts',
  ];
}

/** A demo account's name, or the address itself. */
function nameOfAddress(address: string): string {
  return DEMO_ACCOUNTS.find((a) => toHex(a.address) === address)?.name ?? address;
}

/** Whether the run showed what the demo promises: QC2 in QC1's block, inclusion later, the expected balances. */
function judge(report: ChainedDemoReport): { ok: boolean; lines: string[] } {
  const [qc1, qc2] = report.payments.map((p) => BigInt(p.context.blockAtQc ?? -1));
  const included = report.payments.map((p) => BigInt(p.context.inclusion?.blockNumber ?? -1));
  const lines = [
    qc1 === qc2
      ? `QC1 and QC2 both formed at block ${qc1} (the demo's chain head), before block ${qc1! + 1n} was produced.`
      : `QC1 formed at block ${qc1} and QC2 at block ${qc2}: a block boundary fell between them (a slow machine?).`,
    `Both payments were included afterwards, in blocks ${included.join(' and ')}.`,
  ];
  const where = report.escrow ? 'escrow' : 'on-chain';
  const balances = report.balances?.byName ?? {};
  const wrong = DEMO_ACCOUNTS.filter((a) => balances[a.name] !== EXPECTED_BALANCES[a.name]);
  const shown = DEMO_ACCOUNTS.map((a) => `${a.name} ${formatUnits(balances[a.name] ?? 0n, TIP20_DECIMALS)}`);
  lines.push(
    wrong.length === 0
      ? `Final ${where} balances: ${shown.join(', ')} AlphaUSD, as expected.`
      : `Final ${where} balances: ${shown.join(', ')} AlphaUSD; expected Alice 5, Bob 5, Carol 15.`,
  );
  return { ok: wrong.length === 0 && included.every((b) => b > qc2!), lines };
}

/** A progress line for a step that takes more than a moment. */
function progress(step: string): void {
  console.log(`… ${step}`);
}
