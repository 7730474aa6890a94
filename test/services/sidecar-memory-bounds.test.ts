import { afterEach, describe, expect, it } from 'vitest';
import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.js';
import { parseCommandArgs, UsageError } from '../../src/cli/command.ts';
import { sidecarCommand, sidecarConfigFromFlags } from '../../src/cli/sidecar.command.ts';
import { freePort } from '../../src/services/free-port.ts';
import { type RunningSidecar, startSidecar } from '../../src/services/sidecar/sidecar-node.ts';
import { submitRequestToProto } from '../../src/wire/convert-request.ts';
import { createClient } from '../../src/wire/grpc-client.ts';
import { DEFAULT_MAX_CALLS_PER_PEER } from '../../src/wire/grpc-limits.ts';
import { capturedLogger } from '../support/captured-logger.ts';
import { ALICE_KEY, BOB, BOB_KEY, CAROL, CAROL_KEY } from '../support/demo-keys.ts';
import { buildPayment } from '../support/payment-builder.ts';

const DAVE = [...['--name', 'Dave', '--seed', '41'.repeat(32), '--validator-id', 'd1'.repeat(32)]];
const config = (...flags: string[]) =>
  sidecarConfigFromFlags(parseCommandArgs(sidecarCommand, [...DAVE, ...flags]).values);

const running: RunningSidecar[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

/** `name{structure="s"} value` lines of a scrape, as a map from structure to value. */
function byStructure(text: string, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [, structure, value] of text.matchAll(
    new RegExp(`^${name}\\{structure="(\\w+)"\\} (\\d+)$`, 'gm'),
  ))
    out[structure!] = Number(value);
  return out;
}

describe('sidecar memory bounds', () => {
  it('takes --max-calls-per-peer and --max-cooling-senders (defaults 256 and 65,536; 0 refused)', () => {
    expect(config().maxCallsPerPeer).toBe(DEFAULT_MAX_CALLS_PER_PEER);
    expect(config().maxCoolingSenders).toBe(65_536);
    expect(config('--max-calls-per-peer', '7', '--max-cooling-senders', '5')).toMatchObject({
      maxCallsPerPeer: 7,
      maxCoolingSenders: 5,
    });
    expect(() => config('--max-calls-per-peer', '0')).toThrow(UsageError);
  });

  it('evicts beyond each flag and shows every structure, its bound and the step timings on /metrics', async () => {
    const httpPort = await freePort();
    const sidecar = await startSidecar(
      config(
        ...['--listen', '127.0.0.1:0', '--store', 'memory', '--demo-balances', '--allow-small-committee'],
        ...['--http-listen', `127.0.0.1:${httpPort}`],
        ...['--max-request-cache', '2', '--max-total-certs', '2', '--max-known-qcs', '3'],
        ...['--max-cooling-senders', '5'],
      ),
      capturedLogger('error').logger,
    );
    running.push(sidecar);
    const client = createClient(FastPaySidecar, `127.0.0.1:${sidecar.port}`);
    try {
      const payments = await Promise.all(
        [
          { key: ALICE_KEY, to: BOB },
          { key: BOB_KEY, to: CAROL },
          { key: CAROL_KEY, to: BOB },
        ].map((p, i) => buildPayment({ ...p, amount: 1_000_000n, requestId: `r${i}` })),
      );
      const { responses } = await client.submitFastPayBatch({
        requests: payments.map((tx) => submitRequestToProto({ tx, parentQcs: [] })),
      });
      expect(responses.map((r) => r.result.case)).toEqual(['cert', 'cert', 'cert']);

      const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      expect(byStructure(text, 'allegro_sidecar_memory_entries')).toEqual({
        request_cache: 2,
        settled_certs: 0,
        known_qcs: 0,
        cooling_senders: 0,
        lifecycle_history: 2,
        bulletin_board: 2,
        verified_signatures: 0,
        live_locks: 3,
        live_credits: 0,
        lifecycle_subscribers: 0,
      });
      expect(byStructure(text, 'allegro_sidecar_memory_capacity')).toEqual({
        request_cache: 2,
        settled_certs: 2,
        known_qcs: 3,
        cooling_senders: 5,
        lifecycle_history: 2,
        bulletin_board: 2,
        verified_signatures: 2,
      });
      expect(text).toMatch(/^allegro_sidecar_decision_seconds_count 3$/m);
      expect(text).toMatch(/^allegro_sidecar_durable_write_seconds_count 3$/m);
    } finally {
      client.close();
    }
  });
});
