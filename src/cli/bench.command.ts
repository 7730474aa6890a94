import { makeFixtures, median, runCeiling, runPipeline } from '../bench/protocol-bench.ts';
import { runSidecarBench } from '../bench/sidecar-bench.ts';
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
  const committee = {
    chainId: 1337n,
    epoch: 1n,
    members: [{ name: 'Dave', id: repeatByte(0xd1, 32), publicKey: suite.ed25519.signer(seed).publicKey }],
  };
  console.log(`protocol bench: ${payments} payments from ${payments} payers, ${rounds} rounds, one core`);
  console.log(
    '  pipeline = decode 0x76 + recover sender + hash + validate + sign certificate + record in the ledger',
  );
  console.log('  ceiling  = secp256k1 recovery (native libsecp256k1) + Ed25519 sign (node:crypto) alone');
  const fixtures = makeFixtures(payments, (done) => console.log(`  signed ${done}/${payments} payments`));
  console.log('  warm-up round (not counted)');
  runPipeline(fixtures, committee, seed);
  runCeiling(fixtures, seed);
  const pipeline: number[] = [];
  const ceiling: number[] = [];
  for (let r = 1; r <= rounds; r++) {
    pipeline.push(runPipeline(fixtures, committee, seed));
    ceiling.push(runCeiling(fixtures, seed));
    console.log(
      `  round ${r}/${rounds}: pipeline ${fmt(pipeline.at(-1)!)}/s, ceiling ${fmt(ceiling.at(-1)!)}/s`,
    );
  }
  const p = median(pipeline);
  const c = median(ceiling);
  const ratio = p / c;
  console.log(`pipeline: ${fmt(p)} certified decisions/s (median)`);
  console.log(`ceiling:  ${fmt(c)} recover+sign/s (median)`);
  console.log(
    `ratio:    ${ratio.toFixed(2)} (target ≥ ${TARGET_RATIO}) ${ratio >= TARGET_RATIO ? 'MET' : 'NOT MET'}`,
  );
  return 0;
}

async function benchSidecar(values: OptionValues): Promise<number> {
  const payments = intOption(values, 'payments')!;
  const concurrency = intOption(values, 'concurrency')!;
  if (payments < 1 || concurrency < 1)
    throw new UsageError('--payments and --concurrency must be at least 1');
  const seed = repeatByte(0x41, 32);
  console.log(
    `sidecar bench: ${payments} payments from ${payments} payers, ${concurrency} in flight, one sidecar`,
  );
  console.log('  over loopback gRPC to a separate process with an LMDB store (fsync before each certificate)');
  const fixtures = makeFixtures(payments, (done) => console.log(`  signed ${done}/${payments} payments`));
  const ceiling = median([
    runCeiling(fixtures, seed),
    runCeiling(fixtures, seed),
    runCeiling(fixtures, seed),
  ]);
  const result = await runSidecarBench(fixtures, concurrency);
  console.log(
    `sidecar:  ${fmt(result.perSecond)} certified payments/s end to end (${result.certified} certified, ${result.rejected} rejected)`,
  );
  console.log(
    '          (the load generator shares the 2 cores with the sidecar: a floor, not the capacity)',
  );
  if (result.cpuSecondsPerPayment !== undefined) {
    const perCore = 1 / result.cpuSecondsPerPayment;
    console.log(
      `sidecar CPU: ${(result.cpuSecondsPerPayment * 1e6).toFixed(0)} µs per certified payment = ${fmt(perCore)}/s per core`,
    );
    console.log(
      `ceiling:  ${fmt(ceiling)} recover+sign/s on one core, same run; sidecar per core / ceiling = ${(perCore / ceiling).toFixed(2)}`,
    );
  } else {
    console.log(`ceiling:  ${fmt(ceiling)} recover+sign/s on one core, same run`);
  }
  return result.rejected === 0 ? 0 : 1;
}

const SUITES: Record<string, (values: OptionValues) => Promise<number>> = {
  protocol: benchProtocol,
  sidecar: benchSidecar,
};

export const benchCommand: Command = {
  name: 'bench',
  summary:
    'Measure throughput: `protocol` (pure pipeline vs crypto ceiling), `sidecar` (one sidecar over gRPC)',
  usage: `bench <${Object.keys(SUITES).join('|')}> [options]`,
  description: 'Prints figures; never fails on speed (these machines are noisy). Run on an idle machine.',
  allowPositionals: true,
  options: {
    payments: { type: 'string', help: 'payments per round', default: '4000' },
    rounds: { type: 'string', help: 'protocol: timed rounds (the median is reported)', default: '5' },
    concurrency: { type: 'string', help: 'sidecar: calls in flight', default: '64' },
  },
  async run(values, positionals) {
    const [suite, ...rest] = positionals;
    const run = suite ? SUITES[suite] : undefined;
    if (!run || rest.length > 0)
      throw new UsageError(`choose one benchmark: ${Object.keys(SUITES).join(', ')}`);
    return run(values);
  },
};
