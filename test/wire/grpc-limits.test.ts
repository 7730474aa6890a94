import { create, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastPaySidecar, SubmitFastPayRequestSchema } from '../../gen/tempo/fastpay/v1/sidecar_pb.js';
import { MAX_TEMPO_TX_BYTES } from '../../src/protocol/tempo/decode-tempo-tx.ts';
import { MAX_PARENT_QCS } from '../../src/protocol/validation/parent-credit.ts';
import { createClient } from '../../src/wire/grpc-client.ts';
import {
  grpcServerOptions,
  MAX_COMMITTEE_MEMBERS,
  MAX_GRPC_MESSAGE_BYTES,
  PeerCallLimiter,
  peerHost,
} from '../../src/wire/grpc-limits.ts';
import { addService, listen } from '../../src/wire/grpc-server.ts';
import { WireError } from '../../src/wire/wire-error.ts';
import { HANG, type Observed, testSidecar } from './test-sidecar.ts';

const MAX_CALLS = 3;

/** The test sidecar with Allegro's server options and a small per-peer cap. */
async function startLimitedSidecar() {
  const observed: Observed = { aborted: [], unexpected: [] };
  const server = new grpc.Server(grpcServerOptions());
  addService(server, FastPaySidecar, testSidecar(observed), { maxCallsPerPeer: MAX_CALLS });
  const port = await listen(server, '127.0.0.1:0');
  return { server, address: `127.0.0.1:${port}`, observed };
}

/** A FastPayTx carrying a signed tx of the largest size. */
function largestTx(clientRequestId: string) {
  return {
    chainId: { value: 1337n },
    tempoTx: { data: new Uint8Array(MAX_TEMPO_TX_BYTES).fill(0x76) },
    nonce: { nonceKeyBe: new Uint8Array(32).fill(1), nonceSeq: 2n ** 64n - 1n },
    expiry: { kind: { case: 'unixMillis' as const, value: 2n ** 64n - 1n } },
    parentQcHash: new Uint8Array(32).fill(2),
    clientRequestId: clientRequestId.padEnd(128, ' '),
  };
}

/** A QC with one full certificate per member of the largest committee. */
function largestQc() {
  const cert = {
    signer: { name: 'v'.repeat(64), id: new Uint8Array(32).fill(3), pubkey: new Uint8Array(32).fill(4) },
    txHash: new Uint8Array(32).fill(5),
    effectsHash: new Uint8Array(32).fill(6),
    effects: {
      sender: { data: new Uint8Array(20).fill(7) },
      recipient: { data: new Uint8Array(20).fill(8) },
      amount: 2n ** 64n - 1n,
      asset: { data: new Uint8Array(20).fill(9) },
      nonce: { nonceKeyBe: new Uint8Array(32).fill(10), nonceSeq: 2n ** 64n - 1n },
    },
    signature: new Uint8Array(64).fill(11),
    createdUnixMillis: 2n ** 64n - 1n,
    settlementSignature: new Uint8Array(65).fill(12),
  };
  return {
    txHash: new Uint8Array(32).fill(5),
    effectsHash: new Uint8Array(32).fill(6),
    certs: Array.from({ length: MAX_COMMITTEE_MEMBERS }, () => cert),
    threshold: MAX_COMMITTEE_MEMBERS,
    qcHash: new Uint8Array(32).fill(13),
  };
}

async function rejection(promise: Promise<unknown>): Promise<WireError> {
  const error = await promise.then(
    () => expect.fail('the call succeeded'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WireError);
  return error as WireError;
}

describe('gRPC limits', () => {
  let sidecar: Awaited<ReturnType<typeof startLimitedSidecar>>;
  let client: ReturnType<typeof createClient<typeof FastPaySidecar>>;

  beforeAll(async () => {
    sidecar = await startLimitedSidecar();
    client = createClient(FastPaySidecar, sidecar.address);
  });

  afterAll(() => {
    client.close();
    sidecar.server.forceShutdown();
  });

  it('accepts the largest payment: a 128 KiB tx with 8 parent QCs of a full committee and 8 parent txs', async () => {
    const request = {
      tx: largestTx('ok'),
      parentQcs: Array.from({ length: MAX_PARENT_QCS }, largestQc),
      parentTxs: Array.from({ length: MAX_PARENT_QCS }, () => largestTx('parent')),
    };
    const size = toBinary(SubmitFastPayRequestSchema, create(SubmitFastPayRequestSchema, request)).length;
    expect(size).toBeGreaterThan(1.5 * 1024 * 1024);
    expect(size).toBeLessThanOrEqual(MAX_GRPC_MESSAGE_BYTES);
    expect((await client.submitFastPay(request)).result.case).toBe('cert');
  });

  it('refuses a message beyond the bound with RESOURCE_EXHAUSTED, and keeps serving', async () => {
    expect(MAX_GRPC_MESSAGE_BYTES).toBeLessThan(4 * 1024 * 1024);
    const oversized = {
      tx: { ...largestTx('ok'), tempoTx: { data: new Uint8Array(MAX_GRPC_MESSAGE_BYTES + 1) } },
    };
    expect((await rejection(client.submitFastPay(oversized))).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect((await client.submitFastPay({ tx: largestTx('ok') })).result.case).toBe('cert');
  });

  it('answers RESOURCE_EXHAUSTED to a peer beyond its concurrent calls, and serves it again once they end', async () => {
    const controller = new AbortController();
    const hanging = Array.from({ length: MAX_CALLS }, () =>
      client.submitFastPay({ tx: { clientRequestId: HANG } }, { signal: controller.signal }).catch((e) => e),
    );
    const refused = await (async () => {
      for (let attempt = 0; ; attempt++) {
        const error = await client.getChainHead({}).then(
          () => undefined,
          (e: unknown) => e,
        );
        if (error || attempt > 200) return error;
      }
    })();
    expect((refused as WireError).code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    controller.abort();
    for (const error of await Promise.all(hanging))
      expect((error as WireError).code).toBe(grpc.status.CANCELLED);
    await expect.poll(() => sidecar.observed.aborted.length).toBe(MAX_CALLS);
    expect((await client.getChainHead({})).blockHeight).toBe(2n ** 64n - 1n);
  });

  it('counts calls per peer host, whatever the port, and releases a slot once', () => {
    expect(peerHost('ipv4:127.0.0.1:53412')).toBe('127.0.0.1');
    expect(peerHost('ipv6:[::1]:53412')).toBe('::1');
    const limiter = new PeerCallLimiter(1);
    const release = limiter.acquire('ipv4:127.0.0.1:1000');
    expect(limiter.acquire('ipv4:127.0.0.1:2000')).toBeUndefined();
    expect(limiter.acquire('ipv4:127.0.0.2:1000')).toBeDefined();
    release?.();
    release?.();
    const again = limiter.acquire('ipv4:127.0.0.1:3000');
    expect(again).toBeDefined();
    expect(limiter.acquire('ipv4:127.0.0.1:4000')).toBeUndefined();
  });
});
