import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pidAlive } from '../support/pid-alive.ts';

const CLI = fileURLToPath(new URL('../../bin/allegro.mjs', import.meta.url));

describe('allegro devnet', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'prints URLs, tokens and funded accounts, and on %s stops anvil and exits 0',
    async (signal) => {
      const cli = spawn(process.execPath, [CLI, 'devnet', '--port', '0', '--block-time', '0.5'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      let anvilPid: number | undefined;
      try {
        await new Promise<void>((resolve, reject) => {
          cli.stdout.setEncoding('utf8').on('data', (chunk: string) => {
            out += chunk;
            if (out.includes('Press Ctrl-C to stop.')) resolve();
          });
          cli.once('exit', (code) => reject(new Error(`devnet exited early (${code}):\n${out}`)));
        });
        anvilPid = Number(/\(pid (\d+)\)/.exec(out)?.[1]);
        expect(out).toMatch(/RPC {2}http:\/\/127\.0\.0\.1:\d+/);
        expect(out).toMatch(/WS {3}ws:\/\/127\.0\.0\.1:\d+/);
        expect(out).toContain('chain id 1337');
        expect(out).toContain('0x20c0000000000000000000000000000000000001');
        expect(out).toMatch(/Alice {2}0x19e7e376e7c213b7e7e7e46cc70a5dd086daff2a +15 AlphaUSD/);
        expect(out).toMatch(/Bob {4}0x1563915e194d8cfba1943570603f7606a3115508 +5 AlphaUSD/);
        expect(out).toContain(`private key 0x${'33'.repeat(32)}`);
        expect(pidAlive(anvilPid)).toBe(true);

        const exit = new Promise<string>((resolve) =>
          cli.once('exit', (code, sig) => resolve(`exit ${code} signal ${sig}`)),
        );
        cli.kill(signal);
        expect(await exit).toBe('exit 0 signal null');
        expect(pidAlive(anvilPid)).toBe(false);
      } finally {
        if (cli.exitCode === null) cli.kill('SIGKILL');
        if (anvilPid && pidAlive(anvilPid)) process.kill(anvilPid, 'SIGKILL');
      }
    },
  );
});
