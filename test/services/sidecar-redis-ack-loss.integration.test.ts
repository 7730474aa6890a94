import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import { toHex } from '../../src/protocol/bytes.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import type { FastPayTx } from '../../src/protocol/types.ts';
import { freePort } from '../../src/services/free-port.ts';
import { type SidecarProcess, startSidecarProcess } from '../../src/services/sidecar/sidecar-process.ts';
import { submitRequestToProto } from '../../src/wire/convert-request.ts';
import { createClient } from '../../src/wire/grpc-client.ts';
import { ALICE_KEY, BOB, CAROL, DAVE } from '../support/demo-keys.ts';
import { buildPayment } from '../support/payment-builder.ts';
import { pidAlive } from '../support/pid-alive.ts';
import { type RedisServer, startRedisServer } from '../support/redis-server.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

/**
 * Audit M3: a durable write whose acknowledgement is lost (the write reached Redis, the answer did not) must leave
 * no way to certify a second tx for the contention key: not at once, and not after a restart.
 */
let redis: RedisServer;
let proxy: TcpProxy;
let sidecar: SidecarProcess | undefined;
let port: number;

const flags = (redisPort: number) => [
  ...['--name', 'Dave', '--listen', `127.0.0.1:${port}`, '--demo-balances'],
  ...['--seed', toHex(DAVE.seed).slice(2), '--validator-id', toHex(DAVE.id).slice(2)],
  ...['--store', `redis://127.0.0.1:${redisPort}?prefix=dave:`, '--allow-small-committee'],
];

async function submit(tx: FastPayTx): Promise<{ code?: RejectCode; cert: boolean }> {
  const client = createClient(FastPaySidecar, `127.0.0.1:${port}`);
  try {
    const { result } = await client.submitFastPay(submitRequestToProto({ tx, parentQcs: [] }), {
      timeoutMs: 20_000,
    });
    return result.case === 'cert' ? { cert: true } : { cert: false, code: result.value?.code as RejectCode };
  } finally {
    client.close();
  }
}

beforeAll(async () => {
  redis = await startRedisServer({ appendonly: true, appendfsync: 'always' });
  proxy = await startTcpProxy(redis.port);
  port = await freePort();
  sidecar = await startSidecarProcess(flags(proxy.port));
}, 60_000);

afterAll(async () => {
  const pid = sidecar?.pid;
  await sidecar?.stop();
  await proxy?.close();
  await redis?.stop();
  if (pid) expect(pidAlive(pid)).toBe(false);
});

describe('sidecar on Redis when durable-write acknowledgements are lost (audit M3)', () => {
  it('answers TEMPORARY_UNAVAILABLE, keeps the key for that tx, and after a restart still refuses a second tx', async () => {
    const first = await buildPayment({ key: ALICE_KEY, to: BOB, amount: 1n, nonceKey: 91n });
    const second = await buildPayment({ key: ALICE_KEY, to: CAROL, amount: 2n, nonceKey: 91n });
    proxy.mode = 'lose-replies';
    const lost = await submit(first);
    expect(lost).toEqual({ cert: false, code: RejectCode.TEMPORARY_UNAVAILABLE });
    const conflicting = await submit(second);
    expect(conflicting.cert).toBe(false);
    proxy.mode = 'pass';
    expect(await submit(second)).toEqual({ cert: false, code: RejectCode.EQUIVOCATION });

    await sidecar!.kill();
    sidecar = await startSidecarProcess(flags(redis.port));
    // Whether the lost write (or its lost undo) reached Redis is unknown to the sidecar; either way at most one of
    // the two txs may ever hold the key's certificate.
    const after = [await submit(second), await submit(first)];
    expect(after.filter((a) => a.cert)).toHaveLength(1);
    expect(after.find((a) => !a.cert)?.code).toBe(RejectCode.EQUIVOCATION);
  }, 90_000);
});
