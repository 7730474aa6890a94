import { formatUnits } from 'viem';
import { ActorSystem } from '../actors/actor-system.ts';
import { createWebSocketInspector, type WebSocketInspector } from '../actors/inspector.ts';
import { DEMO_ACCOUNTS } from '../chain/demo-accounts.ts';
import { TIP20_DECIMALS } from '../chain/tempo-tokens.ts';
import { createViemChain } from '../chain/viem-chain.ts';
import { toHex } from '../protocol/bytes.ts';
import { faultTolerance, quorumThreshold } from '../protocol/committee.ts';
import { type AggregatorProcess, startAggregatorProcess } from '../services/aggregator/aggregator-process.ts';
import { type DemoNetwork, startDemoNetwork } from '../services/demo/demo-network.ts';
import { type ChainedDemoReport, runChainedDemo } from '../services/demo/demo-script.ts';
import { MAX_DEMO_VALIDATORS } from '../services/demo/demo-validators.ts';
import { createLogger } from '../services/logger.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { type AggregatorFeed, followAggregator } from './aggregator-feed.ts';
import {
  bigintOption,
  type Command,
  intOption,
  type OptionValues,
  stringOption,
  UsageError,
} from './command.ts';
import { learnCommittee } from './learn-committee.ts';

/** Alice 15 − 10, Bob 5 + 10 − 10, Carol 5 + 10 AlphaUSD (reference §12.1). */
const EXPECTED_BALANCES: Readonly<Record<string, bigint>> = {
  Alice: 5_000000n,
  Bob: 5_000000n,
  Carol: 15_000000n,
};

/** Thrown into the demo when the user presses Ctrl-C. */
class Interrupted extends Error {}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'the chained Alice → Bob → Carol demo: devnet, sidecars and payments in one command',
  usage:
    'demo [--validators 2] [--inspect ws://127.0.0.1:PORT]\n' +
    '       allegro demo grpc --dave-url URL --edgar-url URL [--chain-id 1337] [--epoch 1]',
  description: [
    'Starts a Tempo devnet (anvil, block time 5 s) and one sidecar process per validator, each settling on it;',
    'then Alice pays Bob 10 AlphaUSD, and Bob at once pays Carol 10 citing QC1 as parent. Both QCs form within one',
    'block; both payments are then included on chain, and the final balances are read back (Alice 5, Bob 5,',
    'Carol 15). Every process it started is stopped at the end, on errors and on Ctrl-C.',
    '',
    '`demo grpc` runs the same payments against two sidecars that are already running (the reference',
    'grpc_chained_demo), e.g. standalone ones started with --demo-balances, and prints QC1 and QC2.',
    '',
    '--inspect sends every actor (payments, sidecar proxies, chain watcher, the script) to a Stately inspector',
    'WebSocket server, with key material and signed transaction bytes redacted.',
  ].join('\n'),
  allowPositionals: true,
  options: {
    validators: {
      type: 'string',
      help: `committee size, 1 to ${MAX_DEMO_VALIDATORS} (4 = 3f+1 with f = 1)`,
      default: '2',
    },
    'block-time': { type: 'string', help: 'seconds between blocks', default: '5' },
    inspect: { type: 'string', help: 'Stately inspector WebSocket URL, e.g. ws://127.0.0.1:8081' },
    'dave-url': { type: 'string', help: 'demo grpc: first sidecar, e.g. http://127.0.0.1:50051' },
    'edgar-url': { type: 'string', help: 'demo grpc: second sidecar, e.g. http://127.0.0.1:50052' },
    'chain-id': { type: 'string', help: 'chain id', default: '1337' },
    epoch: { type: 'string', help: 'committee epoch', default: '1' },
  },
  async run(values, positionals) {
    const mode = positionals[0];
    if (positionals.length > 1 || (mode !== undefined && mode !== 'grpc')) {
      throw new UsageError(`unexpected argument "${positionals.join(' ')}" (only "grpc" is known)`);
    }
    const inspectUrl = stringOption(values, 'inspect');
    if (inspectUrl !== undefined && !/^wss?:\/\//.test(inspectUrl)) {
      throw new UsageError(`--inspect must be a ws:// or wss:// URL, got "${inspectUrl}"`);
    }
    const interrupted = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => interrupted.abort(new Interrupted(signal));
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const inspector = inspectUrl ? createWebSocketInspector({ url: inspectUrl }) : undefined;
    try {
      return mode === 'grpc'
        ? await runAgainstSidecars(values, inspector, interrupted.signal)
        : await runOnDevnet(values, inspector, interrupted.signal);
    } catch (error) {
      // Ctrl-C in a terminal reaches the children too: whatever failed after it, the user asked to stop.
      if (!interrupted.signal.aborted) throw error;
      console.log(`\n${(interrupted.signal.reason as Interrupted).message}: stopped`);
      return 130;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await inspector?.stop();
    }
  },
};

