import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCommandArgs } from '../../src/cli/command.ts';
import { sidecarCommand, sidecarConfigFromFlags } from '../../src/cli/sidecar.command.ts';
import { toHex } from '../../src/protocol/bytes.ts';
import { type SidecarProcess, startSidecarProcess } from '../../src/services/sidecar/sidecar-process.ts';
import { DAVE } from '../support/demo-keys.ts';

const BIN = fileURLToPath(new URL('../../bin/allegro.mjs', import.meta.url));
const DAVE_FLAGS = [
  ...['--name', 'Dave', '--seed', toHex(DAVE.seed).slice(2), '--validator-id', toHex(DAVE.id).slice(2)],
  ...['--store', 'memory', '--listen', '127.0.0.1:0', '--demo-balances'],
];
const config = (...flags: string[]) =>
  sidecarConfigFromFlags(parseCommandArgs(sidecarCommand, [...DAVE_FLAGS, ...flags]).values);

function allegro(...args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 60_000 }, (err, _stdout, stderr) =>
      resolve({ code: err ? Number(err.code) : 0, stderr }),
    );
  });
}

let sidecar: SidecarProcess | undefined;
afterAll(async () => {
  await sidecar?.stop();
});

describe('L4: a sidecar never trusts a committee it learned alone', () => {
  it('following a chain (--rpc-url) needs --committee FILE', () => {
    expect(() => config('--rpc-url', 'http://127.0.0.1:8545')).toThrow(/--rpc-url needs --committee FILE/);
    expect(config('--rpc-url', 'http://127.0.0.1:8545', '--committee', 'c.json').committeeFile).toBe(
      'c.json',
    );
  });

  it('a lone sidecar (a committee of 1) refuses to start without --allow-small-committee, in one line', async () => {
    const run = await allegro('sidecar', ...DAVE_FLAGS);
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      'allegro sidecar: a committee of 1 tolerates no faulty validator: 4 members at least, or --allow-small-committee for a demo (check the configuration it names)',
    ]);
  });

  it('with --allow-small-committee it starts and logs a warning naming the size', async () => {
    const lines: string[] = [];
    sidecar = await startSidecarProcess([...DAVE_FLAGS, '--allow-small-committee'], {
      env: { ...process.env, ALLEGRO_LOG_LEVEL: 'info' },
      onLine: (line) => lines.push(line),
    });
    const warning = lines.map((l) => JSON.parse(l)).find((l) => /small committee/.test(l.msg));
    expect(warning).toMatchObject({ level: 40, members: 1, minimum: 4 });
  });
});
