import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.js';
import { RejectCode, TempoTxFormat, TxLifecycleUpdate_Stage } from '../../gen/tempo/fastpay/v1/types_pb.js';
import { createClient } from '../../src/wire/grpc-client.ts';
import { listen } from '../../src/wire/grpc-server.ts';
import { startTestSidecar, VALIDATOR } from './test-sidecar.ts';

// biome-ignore lint/suspicious/noExplicitAny: proto-loader messages are untyped plain objects.
type Loose = any;

/** A grpc-js client/server constructor built at run time from proto/*.proto, independent of gen/. */
function loadSidecarService(): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync('tempo/fastpay/v1/sidecar.proto', {
    includeDirs: [join(import.meta.dirname, '..', '..', 'proto')],
    longs: String,
    enums: Number,
    defaults: true,
    oneofs: true,
  });
  const v1 = (grpc.loadPackageDefinition(definition) as Loose).tempo.fastpay.v1;
  return v1.FastPaySidecar;
}

describe('interop with @grpc/proto-loader', () => {
  const Loaded = loadSidecarService();

  describe('a proto-loader client calling our server', () => {
    let sidecar: Awaited<ReturnType<typeof startTestSidecar>>;
    let client: Loose;

    beforeAll(async () => {
      sidecar = await startTestSidecar();
      client = new Loaded(sidecar.address, grpc.credentials.createInsecure());
    });

    afterAll(() => {
      client.close();
      sidecar.server.forceShutdown();
    });

    it('gets a certificate from SubmitFastPay', async () => {
      const response: Loose = await new Promise((resolve, reject) =>
        client.SubmitFastPay(
          { tx: { clientRequestId: 'x', chainId: { value: '1337' } } },
          (e: unknown, r: unknown) => (e ? reject(e) : resolve(r)),
        ),
      );
      expect(response.result).toBe('cert');
      expect(response.cert.createdUnixMillis).toBe('1337');
      expect(response.cert.signer.name).toBe(VALIDATOR.name);
      expect(Buffer.from(response.cert.signer.id)).toEqual(Buffer.from(VALIDATOR.id));
    });

    it('receives every SubmitFastPayStream event', async () => {
      const events: Loose[] = await new Promise((resolve, reject) => {
        const received: Loose[] = [];
        const call = client.SubmitFastPayStream({ tx: { clientRequestId: 'x' } });
        call.on('data', (event: Loose) => received.push(event));
        call.on('error', reject);
        call.on('end', () => resolve(received));
      });
      expect(events.map((e) => e.event)).toEqual(['cert', 'lifecycle', 'lifecycle']);
      expect(events[2].lifecycle.stage).toBe(TxLifecycleUpdate_Stage.QC_FORMED);
    });

    it('reads the full u64 range from GetChainHead', async () => {
      const head: Loose = await new Promise((resolve, reject) =>
        client.GetChainHead({}, (e: unknown, r: unknown) => (e ? reject(e) : resolve(r))),
      );
      expect(head.blockHeight).toBe('18446744073709551615');
    });
  });

  describe('our client calling a proto-loader server', () => {
    const server = new grpc.Server();
    let client: ReturnType<typeof createClient<typeof FastPaySidecar>>;

    beforeAll(async () => {
      server.addService(Loaded.service, {
        SubmitFastPay(call: Loose, callback: grpc.sendUnaryData<Loose>) {
          const { tx } = call.request;
          callback(null, {
            reject: {
              code: RejectCode.INSUFFICIENT_FUNDS,
              message: `${tx.clientRequestId}:${tx.nonce.nonceSeq}:${tx.tempoTxFormat}:${tx.expiry.kind}:${tx.expiry.unixMillis}:${Buffer.from(tx.nonce.nonceKeyBe).toString('hex')}`,
            },
          });
        },
        SubmitFastPayStream(call: Loose) {
          call.write({
            lifecycle: {
              stage: TxLifecycleUpdate_Stage.INCLUDED,
              blockHash: Buffer.alloc(32, 5),
              blockHeight: '42',
            },
          });
          call.end();
        },
      });
      const port = await listen(server, '127.0.0.1:0');
      client = createClient(FastPaySidecar, `127.0.0.1:${port}`);
    });

    afterAll(() => {
      client.close();
      server.forceShutdown();
    });

    it('sends SubmitFastPay fields the other implementation reads back', async () => {
      const response = await client.submitFastPay({
        tx: {
          clientRequestId: 'req-1',
          nonce: { nonceKeyBe: new Uint8Array(32).fill(0xab), nonceSeq: 2n ** 63n },
          tempoTxFormat: TempoTxFormat.TEMPO_NATIVE_V1,
          expiry: { kind: { case: 'unixMillis', value: 1_700_000_000_000n } },
        },
      });
      expect(response.result).toEqual({
        case: 'reject',
        value: expect.objectContaining({
          code: RejectCode.INSUFFICIENT_FUNDS,
          message: `req-1:9223372036854775808:2:unixMillis:1700000000000:${'ab'.repeat(32)}`,
        }),
      });
    });

    it('streams events the other implementation writes', async () => {
      const events = [];
      for await (const event of client.submitFastPayStream({})) events.push(event.event);
      expect(events).toHaveLength(1);
      expect(events[0]?.case).toBe('lifecycle');
      expect(events[0]?.value).toMatchObject({
        stage: TxLifecycleUpdate_Stage.INCLUDED,
        blockHash: new Uint8Array(32).fill(5),
        blockHeight: 42n,
      });
    });
  });
});
