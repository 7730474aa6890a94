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

let redis: RedisServer;
let sidecar: SidecarProcess | undefined;
let port: number;

const flags = () => [
  ...['--name', 'Dave', '--listen', `127.0.0.1:${port}`, '--demo-balances'],
  ...['--seed', toHex(DAVE.seed).slice(2), '--validator-id', toHex(DAVE.id).slice(2)],
  ...['--store', `${redis.url}?prefix=dave:`, '--allow-small-committee'],
];

async function submit(tx: FastPayTx) {
  const client = createClient(FastPaySidecar, `127.0.0.1:${port}`);
  try {
    return (await client.submitFastPay(submitRequestToProto({ tx, parentQcs: [] }), { timeoutMs: 10_000 }))
      .result;
  } finally {
    client.close();
  }
}

beforeAll(async () => {
  redis = await startRedisServer({ appendonly: true, appendfsync: 'always' });
  port = await freePort();
  sidecar = await startSidecarProcess(flags());
}, 60_000);

afterAll(async () => {
  const pid = sidecar?.pid;
  await sidecar?.stop();
  await redis.stop();
  if (pid) expect(pidAlive(pid)).toBe(false);
});

describe('sidecar with a Redis store (AOF, fsync always)', () => {
  it('keeps its contention locks across a kill -9 of the sidecar', async () => {
    const first = await buildPayment({ key: ALICE_KEY, to: BOB, amount: 1n, nonceKey: 77n });
    expect((await submit(first)).case).toBe('cert');
    await sidecar!.kill();
    sidecar = await startSidecarProcess(flags());
    const conflicting = await buildPayment({ key: ALICE_KEY, to: CAROL, amount: 2n, nonceKey: 77n });
    const answer = await submit(conflicting);
    expect(answer.case).toBe('reject');
    expect(answer.value && 'code' in answer.value ? answer.value.code : -1).toBe(RejectCode.EQUIVOCATION);
  }, 60_000);
});