/** The full demo: devnet, sidecar processes, payments, inclusion and balances. */
async function runOnDevnet(
  values: OptionValues,
  inspector: WebSocketInspector | undefined,
  signal: AbortSignal,
): Promise<number> {
  for (const flag of ['dave-url', 'edgar-url']) {
    if (values[flag] !== undefined) throw new UsageError(`--${flag} is for "demo grpc"`);
  }
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
  console.log(
    `Starting the devnet (anvil --network tempo, chain ${chainId}, block time ${blockTime} s) and sidecars…`,
  );
  const network = await startDemoNetwork({ validators, blockTime, chainId, epoch });
  const { devnet, sidecars } = network;
  const chain = createViemChain({ rpcUrl: devnet.rpcUrl, wsUrl: devnet.wsUrl });
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
    if (signal.aborted) throw signal.reason;
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
    console.log('\nTimeline (time since the first payment)');
    const report = await abortable(
      runChainedDemo({
        system,
        chain,
        print,
        ...(inspector ? { inspect: inspector.inspect } : {}),
      }),
      signal,
    );
    const settled = new Set(['INCLUDED', 'FINALIZED']);
    await feed.reached(
      report.payments.map((p) => p.txHash),
      settled,
      blockTime * 2000,
    );
    const verdict = judge(report);
    console.log(`\n${verdict.lines.join('\n')}`);
    return verdict.ok ? 0 : 1;
  } finally {
    await feed?.close();
    await aggregator?.stop();
    await system?.stop();
    await chain.close();
    await network.stop();
    const pids = sidecars.committee.members.map(
      (m) => `${m.name} (pid ${sidecars.processes.get(m.name)!.pid})`,
    );
    if (aggregator) pids.push(`aggregator (pid ${aggregator.pid})`);
    console.log(`Stopped ${[...pids, `anvil (pid ${devnet.pid})`].join(', ')}.`);
  }
}

/** `demo grpc`: the client flow against two running sidecars; no chain needed. */
async function runAgainstSidecars(
  values: OptionValues,
  inspector: WebSocketInspector | undefined,
  signal: AbortSignal,
): Promise<number> {
  const urls = [stringOption(values, 'dave-url', true), stringOption(values, 'edgar-url', true)];
  const chainId = bigintOption(values, 'chain-id')!;
  const epoch = bigintOption(values, 'epoch')!;
  console.log(`Building the verification context from the sidecars (${urls.join(', ')})…`);
  const committee = await abortable(learnCommittee(urls, chainId, epoch), signal);
  for (const m of committee.members) console.log(`  ${m.name.padEnd(6)} ${m.url}`);
  const system = await ActorSystem.start({
    committee,
    store: new MemoryStore(),
    ...(inspector ? { inspect: inspector.inspect } : {}),
    logger: createLogger('demo', process.env.ALLEGRO_LOG_LEVEL ?? 'error'),
  });
  try {
    const report = await abortable(
      runChainedDemo({
        system,
        print: (line) => console.log(line),
        ...(inspector ? { inspect: inspector.inspect } : {}),
      }),
      signal,
    );
    const [first, second] = report.payments;
    console.log(`QC1 formed: ${first.context.qcHash}`);
    console.log(`QC2 formed: ${second.context.qcHash}`);
    return 0;
  } finally {
    await system.stop();
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
      ? `QC1 and QC2 both formed at block ${qc1}, before block ${qc1! + 1n} was produced.`
      : `QC1 formed at block ${qc1} and QC2 at block ${qc2}: a block boundary fell between them (a slow machine?).`,
    `Both payments were included afterwards, in blocks ${included.join(' and ')}.`,
  ];
  const balances = report.balances?.byName ?? {};
  const wrong = DEMO_ACCOUNTS.filter((a) => balances[a.name] !== EXPECTED_BALANCES[a.name]);
  const shown = DEMO_ACCOUNTS.map((a) => `${a.name} ${formatUnits(balances[a.name] ?? 0n, TIP20_DECIMALS)}`);
  lines.push(
    wrong.length === 0
      ? `Final on-chain balances: ${shown.join(', ')} AlphaUSD, as expected.`
      : `Final on-chain balances: ${shown.join(', ')} AlphaUSD; expected Alice 5, Bob 5, Carol 15.`,
  );
  return { ok: wrong.length === 0 && included.every((b) => b > qc2!), lines };
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
