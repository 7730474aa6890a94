import { DEFAULT_RETAIN_FINISHED } from '../actors/payment-system.ts';
import {
  AGGREGATOR_RSS_TARGET_MB_AT_1M,
  AGGREGATOR_RSS_TARGET_MB_PER_10K,
  runAggregatorRssBench,
} from '../bench/aggregator-rss.ts';
import { PIPELINE_TARGET_RATIO, protocolBenchFigures } from '../bench/protocol-bench.ts';
import { writeReadmeSections } from '../bench/readme-sections.ts';
import { DEFAULT_SIZES, FIGURES, type FigureId, RESULTS_DIR, runAllBenchmarks } from '../bench/run-all.ts';
import { SIDECAR_TARGET_PER_CORE, sidecarBenchFigures } from '../bench/sidecar-bench.ts';
import { mib, sidecarRssFigures } from '../bench/sidecar-rss-bench.ts';
import { START_TARGETS, startFigures } from '../bench/start-figures.ts';
import { type Command, intOption, type OptionValues, UsageError } from './command.ts';

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
const progress = (line: string) => console.log(`  ${line}`);

async function benchProtocol(values: OptionValues): Promise<number> {
  const payments = intOption(values, 'payments')!;
  const rounds = intOption(values, 'rounds')!;
  if (payments < 1 || rounds < 1) throw new UsageError('--payments and --rounds must be at least 1');
  console.log(`protocol bench: ${payments} payments from ${payments} payers, ${rounds} rounds, one core`);
  console.log(
    '  pipeline = decode 0x76 + recover sender + hash + validate + sign certificate + record in the ledger',
  );
  console.log('  ceiling  = secp256k1 recovery (native libsecp256k1) + Ed25519 sign (node:crypto) alone');
  const f = protocolBenchFigures(payments, rounds, progress);
  console.log(`pipeline: ${fmt(f.pipelinePerSecond)} certified decisions/s (median)`);
  console.log(`ceiling:  ${fmt(f.ceilingPerSecond)} recover+sign/s (median)`);
  console.log(
    `ratio:    ${f.ratio.toFixed(2)} (target ≥ ${PIPELINE_TARGET_RATIO}) ${f.met ? 'MET' : 'NOT MET'}`,
  );
  return 0;
}

async function benchSidecar(values: OptionValues): Promise<number> {
  const payments = intOption(values, 'payments')!;
  const inFlight = intOption(values, 'concurrency')!;
  const batch = intOption(values, 'batch')!;
  if (payments < 1 || inFlight < 1 || batch < 1)
    throw new UsageError('--payments, --concurrency and --batch must be at least 1');
  const profile = values.profile === true;
  console.log(
    `sidecar bench: ${payments} payments from ${payments} payers, ${batch === 1 ? 'one per SubmitFastPay call' : `${batch} per SubmitFastPayBatch call`}, ${inFlight} calls in flight, one sidecar`,
  );
  console.log(
    '  over loopback gRPC to a separate process with an LMDB store (fsync before each certificate)',
  );
  const f = await sidecarBenchFigures(payments, { batch, inFlight, profile }, progress);
  console.log(
    `sidecar:  ${fmt(f.perSecond)} certified payments/s end to end (${f.certified} certified, ${f.rejected} rejected)`,
  );
  console.log(
    '          (the load generator shares the 2 cores with the sidecar: a floor, not the capacity)',
  );
  if (f.cpuMicrosPerPayment !== undefined && f.perCorePerSecond !== undefined) {
    console.log(
      `sidecar CPU: ${f.cpuMicrosPerPayment.toFixed(0)} µs per certified payment = ${fmt(f.perCorePerSecond)}/s per core (target ≥ ${fmt(SIDECAR_TARGET_PER_CORE)}) ${f.met ? 'MET' : 'NOT MET'}`,
    );
  }
  console.log(
    `ceiling:  ${fmt(f.ceilingPerSecond)} recover+sign/s on one core, same run${f.ratioToCeiling === undefined ? '' : `; sidecar per core / ceiling = ${f.ratioToCeiling.toFixed(2)}`}`,
  );
  if (f.split) {
    console.log('sidecar CPU by component (--cpu-prof samples during the load):');
    for (const { component, share } of f.split) {
      const micros =
        f.cpuMicrosPerPayment === undefined ? '' : ` ≈ ${(share * f.cpuMicrosPerPayment).toFixed(0)} µs`;
      console.log(`  ${component.padEnd(20)} ${pct(share).padStart(6)}${micros}`);
    }
  }
  if (f.firstReject) console.log(`first reject: ${f.firstReject}`);
  const start = await startFigures();
  const check = (measured: number, target: number) => (measured <= target ? 'MET' : 'NOT MET');
  console.log(`start (median of ${start.runs} fresh processes):`);
  console.log(
    `  allegro --help     ${start.helpMs.toFixed(0)} ms (target ≤ ${START_TARGETS.helpMs}) ${check(start.helpMs, START_TARGETS.helpMs)}`,
  );
  console.log(
    `  sidecar ready      ${start.readyMs.toFixed(0)} ms from spawn (target ≤ ${START_TARGETS.readyMs}) ${check(start.readyMs, START_TARGETS.readyMs)}`,
  );
  console.log(
    `  sidecar idle RSS   ${start.idleRssMiB.toFixed(0)} MiB (target ≤ ${START_TARGETS.idleRssMiB}) ${check(start.idleRssMiB, START_TARGETS.idleRssMiB)}`,
  );
  return f.rejected === 0 ? 0 : 1;
}

