import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { projectPath } from '../services/project-root.ts';
import { startSidecarProcess } from '../services/sidecar/sidecar-process.ts';
import { processRssMiB } from './process-rss.ts';
import { median } from './protocol-bench.ts';

/** Issue targets for a start (the CLI compiled, each command loading only what it needs). */
export const START_TARGETS = { readyMs: 1_500, helpMs: 500, idleRssMiB: 100 } as const;

export interface StartFigures {
  /** Median wall time of `allegro --help`, spawn to exit. */
  readonly helpMs: number;
  /** Median wall time from spawning a standalone sidecar (LMDB store) to its "listening" line. */
  readonly readyMs: number;
  /** The sidecar's RSS once ready and idle (the largest of the runs). */
  readonly idleRssMiB: number;
  readonly runs: number;
}

/** Time since `started` (process.hrtime.bigint()) in milliseconds. */
const since = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e6;

/**
 * Start-up as an operator meets it, `runs` times each: `allegro --help`, and a standalone sidecar with an LMDB
 * store from spawn to ready, then its RSS after `idleMs` of doing nothing. Each run is a fresh process.
 */
export async function startFigures(runs = 3, idleMs = 1_000): Promise<StartFigures> {
  const help: number[] = [];
  const ready: number[] = [];
  const rss: number[] = [];
  const run = promisify(execFile);
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    await run(process.execPath, [projectPath('bin/allegro.mjs'), '--help']);
    help.push(since(started));
  }
  for (let i = 0; i < runs; i++) {
    const dir = await mkdtemp(join(tmpdir(), 'allegro-bench-start-'));
    const started = process.hrtime.bigint();
    const sidecar = await startSidecarProcess(
      [
        ...['--name', 'Start', '--listen', '127.0.0.1:0', '--seed', '41'.repeat(32)],
        ...['--validator-id', 'd1'.repeat(32), '--store', `lmdb:${join(dir, 'store')}`],
        '--allow-small-committee',
      ],
      { env: { ...process.env, ALLEGRO_LOG_LEVEL: 'info' } },
    );
    try {
      ready.push(since(started));
      await new Promise((resolve) => setTimeout(resolve, idleMs));
      rss.push((await processRssMiB(sidecar.pid)) ?? Number.NaN);
    } finally {
      await sidecar.stop();
      await rm(dir, { recursive: true, force: true });
    }
  }
  return { helpMs: median(help), readyMs: median(ready), idleRssMiB: Math.max(...rss), runs };
}
