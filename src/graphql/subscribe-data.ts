import type { Client } from 'graphql-ws';

/**
 * Subscribes `client` (graphql-ws, in Node or a browser) to `query` until the returned function is called; every
 * result's data goes to `onData`. Errors end the subscription quietly: the client reconnects as configured.
 */
export function subscribeData<T>(client: Client, query: string, onData: (data: T) => void): () => void {
  return client.subscribe<T>(
    { query },
    {
      next: (result) => {
        if (result.data) onData(result.data);
      },
      error: () => undefined,
      complete: () => undefined,
    },
  );
}
