import { setMaxListeners } from 'node:events';
import { type ExecutionResult, parse } from 'graphql';
import { createPubSub, createSchema, createYoga } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { sharedExecutionPlugin } from '../../src/graphql/shared-execution.ts';

type Event = { id: string };

/** A yoga server whose `Event.label` resolver counts how often it runs, with the plugin or without. */
function server(shared: boolean) {
  let listeners = 0;
  const target = new (class extends EventTarget {
    override addEventListener(...args: Parameters<EventTarget['addEventListener']>) {
      listeners++;
      super.addEventListener(...args);
    }
    override removeEventListener(...args: Parameters<EventTarget['removeEventListener']>) {
      listeners--;
      super.removeEventListener(...args);
    }
  })();
  setMaxListeners(1000, target);
  const pubsub = createPubSub<{ event: [Event] }>({ eventTarget: target });
  const calls = { label: 0 };
  const schema = createSchema({
    typeDefs: `type Query { ok: Boolean }
      type Event { id: String! label(prefix: String!): String! }
      type Subscription { event: Event! }`,
    resolvers: {
      Event: {
        label: (e: Event, args: { prefix: string }) => {
          calls.label++;
          return `${args.prefix}${e.id}`;
        },
      },
      Subscription: {
        event: {
          subscribe: () => pubsub.subscribe('event'),
          resolve: (e: Event) => e,
        },
      },
    },
  });
  const yoga = createYoga({ schema, plugins: shared ? [sharedExecutionPlugin()] : [] });
  const subscribe = async (prefix: string) => {
    const enveloped = yoga.getEnveloped({});
    const stream = await enveloped.subscribe({
      schema: enveloped.schema,
      document: parse('subscription S($p: String!) { event { id label(prefix: $p) } }'),
      variableValues: { p: prefix },
      contextValue: await enveloped.contextFactory(),
    });
    return (stream as AsyncIterable<ExecutionResult>)[Symbol.asyncIterator]();
  };
  return { pubsub, calls, subscribe, listeners: () => listeners };
}

/** Lets every subscription register its listener: the pubsub drops events nobody listens to yet. */
async function untilListening(s: ReturnType<typeof server>, count: number, pending: Promise<unknown>[]) {
  for (let i = 0; s.listeners() < count && i < 1000; i++) await new Promise((r) => setImmediate(r));
  expect(s.listeners()).toBe(count);
  return pending;
}

describe('one execution per subscription event and distinct operation', () => {
  it('runs the resolvers once for 100 identical subscriptions and gives each the same answer', async () => {
    const s = server(true);
    const streams = await Promise.all(Array.from({ length: 100 }, () => s.subscribe('#')));
    const answers = await untilListening(
      s,
      100,
      streams.map((it) => it.next()),
    );
    s.pubsub.publish('event', { id: 'a' });
    const results = (await Promise.all(answers)) as IteratorResult<ExecutionResult>[];
    expect(results.map((r) => r.value.data)).toEqual(
      Array.from({ length: 100 }, () => ({ event: { id: 'a', label: '#a' } })),
    );
    expect(s.calls.label).toBe(1);
    await Promise.all(streams.map((it) => it.return?.()));
  });

  it('executes separately for different variables and for every new event', async () => {
    const s = server(true);
    const streams = await Promise.all([s.subscribe('x:'), s.subscribe('y:'), s.subscribe('x:')]);
    for (const id of ['1', '2']) {
      const answers = await untilListening(
        s,
        3,
        streams.map((it) => it.next()),
      );
      s.pubsub.publish('event', { id });
      const results = (await Promise.all(answers)) as IteratorResult<ExecutionResult>[];
      expect(results.map((r) => (r.value.data as { event: { label: string } }).event.label)).toEqual([
        `x:${id}`,
        `y:${id}`,
        `x:${id}`,
      ]);
    }
    expect(s.calls.label).toBe(4);
    await Promise.all(streams.map((it) => it.return?.()));
  });

  it('without the plugin every subscriber pays its own execution (what the plugin saves)', async () => {
    const s = server(false);
    const streams = await Promise.all(Array.from({ length: 10 }, () => s.subscribe('#')));
    const answers = await untilListening(
      s,
      10,
      streams.map((it) => it.next()),
    );
    s.pubsub.publish('event', { id: 'a' });
    await Promise.all(answers);
    expect(s.calls.label).toBe(10);
    await Promise.all(streams.map((it) => it.return?.()));
  });

  it('a subscriber that leaves while waiting for an event releases its source at once', async () => {
    const s = server(true);
    const stream = await s.subscribe('#');
    const waiting = stream.next();
    await untilListening(s, 1, []);
    await stream.return?.();
    expect(s.listeners()).toBe(0);
    await expect(waiting).resolves.toMatchObject({ done: true });
  });
});
