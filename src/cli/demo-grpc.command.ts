import { ActorSystem } from '../actors/actor-system.ts';
import { runChainedDemo } from '../services/demo/demo-script.ts';
import { MemoryStore } from '../store/memory-store.ts';
import { createLogger } from '../util/logger.ts';
import { bigintOption, type Command, stringOption } from './command.ts';
import { abortable, runInterruptible } from './interruptible.ts';
import { learnCommittee } from './learn-committee.ts';

/** `allegro demo grpc`: the chained payments against two sidecars already running; no chain needed. */
export const demoGrpcCommand: Command = {
  name: 'demo grpc',
  summary: 'the chained payments against two running sidecars (the reference grpc_chained_demo)',
  usage: 'demo grpc --dave-url URL --edgar-url URL [--chain-id N] [--epoch N] [--inspect URL]',
  description: [
    'Runs Alice → Bob and at once Bob → Carol citing QC1 against two sidecars that are already running, e.g.',
    'standalone ones started with --demo-balances, and prints QC1 and QC2. The committee is what the two',
    'sidecars say about themselves (trust on first use: fine for a demo, never for real payers).',
  ].join('\n'),
  options: {
    'dave-url': { type: 'string', value: 'URL', help: 'first sidecar, e.g. http://127.0.0.1:50051' },
    'edgar-url': { type: 'string', value: 'URL', help: 'second sidecar, e.g. http://127.0.0.1:50052' },
    'chain-id': { type: 'string', value: 'N', help: 'chain id', default: '1337' },
    epoch: { type: 'string', value: 'N', help: 'committee epoch', default: '1' },
    inspect: {
      type: 'string',
      value: 'URL',
      help: 'Stately inspector WebSocket URL, e.g. ws://127.0.0.1:8081',
    },
  },
  async run(values) {
    const urls = [stringOption(values, 'dave-url', true), stringOption(values, 'edgar-url', true)];
    const chainId = bigintOption(values, 'chain-id')!;
    const epoch = bigintOption(values, 'epoch')!;
    return runInterruptible(stringOption(values, 'inspect'), async ({ inspector, signal }) => {
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
    });
  },
};
