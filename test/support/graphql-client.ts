import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface GraphqlResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly data?: T;
  readonly errors?: { message: string; extensions?: { code?: string; [k: string]: unknown } }[];
}

/** POSTs one GraphQL operation to `url` and returns the HTTP status and the parsed body. */
export async function gql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
): Promise<GraphqlResponse<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, ...((await res.json()) as object) };
}

/** A live graphql-ws subscription that records every event with its arrival time. */
export interface LiveSubscription<T> {
  readonly events: { readonly at: number; readonly data: T }[];
  /** Resolves with the first recorded event (from `from` on) matching `predicate`, waiting up to `timeoutMs`. */
  next(predicate?: (data: T) => boolean, timeoutMs?: number, from?: number): Promise<T>;
  close(): Promise<void>;
}

/** Opens a graphql-ws connection (Node's WebSocket from `ws`) for subscriptions. */
export function wsClient(httpGraphqlUrl: string) {
  const client = createClient({
    url: httpGraphqlUrl.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
  });
  return {
    subscribe<T>(query: string, variables: Record<string, unknown> = {}): LiveSubscription<T> {
      const events: { at: number; data: T }[] = [];
      const waiters = new Set<() => void>();
      let failure: unknown;
      const iterator = client.iterate<T>({ query, variables });
      const pump = (async () => {
        try {
          for await (const result of iterator) {
            if (result.errors) throw new Error(JSON.stringify(result.errors));
            events.push({ at: performance.now(), data: result.data as T });
            for (const wake of waiters) wake();
          }
        } catch (error) {
          failure = error;
          for (const wake of waiters) wake();
        }
      })();
      return {
        events,
        async next(predicate = () => true, timeoutMs = 30_000, from = 0) {
          const deadline = performance.now() + timeoutMs;
          for (;;) {
            const found = events.slice(from).find((e) => predicate(e.data));
            if (found) return found.data;
            if (failure) throw failure;
            const left = deadline - performance.now();
            if (left <= 0) throw new Error(`no matching subscription event within ${timeoutMs} ms`);
            await new Promise<void>((resolve) => {
              const wake = () => {
                waiters.delete(wake);
                clearTimeout(timer);
                resolve();
              };
              const timer = setTimeout(wake, left);
              waiters.add(wake);
            });
          }
        },
        async close() {
          await iterator.return?.();
          await pump;
        },
      };
    },
    dispose: () => client.dispose(),
  };
}
