import { afterEach, describe, expect, it } from 'vitest';
import type { Aggregator } from '../../src/services/aggregator/aggregator.ts';
import { type AggregatorHttp, startAggregatorHttp } from '../../src/services/aggregator/aggregator-http.ts';
import { aggregatorMetrics } from '../../src/services/aggregator/aggregator-metrics.ts';
import { restApi } from '../../src/services/aggregator/rest-api.ts';
import { Metrics } from '../../src/services/http/metrics.ts';
import { capturedLogger } from '../support/captured-logger.ts';
import { suite } from '../support/validator-harness.ts';

/** The Aggregator as far as routing reaches it: no head, no payments. */
const emptyAggregator = {
  head: () => undefined,
  lookup: async () => undefined,
} as unknown as Aggregator;

let http: AggregatorHttp | undefined;

afterEach(async () => {
  await http?.close();
  http = undefined;
});

async function start(corsOrigins?: string[]) {
  const { logger, lines } = capturedLogger();
  const metrics = new Metrics({ processMetrics: false });
  http = await startAggregatorHttp({
    listen: '127.0.0.1:0',
    metrics,
    logger,
    ...(corsOrigins ? { corsOrigins } : {}),
  });
  const rest = restApi(
    emptyAggregator,
    suite,
    aggregatorMetrics(metrics, () => new Map()),
    {
      referenceStages: false,
    },
  );
  return { base: `http://127.0.0.1:${http.port}`, lines, rest, server: http };
}

type ErrorBody = { error: { code: string; message: string } };

describe('aggregator HTTP doors', () => {
  it('serves /healthz from the first moment, saying what startup waits for, and 503 STARTING elsewhere', async () => {
    const { base, rest, server } = await start();
    server.starting('committee: learning it from the sidecars (none answered yet)');
    const early = await fetch(`${base}/healthz`);
    expect([early.status, await early.json()]).toEqual([
      503,
      { ok: false, waitingFor: ['committee: learning it from the sidecars (none answered yet)'] },
    ]);
    const api = await fetch(`${base}/api/v1/chain/head`);
    expect([api.status, ((await api.json()) as ErrorBody).error.code]).toEqual([503, 'STARTING']);
    server.ready([rest], () => ({ ok: false, waitingFor: ['a chain head'] }));
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({
      ok: false,
      waitingFor: ['a chain head'],
    });
    const head = await fetch(`${base}/api/v1/chain/head`);
    expect([head.status, ((await head.json()) as ErrorBody).error.code]).toEqual([503, 'UNAVAILABLE']);
  });

  it('answers a CORS preflight for local pages by default and names the origin on the answer', async () => {
    const { base, rest, server } = await start();
    server.ready([rest], () => ({ ok: true }));
    const origin = 'http://localhost:5173';
    const preflight = await fetch(`${base}/api/v1/submit-raw-tx`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('content-type');
    const answer = await fetch(`${base}/api/v1/chain/head`, { headers: { origin } });
    expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
    const stranger = await fetch(`${base}/api/v1/submit-raw-tx`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect([stranger.status, ((await stranger.json()) as ErrorBody).error.code]).toEqual([
      403,
      'CORS_ORIGIN',
    ]);
    const plain = await fetch(`${base}/api/v1/chain/head`, { headers: { origin: 'https://evil.example' } });
    expect(plain.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows any origin when told `*`', async () => {
    const { base, rest, server } = await start(['*']);
    server.ready([rest], () => ({ ok: true }));
    const preflight = await fetch(`${base}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect([preflight.status, preflight.headers.get('access-control-allow-origin')]).toEqual([204, '*']);
  });

  it('answers 405 with Allow for a wrong method on a known path, and JSON 404 for an unknown one', async () => {
    const { base, rest, server } = await start();
    server.ready([rest], () => ({ ok: true }));
    for (const [method, path, allow] of [
      ['GET', '/api/v1/submit-raw-tx', 'POST'],
      ['POST', '/api/v1/chain/head', 'GET, HEAD'],
      ['DELETE', `/api/v1/tx/0x${'ab'.repeat(32)}/status`, 'GET, HEAD'],
      ['PUT', '/healthz', 'GET, HEAD'],
    ] as const) {
      const res = await fetch(`${base}${path}`, { method });
      expect([res.status, res.headers.get('allow'), ((await res.json()) as ErrorBody).error.code]).toEqual([
        405,
        allow,
        'METHOD_NOT_ALLOWED',
      ]);
    }
    const missing = await fetch(`${base}/nothing/here`);
    expect([missing.status, ((await missing.json()) as ErrorBody).error.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('logs a failing handler with the request id and answers a JSON 500 naming it', async () => {
    const { base, lines, server } = await start();
    server.ready(
      [
        () => {
          throw new Error('route exploded');
        },
      ],
      () => ({ ok: true }),
    );
    const res = await fetch(`${base}/anything`);
    const requestId = res.headers.get('x-request-id')!;
    const body = (await res.json()) as ErrorBody;
    expect([res.status, body.error.code]).toEqual([500, 'INTERNAL']);
    expect(body.error.message).toContain(requestId);
    expect(lines.find((l) => l.requestId === requestId)).toMatchObject({
      level: 50,
      err: { message: 'route exploded' },
    });
  });
});
