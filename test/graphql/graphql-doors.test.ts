import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getIntrospectionQuery } from 'graphql';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createEventBus } from '../../src/graphql/event-bus.ts';
import { GRAPHQL_PATH, graphqlMount } from '../../src/graphql/graphql-mount.ts';
import { MAX_QUERY_NESTING } from '../../src/graphql/parse-guard.ts';
import type { Aggregator } from '../../src/services/aggregator/aggregator.ts';
import { aggregatorMetrics } from '../../src/services/aggregator/aggregator-metrics.ts';
import type { HttpMount } from '../../src/services/aggregator/aggregator-node.ts';
import { closeServer } from '../../src/services/http/health-metrics.ts';
import { keepConnectionsAlive } from '../../src/services/http/keep-alive.ts';
import { Metrics } from '../../src/services/http/metrics.ts';
import { capturedLogger } from '../support/captured-logger.ts';
import { gql } from '../support/graphql-client.ts';
import { suite } from '../support/validator-harness.ts';

const CAPS = { maxSubscriptions: 3, maxSubscriptionsPerConnection: 2 };

/**
 * The Aggregator as far as these tests reach it: an empty committee, no head, no events; `chainHead` throws a
 * plain Error, standing for a bug behind a resolver.
 */
const fakeAggregator = {
  committee: { chainId: 1337n, epoch: 1n, members: [] },
  subscribe: () => () => undefined,
  head: () => {
    throw new Error('head store exploded');
  },
} as unknown as Aggregator;

let server: Server;
let mount: HttpMount;
let url: string;
let registry: Metrics;
const { logger, lines } = capturedLogger();