async function benchAggregatorRss(values: OptionValues): Promise<number> {
  const seconds = intOption(values, 'seconds')!;
  if (seconds < 1) throw new UsageError('--seconds must be at least 1');
  const retainFinished = intOption(values, 'retain-finished')!;
  if (retainFinished < 1) throw new UsageError('--retain-finished must be at least 1');
  console.log(
    `aggregator RSS bench: payments through one in-process aggregator (LMDB store, keeping ${fmt(retainFinished)} ` +
      `finished payments) for ${seconds} s, each QC'd, INCLUDED and FINALIZED`,
  );
  const f = await runAggregatorRssBench({ durationMs: seconds * 1000, retainFinished, progress });
  const last = f.samples.at(-1)!;
  const at1m = last.rssMb + f.slopeMbPer10k * ((1_000_000 - last.payments) / 10_000);
  const mb = (v: number | undefined) => (v === undefined ? 'unknown' : `${v.toFixed(2)} MB`);
  console.log(`payments: ${fmt(last.payments)} in ${f.seconds.toFixed(0)} s`);
  console.log('growth per 10,000 finished payments (second half of the run):');
  console.log(
    `  RSS                ${mb(f.slopeMbPer10k)} (target ≤ ${AGGREGATOR_RSS_TARGET_MB_PER_10K}) ${f.slopeMbPer10k <= AGGREGATOR_RSS_TARGET_MB_PER_10K ? 'MET' : 'NOT MET'}`,
  );
  console.log(`  anonymous RSS      ${mb(f.anonSlopeMbPer10k)} (what the process holds)`);
  console.log(`  JS heap after GC   ${mb(f.heapSlopeMbPer10k)}`);
  console.log(
    `  file-backed RSS    ${mb(f.fileSlopeMbPer10k)}, of which the store's mapped pages ${mb(f.mappedSlopeMbPer10k)}`,
  );
  console.log(`  store on disk      ${mb(f.storeSlopeMbPer10k)}`);
  console.log(
    `RSS: ${last.rssMb.toFixed(1)} MB after ${fmt(last.payments)} payments (anonymous ${mb(last.anonMb)}, store's mapped pages ${mb(last.mappedMb)}); at 1,000,000 by the slope ≈ ${at1m.toFixed(0)} MB (target ≤ ${AGGREGATOR_RSS_TARGET_MB_AT_1M})`,
  );
  if (f.anonSlopeMbPer10k !== undefined) {
    const anonAt1m = last.anonMb! + f.anonSlopeMbPer10k * ((1_000_000 - last.payments) / 10_000);
    console.log(
      `anonymous RSS at 1,000,000 by its slope ≈ ${anonAt1m.toFixed(0)} MB; the store's mapped pages are clean file pages the kernel drops under memory pressure`,
    );
  }
  return 0;
}

