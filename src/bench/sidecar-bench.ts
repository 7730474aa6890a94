import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import { ALPHA_USD } from '../chain/tempo-tokens.ts';
import { toHex } from '../protocol/bytes.ts';
import { startSidecarProcess } from '../services/sidecar/sidecar-process.ts';
import { submitRequestToProto } from '../wire/convert-request.ts';
import { createClient } from '../wire/grpc-client.ts';
import type { Fixture } from './protocol-bench.ts';

export interface SidecarBenchResult {
  readonly certified: number;
  readonly rejected: number;
  /** Certified payments per second of wall time, load generator included. */
  readonly perSecond: number;
  /** The sidecar process's own CPU seconds per certified payment (Linux /proc), when measurable. */
  readonly cpuSecondsPerPayment: number | undefined;
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
 * with every fixture's payer funded, then submits all fixtures over loopback gRPC with `concurrency` calls in
 * flight, and counts certified payments per second of wall time.
 */
export async function runSidecarBench(
  fixtures: readonly Fixture[],
  concurrency: number,
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
      { env: { ...process.env, ALLEGRO_LOG_LEVEL: 'info' } },
    );
    const client = createClient(FastPaySidecar, sidecar.url);
    try {
      let next = 0;
      let certified = 0;
      let rejected = 0;
      const cpuBefore = await cpuSeconds(sidecar.pid);
      const start = process.hrtime.bigint();
      const worker = async () => {
        while (next < fixtures.length) {
          const f = fixtures[next++]!;
          const res = await client.submitFastPay(submitRequestToProto(f.request), { timeoutMs: 30_000 });
          if (res.result.case === 'cert') certified++;
          else rejected++;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const cpuAfter = await cpuSeconds(sidecar.pid);
      const cpu =
        cpuBefore !== undefined && cpuAfter !== undefined ? (cpuAfter - cpuBefore) / certified : undefined;
      return { certified, rejected, perSecond: certified / seconds, cpuSecondsPerPayment: cpu };
    } finally {
      client.close();
      await sidecar.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
