import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { pidAlive } from '../support/pid-alive.ts';

const BIN = join(import.meta.dirname, '../../bin/allegro.mjs');

interface Inspected {
  readonly type: string;
  readonly snapshot?: { value?: unknown; context?: { txHash?: string; stageTimes?: object } };
}

/** Runs `allegro …args`; resolves with its exit code and everything it printed. */
async function runAllegro(args: string[]): Promise<{ code: unknown; output: string; pid: number }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) stream.on('data', (chunk) => (output += chunk));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  return { code, output, pid: child.pid! };
}

describe('allegro demo (one command: devnet, sidecar processes, payments)', () => {
  it('is ESCROWED by default: a 4-validator committee with the inspector attached, every escape of Alice fails, escrow balances 5 / 5 / 15, no process left behind', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    const received: string[] = [];
    server.on('connection', (socket) => socket.on('message', (data) => received.push(String(data))));
    const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const { code, output, pid } = await runAllegro(['demo', '--validators', '4', '--inspect', url]);
      expect(code, output).toBe(0);
      expect(output).toMatch(
        /Guarantee: ESCROWED\. AllegroEscrow 0x[0-9a-f]{40} holds Alice 15, Bob 5, Carol 5/,
      );
      expect(output).toMatch(/escape 1: .* the escrow refuses \(BelowThreshold\)/);
      expect(output).toMatch(
        /escape 2: .* sidecars: EQUIVOCATION, EQUIVOCATION, EQUIVOCATION(, EQUIVOCATION)?\n/,
      );
      expect(output).toMatch(/escape 3: .* the escrow refuses \(WithdrawalNotReady\)/);
      expect(output).toMatch(/escape 4: Alice drains her wallet's fee token/);
      expect(output).toMatch(
        /Alice paying Carol 1 more → .*INSUFFICIENT_FUNDS insufficient escrow balance: available 0/,
      );

      expect(output).toContain('Committee of 4: f = 1, a QC needs 3 certificates');
      expect(output).toMatch(/QC1 formed at block (\d+): 3 of 4 certificates/);
      const qc1 = /QC1 formed at block (\d+)/.exec(output)![1];
      expect(output).toContain(`QC2 formed at block ${qc1} (the height has not moved)`);
      expect(output).toMatch(/Alice → Bob: included in block \d+/);
      expect(output).toMatch(/Bob → Carol: included in block \d+/);
      expect(output).toContain(
        `QC1 and QC2 both formed at block ${qc1} (the demo's chain head), before block ${BigInt(qc1!) + 1n}`,
      );
      expect(output).toMatch(
        /Block heights: the demo's chain head, from the Tempo node's newHeads at ws:\/\/127\.0\.0\.1:\d+; the \[aggregator\] lines state its own head, from the same node\./,
      );
      expect(output).toContain('Final escrow balances: Alice 5, Bob 5, Carol 15 AlphaUSD, as expected.');
      expect(output).toMatch(/aggregator pid \d+ {2}GraphQL http:\/\/127\.0\.0\.1:\d+\/graphql/);
      expect(output).toMatch(
        /\[aggregator\] qcFormed: Alice → Bob, 3 verified certificates, at block \d+ \(its chain head\)/,
      );
      expect(output).toMatch(/\[aggregator\] qcFormed: Bob → Carol, 3 verified certificates, at block \d+/);
      const pids = [...output.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
      expect(new Set(pids).size).toBe(6);
      for (const p of [...pids, pid]) expect(pidAlive(p)).toBe(false);

      const events = received.map((text) => JSON.parse(text) as Inspected);
      const included = events.filter(
        (e) =>
          e.type === '@xstate.snapshot' && e.snapshot?.value === 'included' && e.snapshot.context?.txHash,
      );
      expect(new Set(included.map((e) => e.snapshot!.context!.txHash)).size).toBe(2);
      const actors = events
        .filter((e) => e.type === '@xstate.actor')
        .map((e) => (e as { name?: string }).name);
      expect(actors).toEqual(
        expect.arrayContaining(['sidecar Dave', 'sidecar Gus', 'chain watcher', 'chained demo']),
      );
      for (const secret of ['11'.repeat(32), '22'.repeat(32), '41'.repeat(32)]) {
        expect(received.join('\n')).not.toContain(secret);
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  }, 120_000);

  it('runs the LOCKED mode with --direct: plain transfers, on-chain balances 5 / 5 / 15, the aggregator sees them included', async () => {
    const { code, output, pid } = await runAllegro(['demo', '--direct']);
    expect(code, output).toBe(0);
    expect(output).toContain('Guarantee: LOCKED (direct mode: plain Tempo transfers from the wallets)');
    expect(output).not.toContain('escape 1');
    expect(output).toContain('Final on-chain balances: Alice 5, Bob 5, Carol 15 AlphaUSD, as expected.');
    expect(output).toMatch(/\[aggregator\] paymentUpdated: Bob → Carol INCLUDED in block \d+/);
    const pids = [...output.matchAll(/pid (\d+)/g)].map((m) => Number(m[1]));
    for (const p of [...pids, pid]) expect(pidAlive(p)).toBe(false);
  }, 120_000);
});
