import { makeFixtures, median, runCeiling, runPipeline } from '../bench/protocol-bench.ts';
import { repeatByte } from '../protocol/bytes.ts';
import { createNodeCryptoSuite } from '../protocol/crypto/node-suite.ts';
import { type Command, intOption, type OptionValues, UsageError } from './command.ts';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const TARGET_RATIO = 0.7;

async function benchProtocol(values: OptionValues): Promise<number> {
  const payments = intOption(values, 'payments')!;
  const rounds = intOption(values, 'rounds')!;
  if (payments < 1 || rounds < 1) throw new UsageError('--payments and --rounds must be at least 1');
  const seed = repeatByte(0x41, 32);
  const suite = createNodeCryptoSuite();
  const committee = { chainId: 1337n, epoch: 1n, members: [{ name: 'Dave', id: repeatByte(0xd1, 32), publicKey: suite.ed25519.signer(seed).publicKey }] };
  console.log(`protocol bench: ${payments} payments from ${payments} payers, ${rounds} rounds, one core`);
  console.log('  pipeline = decode 0x76 + recover sender + hash + validate + sign certificate + record in the ledger');
  console.log('  ceiling  = secp256k1 recovery (native libsecp256k1) + Ed25519 sign (node:crypto) alone');
  const fixtures = makeFixtures(payments, (done) => console.log(`  signed ${done}/${payments} payments`));
  runPipeline(fixtures.slice(0, 200), committee, seed);
  runCeiling(fixtures.slice(0, 200), seed);
  const pipeline: number[] = [];
  const ceiling: number[] = [];
  for (let r = 1; r <= rounds; r++) {
    pipeline.push(runPipeline(fixtures, committee, seed));
    ceiling.push(runCeiling(fixtures, seed));
    console.log(`  round ${r}/${rounds}: pipeline ${fmt(pipeline.at(-1)!)}/s, ceiling ${fmt(ceiling.at(-1)!)}/s`);
  }
  const p = median(pipeline);
  const c = median(ceiling);
  const ratio = p / c;
  console.log(`pipeline: ${fmt(p)} certified decisions/s (median)`);
  console.log(`ceiling:  ${fmt(c)} recover+sign/s (median)`);
  console.log(`ratio:    ${ratio.toFixed(2)} (target ≥ ${TARGET_RATIO}) ${ratio >= TARGET_RATIO ? 'MET' : 'NOT MET'}`);
  return 0;
}

const SUITES: Record<string, (values: OptionValues) => Promise<number>> = { protocol: benchProtocol };

export const benchCommand: Command = {
  name: 'bench',
  summary: 'Measure throughput: `protocol` (pure validation pipeline vs crypto ceiling)',
  usage: `bench <${Object.keys(SUITES).join('|')}> [options]`,
  description: 'Prints figures; never fails on speed (these machines are noisy). Run on an idle machine.',
  allowPositionals: true,
  options: {
    payments: { type: 'string', help: 'payments per round', default: '4000' },
    rounds: { type: 'string', help: 'timed rounds (the median is reported)', default: '5' },
  },
  async run(values, positionals) {
    const [suite, ...rest] = positionals;
    const run = suite ? SUITES[suite] : undefined;
    if (!run || rest.length > 0) throw new UsageError(`choose one benchmark: ${Object.keys(SUITES).join(', ')}`);
    return run(values);
  },
};
