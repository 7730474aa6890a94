import type { Redis } from 'ioredis';

/** How a durable write is made safe on this server, or why it cannot be. */
export type RedisDurability =
  /** Redis ≥ 7.2: each durable write is followed by WAITAOF 1 0 (the local AOF fsynced it). */
  | { readonly kind: 'waitaof' }
  /** Redis < 7.2 with appendfsync always: the server fsyncs the AOF before it sends any reply. */
  | { readonly kind: 'fsync-before-reply' }
  /** Durable writes are refused with this reason. */
  | { readonly kind: 'unavailable'; readonly reason: string };

/** Milliseconds a WAITAOF may wait for the AOF fsync (appendfsync everysec syncs once a second). */
export const WAITAOF_TIMEOUT_MS = 2000;

const AOF_REQUIRED = 'the server has appendonly no; durable writes require AOF (appendonly yes)';

/**
 * Decides at open time how durable writes are confirmed. CONFIG GET appendonly/appendfsync is read when
 * CONFIG is allowed; WAITAOF is probed (with the connection's write offset still 0 it answers at once).
 * Never pretends: without a way to confirm an fsync, durable writes are refused.
 */
export async function probeDurability(client: Redis): Promise<RedisDurability> {
  const config = await readAofConfig(client);
  if (config?.appendonly === 'no') return { kind: 'unavailable', reason: AOF_REQUIRED };
  try {
    checkWaitAofReply(await client.call('WAITAOF', 1, 0, WAITAOF_TIMEOUT_MS));
    return { kind: 'waitaof' };
  } catch (err) {
    const message = (err as Error).message;
    if (/appendonly is disabled/i.test(message)) return { kind: 'unavailable', reason: AOF_REQUIRED };
    if (!/unknown command/i.test(message)) throw err;
  }
  if (config === undefined) {
    return {
      kind: 'unavailable',
      reason: 'the server has no WAITAOF (Redis < 7.2) and CONFIG is disabled, so fsync cannot be confirmed',
    };
  }
  if (config.appendfsync === 'always') return { kind: 'fsync-before-reply' };
  return {
    kind: 'unavailable',
    reason: `the server has no WAITAOF (Redis < 7.2): durable writes require appendfsync always (it is ${config.appendfsync})`,
  };
}

/** WAITAOF's answer: throws unless the local AOF has fsynced this connection's writes. */
export function checkWaitAofReply(reply: unknown): void {
  const local = Array.isArray(reply) ? reply[0] : undefined;
  if (typeof local !== 'number' || local < 1) {
    throw new Error(`WAITAOF did not confirm an fsync within ${WAITAOF_TIMEOUT_MS} ms`);
  }
}

async function readAofConfig(
  client: Redis,
): Promise<{ appendonly: string; appendfsync: string } | undefined> {
  let reply: unknown;
  try {
    reply = await client.call('CONFIG', 'GET', 'appendonly', 'appendfsync');
  } catch (err) {
    if ((err as Error).name === 'ReplyError') return undefined;
    throw err;
  }
  const pairs = new Map<string, string>();
  const flat = reply as string[];
  for (let i = 0; i + 1 < flat.length; i += 2) pairs.set(flat[i]!, flat[i + 1]!);
  const appendonly = pairs.get('appendonly');
  const appendfsync = pairs.get('appendfsync');
  return appendonly && appendfsync ? { appendonly, appendfsync } : undefined;
}