beforeAll(async () => {
  registry = new Metrics({ processMetrics: false });
  mount = graphqlMount({
    aggregator: fakeAggregator,
    bus: createEventBus(),
    suite,
    metrics: aggregatorMetrics(registry, () => new Map()),
    registry,
    logger,
    subscriptions: CAPS,
  });
  server = createServer((req, res) => {
    void (async () => {
      if (!(await mount.handle!(req, res))) res.writeHead(404).end();
    })();
  });
  keepConnectionsAlive(server);
  mount.attach!(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${GRAPHQL_PATH}`;
});

afterAll(async () => {
  await mount.close!();
  await closeServer(server);
});

const liveSubscriptions = () => (mount.health!() as { liveSubscriptions: number }).liveSubscriptions;

describe('GraphQL doors', () => {
  it("answers GraphiQL's own introspection query (the page needs it)", async () => {
    const res = await gql<{ __schema: { types: unknown[] } }>(
      url,
      getIntrospectionQuery({ descriptions: true, schemaDescription: true, inputValueDeprecation: true }),
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.__schema.types.length).toBeGreaterThan(10);
  });

  it('refuses repeated introspection by its cost before executing it', async () => {
    const twice = getIntrospectionQuery().replace(
      '__schema {',
      'again: __schema { types { ...FullType } } __schema {',
    );
    const res = await gql(url, twice);
    expect(res.data).toBeUndefined();
    expect(res.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COSTLY');
    expect(res.errors?.[0]?.message).toMatch(/query cost \d+ exceeds the limit 20000/);
  });

  it('refuses a 314 KB introspection query with a cost error, without building its answer', async () => {
    const selection = '__schema { types { name fields { name args { name } type { name } } } }';
    const parts: string[] = [];
    for (let i = 0, length = 0; length < 314 * 1024; i++) {
      parts.push(`a${i}: ${selection}`);
      length += parts[i]!.length + 1;
    }
    const res = await gql(url, `{ ${parts.join(' ')} }`);
    expect(res.data).toBeUndefined();
    expect(res.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COSTLY');
  });

  it('answers a deeply nested introspection query with a GraphQL error (no crash), logged with its request id; a deep one under the parser bound too', async () => {
    const nested = (depth: number) =>
      `{ __type(name: "Query") { ${'ofType { '.repeat(depth)}name${' }'.repeat(depth)} } }`;
    const crashing = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: nested(20_000) }),
    }).then(async (r) => ({
      requestId: r.headers.get('x-request-id'),
      ...((await r.json()) as { errors?: { message: string; extensions?: { code?: string } }[] }),
    }));
    expect(lines.find((l) => l.requestId === crashing.requestId)).toMatchObject({
      level: 40,
      code: 'QUERY_TOO_DEEP',
    });
    expect(crashing.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_DEEP');
    expect(crashing.errors?.[0]?.message).toContain(`exceeds ${MAX_QUERY_NESTING}`);
    const deep = await gql(url, nested(30));
    expect(deep.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_DEEP');
    expect(deep.errors?.[0]?.message).toMatch(/query depth \d+ exceeds the limit 15/);
  });

  it('logs an unexpected resolver error with its request id and answers INTERNAL with that id', async () => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ chainHead { height } }' }),
    });
    const requestId = res.headers.get('x-request-id');
    const body = (await res.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.errors[0]).toMatchObject({
      message: 'internal error',
      extensions: { code: 'INTERNAL', requestId },
    });
    expect(JSON.stringify(body)).not.toContain('exploded');
    const logged = lines.find((l) => l.requestId === requestId);
    expect(logged).toMatchObject({
      level: 50,
      msg: 'graphql request failed',
      err: { message: 'head store exploded' },
    });
  });

  it('answers a wrong method on /graphql with 405 and Allow, in JSON', async () => {
    const res = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect([res.status, res.headers.get('allow')]).toEqual([405, 'GET, POST']);
    expect(((await res.json()) as { errors: unknown[] }).errors).toHaveLength(1);
  });

  it('serves GraphiQL from this process: the page references no external host', async () => {
    const res = await fetch(url, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    const html = (await res.text()).replace(/(<script\b[^>]*>)[\s\S]*?<\/script>/gi, '$1');
    expect(html).toContain('Allegro GraphiQL');
    const references = [
      ...html.matchAll(/<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*["']([^"']*)["']/gi),
    ];
    for (const [, target] of references) {
      expect(target!).toMatch(/^(data:|\/(?!\/)|\.|#|https?:\/\/127\.0\.0\.1[:/])/);
    }
    expect(references.length).toBeGreaterThan(0);
    expect(await (await fetch(url, { headers: { accept: 'text/html' } })).text()).not.toMatch(
      /unpkg\.com|cdn\.jsdelivr|__TITLE__/,
    );
  });

  it('caps live subscriptions per connection and in total with a clear error, and counts them down when they end', async () => {
    const query = 'subscription { qcFormed { txHash } }';
    const ws = () =>
      createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 });
    const subscribe = (client: ReturnType<typeof ws>) => {
      const outcome: { errors?: { extensions?: { code?: string }; message: string }[] } = {};
      const stop = client.subscribe(
        { query },
        {
          next: (result) => Object.assign(outcome, result),
          error: (error) => Object.assign(outcome, { errors: error }),
          complete: () => undefined,
        },
      );
      return { outcome, stop };
    };
    const first = ws();
    const second = ws();
    try {
      subscribe(first);
      subscribe(first);
      await expect.poll(liveSubscriptions).toBe(2);
      const perConnection = subscribe(first);
      await expect
        .poll(() => perConnection.outcome.errors?.[0]?.extensions?.code)
        .toBe('TOO_MANY_SUBSCRIPTIONS');
      expect(perConnection.outcome.errors?.[0]?.message).toContain('this connection');
      const other = subscribe(second);
      await expect.poll(liveSubscriptions).toBe(3);
      expect(other.outcome.errors).toBeUndefined();
      const global = subscribe(second);
      await expect.poll(() => global.outcome.errors?.[0]?.extensions?.code).toBe('TOO_MANY_SUBSCRIPTIONS');
      expect(global.outcome.errors?.[0]?.message).toContain('the server');
      expect(await registry.render()).toContain('allegro_graphql_live_subscriptions 3');
      other.stop();
      await expect.poll(liveSubscriptions).toBe(2);
      await first.dispose();
      await expect.poll(liveSubscriptions).toBe(0);
    } finally {
      await first.dispose();
      await second.dispose();
    }
  });
});
