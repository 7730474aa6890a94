import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import { createClient } from '../../src/wire/grpc-client.ts';
import { ALICE_KEY, BOB, DAVE, EDGAR } from '../support/demo-keys.ts';
import { buildPayment } from '../support/payment-builder.ts';
import { pidAlive } from '../support/pid-alive.ts';
import { type SidecarClient, submitTo } from '../support/sidecar-calls.ts';
import { SidecarPair } from '../support/sidecar-pair.ts';

let pair: SidecarPair;
let dave: SidecarClient;
let httpUrl: string;

beforeAll(async () => {
  pair = await SidecarPair.start(['--http-listen', '127.0.0.1:0'], [DAVE, EDGAR]);
  const port = /"httpPort":(\d+)/.exec(pair.processes.get('Dave')!.tail())?.[1];
  httpUrl = `http://127.0.0.1:${port}`;
  dave = createClient(FastPaySidecar, pair.url('Dave'));
}, 60_000);

afterAll(async () => {
  dave?.close();
  const pids = [...(pair?.processes.values() ?? [])].map((p) => p.pid);
  await pair?.stop();
  for (const pid of pids) expect(pidAlive(pid)).toBe(false);
});

describe('sidecar --http-listen', () => {
  it('serves /healthz and /metrics counting submissions by outcome and rejects by code', async () => {
    const health = await fetch(`${httpUrl}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ ok: true, name: 'Dave', committee: 2 });
    const ok = await submitTo(dave, await buildPayment({ key: ALICE_KEY, to: BOB, amount: 1_000000n }));
    expect('cert' in ok).toBe(true);
    const tooHigh = await submitTo(
      dave,
      await buildPayment({ key: ALICE_KEY, to: BOB, amount: 1n, seq: 5n }),
    );
    expect('reject' in tooHigh).toBe(true);
    const metrics = await (await fetch(`${httpUrl}/metrics`)).text();
    expect(metrics).toContain('allegro_sidecar_submissions_total{outcome="certified"} 1');
    expect(metrics).toContain('allegro_sidecar_submissions_total{outcome="rejected"} 1');
    expect(metrics).toContain('allegro_sidecar_rejects_total{code="NONCE_SEQ_TOO_HIGH"} 1');
    expect(metrics).toMatch(/allegro_sidecar_board_certificates [1-9]/);
    expect((await fetch(`${httpUrl}/nope`)).status).toBe(404);
  });
});
