import { type Client, createClient } from 'graphql-ws';

/** The aggregator's GraphQL endpoint on this page's origin (the aggregator serves the page). */
const ENDPOINT = '/graphql';

export interface GraphqlError {
  readonly message: string;
  readonly extensions?: { readonly code?: string };
}

/** One query or mutation over HTTP; throws the first GraphQL error. */
export async function request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(ENDPOINT, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: GraphqlError[] };
  const error = body.errors?.[0];
  if (error)
    throw new Error(error.extensions?.code ? `${error.extensions.code}: ${error.message}` : error.message);
  return body.data as T;
}

/** A graphql-ws connection to the same endpoint, reconnecting for ever; `onStatus` hears connects and drops. */
export function liveConnection(onStatus: (connected: boolean) => void): Client {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return createClient({
    url: `${scheme}//${window.location.host}${ENDPOINT}`,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    on: { connected: () => onStatus(true), closed: () => onStatus(false) },
  });
}