async function benchSidecarRss(values: OptionValues): Promise<number> {
  const seconds = intOption(values, 'seconds')!;
  if (seconds < 1) throw new UsageError('--seconds must be at least 1');
  console.log(
    `sidecar-rss bench: ${seconds} s of payments through one standalone sidecar (LMDB store), each valid for 4 s`,
  );
  const f = await sidecarRssFigures(seconds, {}, progress);
  console.log(`payments: ${f.payments} in ${f.seconds.toFixed(0)} s (${f.certified} certified)`);
  console.log(`slope:    ${mib(f.slopeBytesPer10k)} of RSS per 10,000 payments (second half of the run)`);
  console.log(
    `1,000,000 payments: RSS ≈ ${mib(f.extrapolatedMillionBytes)} (target ≤ ${mib(f.targetBytes)}) ${f.met ? 'MET' : 'NOT MET'}`,
  );
  const last = f.samples.at(-1);
  if (last)
    console.log(`store on disk: ${mib(last.storeBytes)} at the end (live locks only: expired ones leave)`);
  return 0;
}

const SUITES: Record<string, (values: OptionValues) => Promise<number>> = {
  protocol: benchProtocol,
  sidecar: benchSidecar,
  'sidecar-rss': benchSidecarRss,
  'aggregator-rss': benchAggregatorRss,
};

export const benchCommand: Command = {
  name: 'bench',
  summary:
    'Measure: every figure (P1–P6) by default, some by name (`p3`), or `protocol` / `sidecar` / `aggregator-rss` alone',
  usage: `bench [${Object.keys(FIGURES).join(' ')}] [--readme]\n       bench <${Object.keys(SUITES).join('|')}> [options]`,
  description: [
    'Without a benchmark name: runs the figures P1–P6 (all, or those named) on loopback with real processes,',
    'prints target / measured / ratio and writes bench-results/*.json and SVG plots. --readme writes README.md',
    "'Measured' and 'Faults survived' sections from bench-results/. Never fails on speed (machines are noisy).",
  ].join('\n'),
  allowPositionals: true,
  options: {
    payments: { type: 'string', help: 'payments per round', default: '4000' },
    rounds: { type: 'string', help: 'protocol: timed rounds (the median is reported)', default: '5' },
    concurrency: { type: 'string', help: 'sidecar: calls in flight', default: '4' },
    batch: {
      type: 'string',
      help: 'sidecar: payments per SubmitFastPayBatch call (1: SubmitFastPay)',
      default: '64',
    },
    profile: { type: 'boolean', help: 'sidecar: profile the sidecar and split its CPU by component' },
    seconds: {
      type: 'string',
      help: 'aggregator-rss, sidecar-rss: how long to run payments',
      default: '180',
    },
    subscribers: { type: 'string', value: 'N', help: 'p4: graphql-ws subscribers', default: '1000' },
    'retain-finished': {
      type: 'string',
      value: 'N',
      help: "aggregator-rss: finished payments the store keeps (the aggregator's --retain-finished)",
      default: String(DEFAULT_RETAIN_FINISHED),
    },
    readme: { type: 'boolean', help: 'write the README sections from bench-results/ and stop' },
  },
  async run(values, positionals) {
    if (values.readme === true) {
      const written = await writeReadmeSections(RESULTS_DIR);
      console.log(
        written.length ? `README.md: wrote ${written.join(', ')}` : `nothing in ${RESULTS_DIR} yet`,
      );
      return 0;
    }
    const figures = positionals.filter((p): p is FigureId => p in FIGURES);
    if (positionals.length === 0 || figures.length === positionals.length) {
      const ids = figures.length > 0 ? figures : (Object.keys(FIGURES) as FigureId[]);
      const subscribers = intOption(values, 'subscribers');
      await runAllBenchmarks(ids, { ...DEFAULT_SIZES, ...(subscribers ? { subscribers } : {}) });
      return 0;
    }
    const [suite, ...rest] = positionals;
    const run = suite ? SUITES[suite] : undefined;
    if (!run || rest.length > 0)
      throw new UsageError(
        `choose figures (${Object.keys(FIGURES).join(', ')}) or one benchmark: ${Object.keys(SUITES).join(', ')}`,
      );
    return run(values);
  },
};
