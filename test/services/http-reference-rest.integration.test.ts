import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AggregatorProcess } from '../../src/services/aggregator/aggregator-process.ts';
import {
  aggregatorFlags,
  alicePays,
  type ChainEnv,
  startAggregator,
  startChainEnv,
} from '../support/aggregator-env.ts';
import { pidAlive } from '../support/pid-alive.ts';

/** The reference web client's stage names (apps/web/src/api/types.ts). */
const REFERENCE_STAGES = [
  'STAGE_UNSPECIFIED',
  'ACCEPTED',
  'CERTIFIED',
  'QUEUED_ONCHAIN',
  'INCLUDED',
  'FINALIZED',
];
/** Where the reference web client is served from in development (vite). */
const PAGE_ORIGIN = 'http://localhost:5173';

let env: ChainEnv;
let agg: AggregatorProcess;

beforeAll(async () => {
  env = await startChainEnv(1);
  agg = await startAggregator(aggregatorFlags(env, 'reference-rest', ['--reference-stages']));
}, 120_000);

afterAll(async () => {
  await agg?.stop();
  await env?.stop();
  for (const pid of [agg?.pid, ...(env?.pids() ?? [])])
    if (pid !== undefined) expect(pidAlive(pid)).toBe(false);
});

/** The reference web client's `fastPayTransport`: eth_sendRawTransaction becomes this POST from the page's origin. */
async function sendRawTransaction(signedTx: string) {
  const preflight = await fetch(`${agg.httpUrl}/api/v1/submit-raw-tx`, {
    method: 'OPTIONS',
    headers: {
      origin: PAGE_ORIGIN,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    },
  });
  expect(preflight.status).toBe(204);
  expect(preflight.headers.get('access-control-allow-origin')).toBe(PAGE_ORIGIN);
  const res = await fetch(`${agg.httpUrl}/api/v1/submit-raw-tx`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', origin: PAGE_ORIGIN },
    body: JSON.stringify({ signed_tx: signedTx }),
  });
  expect(res.headers.get('access-control-allow-origin')).toBe(PAGE_ORIGIN);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** The reference web client's `getTxStatus`. */
async function getTxStatus(txHash: string, query = '') {
  const res = await fetch(`${agg.httpUrl}/api/v1/tx/${encodeURIComponent(txHash)}/status${query}`, {
    headers: { Accept: 'application/json', origin: PAGE_ORIGIN },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('the reference web client against the aggregator (--reference-stages)', () => {
  it('submits {signed_tx} alone (expiry from validBefore), then polls reference stages until inclusion', async () => {
    const payment = alicePays(7001);
    const submitted = await sendRawTransaction(payment.signedTx);
    expect(submitted.status).toBe(200);
    expect(submitted.body).toMatchObject({ tx_hash: payment.txHash, qc_formed: true });
    expect(REFERENCE_STAGES.slice(2)).toContain(submitted.body.stage);
    for (;;) {
      const { status, body } = await getTxStatus(payment.txHash);
      expect(status).toBe(200);
      expect(REFERENCE_STAGES).toContain(body.stage);
      expect(body).toMatchObject({ tx_hash: payment.txHash, qc_formed: true, cert_count: 2 });
      expect(body.qc_hash).toMatch(/^0x[0-9a-f]{64}$/);
      if (body.stage === 'INCLUDED' || body.stage === 'FINALIZED') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const ours = await fetch(`${agg.httpUrl}/api/v1/tx/${payment.txHash}/status`, {
      headers: { 'x-allegro-compat': 'allegro' },
    });
    expect(['INCLUDED', 'FINALIZED']).toContain(((await ours.json()) as { stage: string }).stage);
  }, 60_000);

  it('answers an unknown tx as the reference does: 200 STAGE_UNSPECIFIED with no certificates', async () => {
    const unknown = `0x${'cd'.repeat(32)}`;
    expect(await getTxStatus(unknown)).toEqual({
      status: 200,
      body: expect.objectContaining({
        tx_hash: unknown,
        stage: 'STAGE_UNSPECIFIED',
        cert_count: 0,
        qc_formed: false,
      }),
    });
    expect((await getTxStatus(unknown, '?compat=allegro')).status).toBe(404);
  });

  it('says the server-side chained demo is not offered, in JSON', async () => {
    const res = await fetch(`${agg.httpUrl}/api/v1/demo/chained-flow`, {
      method: 'POST',
      headers: { Accept: 'text/event-stream', origin: PAGE_ORIGIN },
    });
    expect([res.status, ((await res.json()) as { error: { code: string } }).error.code]).toEqual([
      501,
      'NOT_IMPLEMENTED',
    ]);
  });

  it('/healthz is ready, waits for nothing, and exposes live subscriptions', async () => {
    const res = await fetch(`${agg.httpUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      ok: true,
      waitingFor: [],
      validators: 2,
      unreachableSidecars: [],
      liveSubscriptions: 0,
    });
    const metrics = await (await fetch(`${agg.httpUrl}/metrics`)).text();
    for (const series of [
      'allegro_aggregator_submit_to_qc_seconds_count',
      'allegro_aggregator_qc_to_inclusion_seconds_count',
      'allegro_graphql_live_subscriptions',
      'process_resident_memory_bytes',
    ])
      expect(metrics).toContain(series);
  });
});
