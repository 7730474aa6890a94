import type { IncomingMessage } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import { apiError } from './api-error.ts';

export interface SubscriptionCapLimits {
  /** Live subscriptions of the whole server. */
  readonly maxSubscriptions: number;
  /** Live subscriptions of one connection (a WebSocket, or the HTTP connection of an SSE stream). */
  readonly maxSubscriptionsPerConnection: number;
}

export const DEFAULT_SUBSCRIPTION_CAPS: SubscriptionCapLimits = {
  maxSubscriptions: 10_000,
  maxSubscriptionsPerConnection: 100,
};

/** What the caps count, read in O(1) by /healthz and /metrics. */
export interface SubscriptionCaps {
  readonly plugin: Plugin;
  /** Subscriptions live now. */
  live(): number;
}

/**
 * Caps live subscriptions, globally and per connection, over every transport (graphql-ws and SSE): past a cap the
 * subscription is answered with a TOO_MANY_SUBSCRIPTIONS GraphQL error instead of starting. A subscription counts
 * from its start until its stream ends or is returned (the client completes it or its connection closes).
 */
export function subscriptionCaps(limits: SubscriptionCapLimits): SubscriptionCaps {
  let live = 0;
  const perConnection = new WeakMap<object, number>();
  return {
    live: () => live,
    plugin: {
      onSubscribe({ args, setResultAndStopExecution }) {
        const connection = (args.contextValue as { req?: IncomingMessage }).req?.socket;
        const mine = connection ? (perConnection.get(connection) ?? 0) : 0;
        const refusal =
          live >= limits.maxSubscriptions
            ? `the server has ${limits.maxSubscriptions} live subscriptions, its limit`
            : mine >= limits.maxSubscriptionsPerConnection
              ? `this connection has ${limits.maxSubscriptionsPerConnection} live subscriptions, its limit`
              : undefined;
        if (refusal) {
          setResultAndStopExecution({ errors: [apiError('TOO_MANY_SUBSCRIPTIONS', refusal)] });
          return;
        }
        live++;
        if (connection) perConnection.set(connection, mine + 1);
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          live--;
          if (connection) perConnection.set(connection, (perConnection.get(connection) ?? 1) - 1);
        };
        return {
          onSubscribeResult({ result, setResult }) {
            if (Symbol.asyncIterator in result) setResult(releasing(result, release));
            else release();
          },
          onSubscribeError: release,
        };
      },
    },
  };
}

/** `source`, calling `release` once when it ends, throws, or is returned early (even before its first value). */
function releasing<T>(source: AsyncIterable<T>, release: () => void): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const settle = <R>(promise: Promise<IteratorResult<T, R>>) =>
    promise.then(
      (step) => {
        if (step.done) release();
        return step;
      },
      (error: unknown) => {
        release();
        throw error;
      },
    );
  return {
    next: () => settle(iterator.next()),
    return: (value?: unknown) => {
      release();
      return iterator.return
        ? iterator.return(value)
        : Promise.resolve({ done: true as const, value: value as never });
    },
    throw: (error?: unknown) => {
      release();
      return iterator.throw ? iterator.throw(error) : Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
