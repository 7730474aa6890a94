import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { FastPaySidecar, type SubmitFastPayRequest } from '../../gen/tempo/fastpay/v1/sidecar_pb.js';
import { repeatByte } from '../../src/protocol/bytes.ts';
import { TempoTxFormat } from '../../src/protocol/types.ts';
import { createClient } from '../../src/wire/grpc-client.ts';
import { addService, listen } from '../../src/wire/grpc-server.ts';
import { clientTransport } from '../../src/wire/grpc-transport.ts';
import type { SidecarTransport } from '../../src/wire/sidecar-transport.ts';
import { WireError } from '../../src/wire/wire-error.ts';

/** A sidecar that rejects every payment with its request id as the message, counting calls by method. */
async function countingSidecar(batch: boolean) {
  const calls = { unary: 0, batch: [] as number[] };
  const answer = (request: SubmitFastPayRequest) => ({
    result: {
      case: 'reject' as const,
      value: { code: 1, message: request.tx?.clientRequestId ?? '' },
    },
  });
  const unused = async (): Promise<never> => {
    throw new WireError(grpc.status.UNIMPLEMENTED, 'unused');
  };
  const server = new grpc.Server();
  addService(server, FastPaySidecar, {
    async submitFastPay(request) {
      calls.unary++;
      return answer(request);
    },
    async submitFastPayBatch(request) {
      if (!batch) throw new WireError(grpc.status.UNIMPLEMENTED, 'no batch here');
      calls.batch.push(request.requests.length);
      return { responses: request.requests.map(answer) };
    },
    submitFastPayStream: () => ({ [Symbol.asyncIterator]: () => ({ next: unused }) }),
    getBulletinBoard: unused,
    getValidatorInfo: unused,
    getChainHead: unused,
  });
  const port = await listen(server, '127.0.0.1:0');
  const transport = clientTransport(createClient(FastPaySidecar, `127.0.0.1:${port}`));
  stops.push(() => {
    transport.close();
    server.forceShutdown();
  });
  return { calls, transport };
}

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function payment(id: string) {
  return {
    tx: {
      chainId: 1337n,
      tempoTx: repeatByte(0x76, 8),
      format: TempoTxFormat.TEMPO_NATIVE_V1,
      parentQcHash: new Uint8Array(),
      clientRequestId: id,
    },
    parentQcs: [],
  } as unknown as Parameters<SidecarTransport['submit']>[0];
}

const submitAll = (transport: SidecarTransport, ids: string[], signal?: AbortSignal) =>
  ids.map((id) => transport.submit(payment(id), { timeoutMs: 5000, ...(signal ? { signal } : {}) }));

const messageOf = (answer: Awaited<ReturnType<SidecarTransport['submit']>>) =>
  'reject' in answer ? answer.reject.message : 'cert';

describe('coalesced submits', () => {
  it('sends payments submitted in one turn as one batch call and gives each its own answer', async () => {
    const { calls, transport } = await countingSidecar(true);
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const answers = await Promise.all(submitAll(transport, ids));
    expect(answers.map(messageOf)).toEqual(ids);
    expect(calls).toEqual({ unary: 0, batch: [5] });
  });

  it('sends a lone payment as SubmitFastPay', async () => {
    const { calls, transport } = await countingSidecar(true);
    expect(messageOf(await transport.submit(payment('solo'), { timeoutMs: 5000 }))).toBe('solo');
    expect(calls).toEqual({ unary: 1, batch: [] });
  });

  it('falls back to SubmitFastPay for a sidecar without the batch method, and stays there', async () => {
    const { calls, transport } = await countingSidecar(false);
    expect((await Promise.all(submitAll(transport, ['a', 'b', 'c']))).map(messageOf)).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect((await Promise.all(submitAll(transport, ['d', 'e']))).map(messageOf)).toEqual(['d', 'e']);
    expect(calls.unary).toBe(5);
  });

  it('splits more than 256 payments into batches of at most 256, in order', async () => {
    const { calls, transport } = await countingSidecar(true);
    const ids = Array.from({ length: 300 }, (_, i) => `p${i}`);
    expect((await Promise.all(submitAll(transport, ids))).map(messageOf)).toEqual(ids);
    expect(calls.batch).toEqual([256, 44]);
  });

  it('rejects an aborted payment with CANCELLED at once while the rest of its batch is answered', async () => {
    const { transport } = await countingSidecar(true);
    const abort = new AbortController();
    const cancelled = transport.submit(payment('x'), { timeoutMs: 5000, signal: abort.signal });
    const others = submitAll(transport, ['y', 'z']);
    abort.abort();
    await expect(cancelled).rejects.toMatchObject({ status: 'CANCELLED', transient: false });
    expect((await Promise.all(others)).map(messageOf)).toEqual(['y', 'z']);
  });
});
