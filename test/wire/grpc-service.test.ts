import { create, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastPayAggregator } from '../../gen/tempo/fastpay/v1/aggregator_pb.js';
import { FastPaySidecar, SubmitFastPayRequestSchema } from '../../gen/tempo/fastpay/v1/sidecar_pb.js';
import { TxLifecycleUpdate_Stage } from '../../gen/tempo/fastpay/v1/types_pb.js';
import { createClient } from '../../src/wire/grpc-client.ts';
import { serviceDefinition } from '../../src/wire/service-definition.ts';
import { WireError } from '../../src/wire/wire-error.ts';
import { BOOM, HANG, LATE_BOOM, REFUSE, startTestSidecar, VALIDATOR } from './test-sidecar.ts';

const request = (clientRequestId: string) => ({ tx: { clientRequestId, chainId: { value: 1337n } } });

async function rejection(promise: Promise<unknown>): Promise<WireError> {
  const error = await promise.then(
    () => expect.fail('the call succeeded'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WireError);
  return error as WireError;
}

async function eventually(check: () => void): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      return check();
    } catch (error) {
      if (i > 100) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

describe('service definitions', () => {
  it('puts every sidecar method at /tempo.fastpay.v1.FastPaySidecar/<Method>', () => {
    const paths = Object.values(serviceDefinition(FastPaySidecar)).map((m) => [m.path, m.responseStream]);
    expect(paths).toEqual([
      ['/tempo.fastpay.v1.FastPaySidecar/SubmitFastPay', false],
      ['/tempo.fastpay.v1.FastPaySidecar/SubmitFastPayStream', true],
      ['/tempo.fastpay.v1.FastPaySidecar/GetBulletinBoard', false],
      ['/tempo.fastpay.v1.FastPaySidecar/GetValidatorInfo', false],
      ['/tempo.fastpay.v1.FastPaySidecar/GetChainHead', false],
      ['/tempo.fastpay.v1.FastPaySidecar/SubmitFastPayBatch', false],
    ]);
  });

  it('puts every aggregator method at /tempo.fastpay.v1.FastPayAggregator/<Method>', () => {
    const paths = Object.values(serviceDefinition(FastPayAggregator)).map((m) => m.path);
    expect(paths).toEqual(
      ['SubmitFastPay', 'GetBulletinBoard', 'GetQuorumCertificate', 'GetChainHead', 'GetTxStatus'].map(
        (name) => `/tempo.fastpay.v1.FastPayAggregator/${name}`,
      ),
    );
  });
});

describe('grpc-js adapter over 127.0.0.1', () => {
  let sidecar: Awaited<ReturnType<typeof startTestSidecar>>;
  let client: ReturnType<typeof createClient<typeof FastPaySidecar>>;

  beforeAll(async () => {
    sidecar = await startTestSidecar();
    client = createClient(FastPaySidecar, sidecar.address);
  });

  afterAll(() => {
    client.close();
    sidecar.server.forceShutdown();
  });

  it('answers a unary call with the handler response, u64 values intact', async () => {
    const response = await client.submitFastPay(request('ok'));
    expect(response.result.case).toBe('cert');
    expect(response.result.value).toMatchObject({ signer: VALIDATOR, createdUnixMillis: 1337n });
    const head = await client.getChainHead({});
    expect(head.blockHeight).toBe(2n ** 64n - 1n);
  });

  it('streams every event of a server-streaming handler in order', async () => {
    const events = [];
    for await (const event of client.submitFastPayStream(request('ok'))) events.push(event.event);
    expect(events.map((e) => e.case)).toEqual(['cert', 'lifecycle', 'lifecycle']);
    expect(events.slice(1).map((e) => e.case === 'lifecycle' && e.value.stage)).toEqual([
      TxLifecycleUpdate_Stage.CERTIFIED,
      TxLifecycleUpdate_Stage.QC_FORMED,
    ]);
  });

  it('maps a WireError thrown by a handler to its gRPC status', async () => {
    const error = await rejection(client.submitFastPay(request(REFUSE)));
    expect(error.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(error.message).toBe('refused on purpose');
    expect((await rejection(client.getBulletinBoard({}))).code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it('answers INTERNAL for an unexpected handler error, reports it, and keeps serving', async () => {
    const error = await rejection(client.submitFastPay(request(BOOM)));
    expect(error.code).toBe(grpc.status.INTERNAL);
    expect(sidecar.observed.unexpected).toContainEqual(new Error('handler bug'));
    expect((await client.submitFastPay(request('ok'))).result.case).toBe('cert');
  });

  it('ends a stream with INTERNAL after the events already sent when the handler throws late', async () => {
    const cases: string[] = [];
    const error = await rejection(
      (async () => {
        for await (const event of client.submitFastPayStream(request(LATE_BOOM)))
          cases.push(event.event.case ?? '');
      })(),
    );
    expect(cases).toEqual(['cert', 'lifecycle', 'lifecycle']);
    expect(error.code).toBe(grpc.status.INTERNAL);
    expect((await client.getValidatorInfo({})).validator?.name).toBe(VALIDATOR.name);
  });

  it('answers INVALID_ARGUMENT to undecodable request bytes and keeps serving', async () => {
    const unexpectedBefore = sidecar.observed.unexpected.length;
    const raw = new grpc.Client(sidecar.address, grpc.credentials.createInsecure());
    try {
      for (const garbage of [[0x0a, 0xff, 0x01], [0x0f], [0xff, 0xff, 0xff]]) {
        const status = await new Promise<grpc.ServiceError | null>((resolve) =>
          raw.makeUnaryRequest(
            '/tempo.fastpay.v1.FastPaySidecar/SubmitFastPay',
            (bytes: Buffer) => bytes,
            (bytes: Buffer) => bytes,
            Buffer.from(garbage),
            (error) => resolve(error),
          ),
        );
        expect(status?.code).toBe(grpc.status.INVALID_ARGUMENT);
      }
      const valid = Buffer.from(toBinary(SubmitFastPayRequestSchema, create(SubmitFastPayRequestSchema, {})));
      const reply = await new Promise<Buffer | undefined>((resolve, reject) =>
        raw.makeUnaryRequest(
          '/tempo.fastpay.v1.FastPaySidecar/SubmitFastPay',
          (bytes: Buffer) => bytes,
          (bytes: Buffer) => bytes,
          valid,
          (error, value) => (error ? reject(error) : resolve(value)),
        ),
      );
      expect(reply?.length).toBeGreaterThan(0);
    } finally {
      raw.close();
    }
    expect(sidecar.observed.unexpected).toHaveLength(unexpectedBefore);
    expect((await client.submitFastPay(request('ok'))).result.case).toBe('cert');
  });

  it('fails with DEADLINE_EXCEEDED after timeoutMs and aborts the handler signal', async () => {
    const error = await rejection(client.submitFastPay(request(HANG), { timeoutMs: 100 }));
    expect(error.code).toBe(grpc.status.DEADLINE_EXCEEDED);
    await eventually(() => expect(sidecar.observed.aborted).toContain('submitFastPay'));
  });

  it('cancels a unary call when its signal aborts', async () => {
    const controller = new AbortController();
    const pending = client.submitFastPay(request(HANG), { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect((await rejection(pending)).code).toBe(grpc.status.CANCELLED);
  });

  it('cancels a server stream when the consumer leaves the loop, aborting the handler signal', async () => {
    for await (const event of client.submitFastPayStream(request(HANG))) {
      expect(event.event.case).toBe('cert');
      break;
    }
    await eventually(() => expect(sidecar.observed.aborted).toContain('submitFastPayStream'));
  });

  it('reuses one connection for every call of a client', async () => {
    const peers = new Set<string>();
    for (let i = 0; i < 3; i++)
      for (const peer of (await client.getValidatorInfo({})).gossipPeers) peers.add(peer);
    expect(peers.size).toBe(1);
  });

  it('fails with UNAVAILABLE when nothing listens at the address', async () => {
    const other = await startTestSidecar();
    other.server.forceShutdown();
    const stranded = createClient(FastPaySidecar, other.address);
    try {
      expect((await rejection(stranded.getChainHead({}, { timeoutMs: 2000 }))).code).toBe(
        grpc.status.UNAVAILABLE,
      );
    } finally {
      stranded.close();
    }
  });
});
