import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FastPaySidecar,
  type SubmitFastPayRequest,
  type SubmitFastPayResponse,
} from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import { ALPHA_USD } from '../chain/tempo-tokens.ts';
import { toHex } from '../protocol/bytes.ts';
import { startSidecarProcess } from '../services/sidecar/sidecar-process.ts';
import { submitRequestToProto } from '../wire/convert-request.ts';
import { createClient, type ServiceClient } from '../wire/grpc-client.ts';
import { type CpuSplit, cpuProfileSplit } from './cpu-profile-split.ts';
import { type Fixture, makeFixtures, median, runCeiling } from './protocol-bench.ts';

export interface SidecarBenchOptions {
  /** Payments per SubmitFastPayBatch call; 1 sends each alone with SubmitFastPay. */
  readonly batch: number;
  /** Calls in flight at once. */
  readonly inFlight: number;
  /** Profile the sidecar (`--cpu-prof`) and split its CPU time by component. */
  readonly profile?: boolean;
}

export interface SidecarBenchResult {
  readonly certified: number;
  readonly rejected: number;
  /** Certified payments per second of wall time, load generator included. */
  readonly perSecond: number;
  /** The sidecar process's own CPU seconds per certified payment (Linux /proc), when measurable. */
  readonly cpuSecondsPerPayment: number | undefined;
  /** The sidecar's CPU time during the load by component, when profiled. */
  readonly split?: CpuSplit;
  /** The first reject's code and message, if any payment was refused. */
  readonly firstReject?: string;
}

/** user + system CPU seconds a process has used, from /proc/PID/stat (clock ticks of 1/100 s on Linux). */
async function cpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * Starts one standalone sidecar process (LMDB store, so every lock is fsynced before its certificate leaves)
 * with every fixture's payer funded, then submits all fixtures over loopback gRPC in batches of `batch` with
 * `inFlight` calls at once, and counts certified payments per second of wall time and the sidecar's CPU.
 */
export async function runSidecarBench(
  fixtures: readonly Fixture[],
  options: SidecarBenchOptions,
): Promise<SidecarBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'allegro-bench-'));
  try {
    const balances = fixtures.map((f) => ({
      account: toHex(f.sender),
      asset: toHex(ALPHA_USD),
      amount: '1000000000',
    }));
    await writeFile(join(dir, 'balances.json'), JSON.stringify(balances));
    const sidecar = await startSidecarProcess(
      [
        ...[
          '--name',
          'Bench',
          '--listen',
          '127.0.0.1:0',
          '--seed',
          '41'.repeat(32),
          '--validator-id',
          'd1'.repeat(32),
        ],
        ...['--balances', join(dir, 'balances.json'), '--store', `lmdb:${join(dir, 'store')}`],
        '--allow-small-committee',
      ],
      {
        env: { ...process.env, ALLEGRO_LOG_LEVEL: 'info' },
        ...(options.profile ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${join(dir, 'profile')}`] } : {}),
      },
    );
    const client = createClient(FastPaySidecar, sidecar.url);
    let stopped = false;
    try {
      const requests = fixtures.map((f) => submitRequestToProto(f.request));
      const cpuBefore = await cpuSeconds(sidecar.pid);
      const start = process.hrtime.bigint();
      const answers = await submitInBatches(client, requests, options);
      const end = process.hrtime.bigint();
      const cpuAfter = await cpuSeconds(sidecar.pid);
      const certified = answers.filter((a) => a.result.case === 'cert').length;
      const refused = answers.find((a) => a.result.case === 'reject')?.result.value;
      const firstReject = refused && 'code' in refused ? `${refused.code}: ${refused.message}` : undefined;
      const seconds = Number(end - start) / 1e9;
      const cpu =
        cpuBefore !== undefined && cpuAfter !== undefined ? (cpuAfter - cpuBefore) / certified : undefined;
      client.close();
      await sidecar.stop();
      stopped = true;
      const split = options.profile
        ? await cpuProfileSplit(join(dir, 'profile'), Number(start / 1000n), Number(end / 1000n))
        : undefined;
      return {
        certified,
        rejected: answers.length - certified,
        perSecond: certified / seconds,
        cpuSecondsPerPayment: cpu,
        ...(split ? { split } : {}),
        ...(firstReject ? { firstReject } : {}),
      };
    } finally {
      if (!stopped) {
        client.close();
        await sidecar.stop();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Sends every request, `batch` per call (unary when 1), `inFlight` calls at once; answers in request order. */
async function submitInBatches(
  client: ServiceClient<typeof FastPaySidecar>,
  requests: readonly SubmitFastPayRequest[],
  { batch, inFlight }: SidecarBenchOptions,
): Promise<SubmitFastPayResponse[]> {
  const answers: SubmitFastPayResponse[] = new Array(requests.length);
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const from = next;
      next = Math.min(requests.length, from + batch);
      const group = requests.slice(from, next);
      const responses =
        batch === 1
          ? [await client.submitFastPay(group[0]!, { timeoutMs: 60_000 })]
          : (await client.submitFastPayBatch({ requests: group }, { timeoutMs: 60_000 })).responses;
      responses.forEach((r, i) => {
        answers[from + i] = r;
      });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return answers;
}

/** The sidecar's target: certified payments per second per core of its own CPU. */
export const SIDECAR_TARGET_PER_CORE = 5000;

/** What `bench sidecar` measured. */
export interface SidecarBenchFigures extends SidecarBenchResult {
  readonly payments: number;
  readonly batch: number;
  readonly inFlight: number;
  /** µs of sidecar CPU per certified payment, and its inverse. */
  readonly cpuMicrosPerPayment: number | undefined;
  readonly perCorePerSecond: number | undefined;
  /** Recover + sign per second on one core of this process, the same run (median of 3). */
  readonly ceilingPerSecond: number;
  /** perCorePerSecond / ceilingPerSecond. */
  readonly ratioToCeiling: number | undefined;
  readonly targetPerCore: number;
  readonly met: boolean;
}

/** Signs `payments` fixtures, measures the crypto ceiling, then runs them through one sidecar process. */
export async function sidecarBenchFigures(
  payments: number,
  options: SidecarBenchOptions,
  onLine: (line: string) => void = () => {},
): Promise<SidecarBenchFigures> {
  const seed = new Uint8Array(32).fill(0x41);
  const fixtures = makeFixtures(payments, (done) => onLine(`signed ${done}/${payments} payments`));
  const ceilingPerSecond = median([0, 1, 2].map(() => runCeiling(fixtures, seed)));
  const result = await runSidecarBench(fixtures, options);
  const cpu = result.cpuSecondsPerPayment;
  const perCorePerSecond = cpu === undefined ? undefined : 1 / cpu;
  return {
    ...result,
    payments,
    batch: options.batch,
    inFlight: options.inFlight,
    cpuMicrosPerPayment: cpu === undefined ? undefined : cpu * 1e6,
    perCorePerSecond,
    ceilingPerSecond,
    ratioToCeiling: perCorePerSecond === undefined ? undefined : perCorePerSecond / ceilingPerSecond,
    targetPerCore: SIDECAR_TARGET_PER_CORE,
    met: perCorePerSecond !== undefined && perCorePerSecond >= SIDECAR_TARGET_PER_CORE,
  };
}
