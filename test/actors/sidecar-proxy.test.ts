import type { MessageInitShape } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { FastPaySidecar, type SubmitFastPayEventSchema } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import type { PaymentEvent } from '../../src/actors/payment-events.ts';
import { proxyTransport, sidecarProxyLogic } from '../../src/actors/sidecar-proxy.ts';
import { repeatByte, toHex } from '../../src/protocol/bytes.ts';
import { WireStage } from '../../src/protocol/stage.ts';
import { createClient } from '../../src/wire/grpc-client.ts';
import { addService, listen, type ServiceImpl } from '../../src/wire/grpc-server.ts';
import { TransportError } from '../../src/wire/transport-error.ts';
import { WireError } from '../../src/wire/wire-error.ts';
import { eventually } from '../support/eventually.ts';

type StreamEvent = MessageInitShape<typeof SubmitFastPayEventSchema>;

const TX_HASH = repeatByte(0x7a, 32);
const DAVE_ID = repeatByte(0xd1, 32);
const request = { tx: undefined, parentQcs: [] };
const cert: StreamEvent = {
  event: {
    case: 'cert',
    value: {
      signer: { name: 'Dave', id: repeatByte(0xd1, 32), pubkey: repeatByte(1, 32) },
      txHash: TX_HASH,
      effectsHash: repeatByte(2, 32),
      signature: repeatByte(3, 64),
      createdUnixMillis: 1n,
    },
  },
};
const stage = (s: WireStage, blockHeight: bigint): StreamEvent => ({
  event: {
    case: 'lifecycle',
    value: { txHash: TX_HASH, stage: s as number, unixMillis: 1n, blockHeight, blockHash: repeatByte(9, 32) },
  },
});

const unused = () => {
  throw new WireError(grpc.status.UNIMPLEMENTED, 'not in this test');
};

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** A sidecar on 127.0.0.1 whose SubmitFastPayStream is `stream`, and a proxy actor for it. */
async function proxyFor(stream: ServiceImpl<typeof FastPaySidecar>['submitFastPayStream']) {
  const server = new grpc.Server();
  addService(server, FastPaySidecar, {
    submitFastPay: unused,
    submitFastPayStream: stream,
    getBulletinBoard: unused,
    getValidatorInfo: unused,
    getChainHead: unused,
    submitFastPayBatch: unused,
  });
  const port = await listen(server, '127.0.0.1:0');
  const client = createClient(FastPaySidecar, `127.0.0.1:${port}`);
  const delivered: { txHash: string; event: PaymentEvent }[] = [];
  const submitted: unknown[] = [];
  const actor = createActor(
    sidecarProxyLogic({
      client,
      onSubmit: (r) => submitted.push(r),
      validatorId: toHex(DAVE_ID),
      deliver: (txHash, event) => delivered.push({ txHash, event }),
      now: () => 42,
      backoff: { initialMs: 10, maxMs: 40 },
    }),
    { input: { validator: 'Dave', url: `http://127.0.0.1:${port}` } },
  ).start();
  cleanups.push(
    () => server.forceShutdown(),
    () => client.close(),
    () => actor.stop(),
  );
  return { actor, transport: proxyTransport(actor), delivered, submitted };
}

describe('sidecar proxy actor', () => {
  it('answers with the certificate, then follows the stream and reopens it after a break until a final stage', async () => {
    let streams = 0;
    const { transport, delivered, submitted } = await proxyFor(async function* () {
      streams++;
      yield cert;
      if (streams === 1) {
        yield stage(WireStage.QUEUED_ONCHAIN, 7n);
        throw new WireError(grpc.status.UNAVAILABLE, 'sidecar restarting');
      }
      yield stage(WireStage.INCLUDED, 8n);
      yield stage(WireStage.FINALIZED, 8n);
    });
    const answer = await transport.submit(request, { timeoutMs: 2000 });
    expect('cert' in answer && answer.cert.signer?.name).toBe('Dave');
    expect(submitted).toEqual([request]);
    await eventually(() =>
      expect(delivered.map((d) => d.event.type)).toEqual(['QUEUED_ONCHAIN', 'INCLUDED', 'FINALIZED']),
    );
    expect(streams).toBe(2);
    expect(delivered[1]).toEqual({
      txHash: toHex(TX_HASH),
      event: {
        type: 'INCLUDED',
        at: 42,
        blockNumber: '8',
        blockHash: toHex(repeatByte(9, 32)),
        report: { validatorId: toHex(DAVE_ID), blockNumber: '8', blockHash: toHex(repeatByte(9, 32)) },
      },
    });
  });

  it('fails a submission the sidecar does not answer in time with a transient DEADLINE_EXCEEDED', async () => {
    const { transport } = await proxyFor(async function* (_req, call) {
      await new Promise((resolve) => call.signal.addEventListener('abort', resolve));
      yield cert;
    });
    const error = await transport.submit(request, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ transient: true, status: 'DEADLINE_EXCEEDED' });
  });

  it('passes a reject on and reports an unreachable sidecar as a transient UNAVAILABLE', async () => {
    const { transport, actor } = await proxyFor(async function* () {
      yield { event: { case: 'reject', value: { code: 8, message: 'insufficient funds' } } };
    });
    expect(await transport.submit(request, { timeoutMs: 2000 })).toEqual({
      reject: { code: 8, message: 'insufficient funds' },
    });
    const gone = createActor(
      sidecarProxyLogic({
        client: createClient(FastPaySidecar, '127.0.0.1:9'),
        onSubmit: () => undefined,
        validatorId: toHex(DAVE_ID),
        deliver: () => undefined,
        now: Date.now,
      }),
      { input: { validator: 'Gone', url: '127.0.0.1:9' } },
    ).start();
    cleanups.push(() => gone.stop());
    const error = await proxyTransport(gone)
      .submit(request, { timeoutMs: 2000 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ transient: true, status: 'UNAVAILABLE' });
    expect(actor.getSnapshot().status).toBe('active');
  });

  it('cancels what is in flight when stopped, and refuses submissions afterwards', async () => {
    const { transport, actor } = await proxyFor(async function* (_req, call) {
      await new Promise((resolve) => call.signal.addEventListener('abort', resolve));
      yield cert;
    });
    const pending = transport.submit(request, { timeoutMs: 5000 }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 50));
    actor.stop();
    expect(await pending).toMatchObject({ transient: false, status: 'CANCELLED' });
    const after = await transport.submit(request, { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(after).toBeInstanceOf(TransportError);
    expect(after).toMatchObject({ transient: false, message: 'the sidecar proxy is stopped' });
  });
});
