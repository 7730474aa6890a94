import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ALPHA_USD } from '../chain/tempo-tokens.ts';
import { toHex } from '../protocol/bytes.ts';
import { type SidecarProcess, startSidecarProcess } from '../services/sidecar/sidecar-process.ts';

/**
 * Starts a standalone sidecar process (no chain: static balances, `--allow-small-committee`) on `port` (0 picks
 * one) with its store at `store`, funding each of `payers` with 1,000 AlphaUSD. The same `dir`, `store` and
 * `port` restart the same validator after a crash;
 * `onLine` sees every log line.
 */
export async function startStandaloneSidecar(
  dir: string,
  store: string,
  payers: readonly Uint8Array[],
  port = 0,
  onLine?: (line: string) => void,
): Promise<SidecarProcess> {
  const balances = join(dir, 'balances.json');
  await writeFile(
    balances,
    JSON.stringify(payers.map((p) => ({ account: toHex(p), asset: toHex(ALPHA_USD), amount: '1000000000' }))),
  );
  return startSidecarProcess(
    [
      ...['--name', 'Chaos', '--listen', `127.0.0.1:${port}`, '--seed', '41'.repeat(32)],
      ...['--validator-id', 'd1'.repeat(32), '--balances', balances, '--store', store],
      '--allow-small-committee',
    ],
    { env: { ...process.env, ALLEGRO_LOG_LEVEL: 'info' }, ...(onLine ? { onLine } : {}) },
  );
}
