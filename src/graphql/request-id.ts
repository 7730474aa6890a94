import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';

const scope = new AsyncLocalStorage<string>();

/** A fresh id naming one HTTP request or one WebSocket operation in logs and error answers. */
export function newRequestId(): string {
  return randomUUID();
}

/** Runs `fn` with `id` as the current request id (kept across its awaits). */
export function withRequestId<T>(id: string, fn: () => T): T {
  return scope.run(id, fn);
}

/** The id of the request being served, if any. */
export function currentRequestId(): string | undefined {
  return scope.getStore();
}
