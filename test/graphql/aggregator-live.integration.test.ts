import { readFileSync } from 'node:fs';
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  type IntrospectionQuery,
  printSchema,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastPayAggregator } from '../../gen/tempo/fastpay/v1/aggregator_pb.ts';
import { SCHEMA_FILE } from '../../src/graphql/graphql-mount.ts';
import { fromHex, toHex } from '../../src/protocol/bytes.ts';
import { verifyQuorumCertificate } from '../../src/protocol/quorum.ts';
import { WireStage } from '../../src/protocol/stage.ts';
import type { AggregatorProcess } from '../../src/services/aggregator/aggregator-process.ts';
import { quorumCertificateFromProto } from '../../src/wire/convert-certificate.ts';
import { submitRequestToProto } from '../../src/wire/convert-request.ts';
import { createClient } from '../../src/wire/grpc-client.ts';
import {
  aggregatorFlags,
  alicePays,
  type ChainEnv,
  startAggregator,
  startChainEnv,
} from '../support/aggregator-env.ts';
import { DAVE, EDGAR } from '../support/demo-keys.ts';
import { eventually } from '../support/eventually.ts';
import { gql, wsClient } from '../support/graphql-client.ts';
import { pidAlive } from '../support/pid-alive.ts';
import { committeeOf, suite } from '../support/validator-harness.ts';

const SUBMIT = `mutation Submit($input: SubmitPaymentInput!) {
  submitPayment(input: $input) {
    qcFormed
    rejections { validator { name } code message permanent }
    payment { txHash stage qcHash blockAtQc certificates { validator { name } } }
  }
}`;
const PAYMENT = `query Payment($txHash: Hex!) {
  payment(txHash: $txHash) {
    txHash stage qcHash inclusion { blockNumber blockHash }
    certificates { validator { id } signature }
    quorumCertificate { qcHash certificates { validator { id } } }
  }
}`;

/** The REST answers' fields these tests read. */
interface RestBody {
  readonly [field: string]: unknown;
  readonly tx_hash?: string;
  readonly stage?: string;
  readonly block_height?: string;
  readonly reject?: { readonly code: string; readonly message: string };
  readonly rejects?: readonly unknown[];
  readonly error?: { readonly code: string };
}

interface PaymentUpdate {
  paymentUpdated: { payment: { txHash: string; stage: string; inclusion: { blockNumber: string } | null } };
}

let env: ChainEnv;
let agg: AggregatorProcess;
const started: AggregatorProcess[] = [];

beforeAll(async () => {
  env = await startChainEnv(2);
  agg = await startAggregator(aggregatorFlags(env, 'live'));
  started.push(agg);
}, 120_000);

afterAll(async () => {
  for (const p of started) await p.stop();
  await env?.stop();
  for (const pid of [...started.map((p) => p.pid), ...(env?.pids() ?? [])]) expect(pidAlive(pid)).toBe(false);
});

/** Distinct nonce lanes per test, so payments never contend. */
let nextLane = 100;

describe('aggregator GraphQL over HTTP and WebSocket (real sidecars, anvil, redis)', () => {
  it('serves schema.graphql exactly: the introspected schema prints like the file', async () => {
    const res = await gql<IntrospectionQuery>(
      agg.graphqlUrl,
      getIntrospectionQuery({ descriptions: true, schemaDescription: true }),
    );
    const served = printSchema(buildClientSchema(res.data!));
    expect(served).toBe(printSchema(buildSchema(readFileSync(SCHEMA_FILE, 'utf8'))));
  });

  it('a graphql-ws subscriber receives the QC event before the next block-height event', async () => {
    const ws = wsClient(agg.graphqlUrl);
    const heads = ws.subscribe<{ blockHeight: { height: string } }>(
      'subscription { blockHeight { height } }',
    );
    const qcs = ws.subscribe<{ qcFormed: { txHash: string; blockAtQc: string } }>(
      'subscription { qcFormed { txHash blockAtQc } }',
    );
    await heads.next();
    const seen = heads.events.length;
    const fresh = await heads.next(() => true, 10_000, seen);
    const payment = alicePays(nextLane++);
    const submittedAt = performance.now();
    const res = await gql<{ submitPayment: { qcFormed: boolean } }>(agg.graphqlUrl, SUBMIT, {
      input: { signedTx: payment.signedTx },
    });
    const mutationMs = performance.now() - submittedAt;
    expect(res.data?.submitPayment.qcFormed).toBe(true);
    await qcs.next((d) => d.qcFormed.txHash === payment.txHash);
    const qcAt = qcs.events.find((e) => e.data.qcFormed.txHash === payment.txHash)!.at;
    const nextHead = await heads.next((d) => BigInt(d.blockHeight.height) > BigInt(fresh.blockHeight.height));
    const nextHeadAt = heads.events.find((e) => e.data === nextHead)!.at;
    console.log(
      `QC event ${(qcAt - submittedAt).toFixed(1)} ms after submission (mutation ${mutationMs.toFixed(1)} ms), ` +
        `${(nextHeadAt - qcAt).toFixed(0)} ms before block ${nextHead.blockHeight.height}`,
    );
    expect(qcAt).toBeLessThan(nextHeadAt);
    expect(qcs.events.find((e) => e.data.qcFormed.txHash === payment.txHash)!.data.qcFormed.blockAtQc).toBe(
      fresh.blockHeight.height,
    );
    await heads.close();
    await qcs.close();
    await ws.dispose();
  }, 30_000);

  it('paymentUpdated delivers every stage in order through INCLUDED (then FINALIZED)', async () => {
    const payment = alicePays(nextLane++);
    const ws = wsClient(agg.graphqlUrl);
    const heads = ws.subscribe('subscription { blockHeight { height } }');
    const updates = ws.subscribe<PaymentUpdate>(
      'subscription ($txHash: Hex) { paymentUpdated(txHash: $txHash) { payment { txHash stage inclusion { blockNumber } } } }',
      { txHash: payment.txHash },
    );
    await heads.next();
    const res = await gql(agg.graphqlUrl, SUBMIT, { input: { signedTx: payment.signedTx } });
    expect(res.errors).toBeUndefined();
    await updates.next((d) => d.paymentUpdated.payment.stage === 'FINALIZED', 40_000);
    const stages = updates.events
      .map((e) => e.data.paymentUpdated.payment.stage)
      .filter((stage, i, all) => stage !== all[i - 1]);
    expect(stages).toEqual([
      'SUBMITTED',
      'CERTIFIED',
      'QC_FORMED',
      'QUEUED_ONCHAIN',
      'INCLUDED',
      'FINALIZED',
    ]);
    const included = updates.events.find((e) => e.data.paymentUpdated.payment.stage === 'INCLUDED')!;
    const onChain = await fetch(env.devnet.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'eth_getTransactionReceipt',
        params: [(await chainHashOf(payment.txHash)) as string],
      }),
    }).then((r) => r.json() as Promise<{ result: { blockNumber: string; status: string } }>);
    expect(onChain.result.status).toBe('0x1');
    expect(included.data.paymentUpdated.payment.inclusion?.blockNumber).toBe(
      BigInt(onChain.result.blockNumber).toString(),
    );
    await updates.close();
    await heads.close();
    await ws.dispose();
  }, 60_000);
});

describe('errors', () => {
  const submit = (input: Record<string, unknown>) => gql(agg.graphqlUrl, SUBMIT, { input });
  const codeOf = (res: { errors?: { extensions?: { code?: string } }[] }) =>
    res.errors?.[0]?.extensions?.code;

  it('malformed queries, invalid hex, oversized inputs and costly queries get clear errors with codes', async () => {
    const syntax = await gql(agg.graphqlUrl, '{ payments( { nodes } }');
    expect(codeOf(syntax)).toBe('GRAPHQL_PARSE_FAILED');
    const unknownField = await gql(agg.graphqlUrl, '{ chainHead { colour } }');
    expect(codeOf(unknownField)).toBe('GRAPHQL_VALIDATION_FAILED');

    const badHex = await submit({ signedTx: '0x76zz' });
    expect(codeOf(badHex)).toBe('INVALID_HEX');
    expect(badHex.errors?.[0]?.message).toMatch(/not 0x-prefixed hex/);
    const oddHex = await gql(agg.graphqlUrl, 'query { payment(txHash: "0x123") { stage } }');
    expect(codeOf(oddHex)).toBe('INVALID_HEX');
    const shortHash = await gql(agg.graphqlUrl, 'query { payment(txHash: "0x1234") { stage } }');
    expect(codeOf(shortHash)).toBe('INVALID_HEX');
    const badAddress = await gql(agg.graphqlUrl, 'query { payments(address: "0x12") { nodes { txHash } } }');
    expect(codeOf(badAddress)).toBe('INVALID_ADDRESS');
    const badBigInt = await submit({ signedTx: alicePays(1).signedTx, sequence: '18446744073709551616' });
    expect(codeOf(badBigInt)).toBe('INVALID_BIGINT');
    const notATx = await submit({ signedTx: '0x7601' });
    expect(codeOf(notATx)).toBe('PAYMENT_INVALID');
    expect(notATx.errors?.[0]?.extensions?.rejectCode).toBe('INVALID_FORMAT');
    const wrongSeq = await submit({ signedTx: alicePays(1).signedTx, sequence: '7' });
    expect(wrongSeq.errors?.[0]?.message).toMatch(/does not match the signed tx nonce 0/);

    const hugeTx = await submit({ signedTx: `0x${'ab'.repeat(129 * 1024)}` });
    expect(codeOf(hugeTx)).toBe('INPUT_TOO_LARGE');
    const longId = await submit({ signedTx: alicePays(1).signedTx, clientRequestId: 'x'.repeat(200) });
    expect(longId.errors?.[0]?.message).toMatch(/client request id exceeds 128/);
    const hugeBody = await fetch(agg.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ chainHead { height } } # ${'x'.repeat(600 * 1024)}` }),
    });
    expect(hugeBody.status).toBe(413);
    const bigPage = await gql(agg.graphqlUrl, '{ payments(first: 1000) { nodes { txHash } } }');
    expect(codeOf(bigPage)).toBe('INVALID_ARGUMENT');
    const wide = `{ payments(first: 100) { nodes { certificates { validator { id name publicKey url } signature txHash effectsHash createdUnixMillis } } } }`;
    const costly = await gql(
      agg.graphqlUrl,
      `{ ${['a', 'b', 'c'].map((k) => `${k}: ${wide.slice(2, -2)}`).join(' ')} }`,
    );
    expect(costly.errors?.[0]?.message).toMatch(/query cost \d+ exceeds the limit 20000/);
    expect(codeOf(costly)).toBe('QUERY_TOO_COSTLY');
  });
});

describe('REST and gRPC faces', () => {
  const rest = (path: string, body?: unknown) =>
    fetch(`${agg.httpUrl}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as RestBody }));

  it('REST submit-raw-tx answers 200 with the QC, 4xx with {reject} for refusals; REST status matches GraphQL', async () => {
    const payment = alicePays(nextLane++);
    const ok = await rest('/api/v1/submit-raw-tx', { signed_tx: payment.signedTx });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ tx_hash: payment.txHash, qc_formed: true, cert_count: 2, rejects: [] });
    const again = await rest('/api/v1/submit-raw-tx', { signed_tx: payment.signedTx.slice(2) });
    expect(again.body.tx_hash).toBe(payment.txHash);

    const conflicting = alicePays(nextLane - 1, 200_000n);
    const refused = await rest('/api/v1/submit-raw-tx', { signed_tx: conflicting.signedTx });
    expect(refused.status).toBe(409);
    expect(['EQUIVOCATION', 'NONCE_SEQ_TOO_LOW']).toContain(refused.body.reject?.code);
    expect(refused.body.rejects?.length).toBeGreaterThan(0);
    const garbage = await rest('/api/v1/submit-raw-tx', { signed_tx: '0xzz' });
    expect(garbage).toMatchObject({ status: 400, body: { reject: { code: 'INVALID_FORMAT' } } });
    expect((await rest('/api/v1/tx/0x1234/status')).body.error?.code).toBe('INVALID_TX_HASH');
    expect((await rest(`/api/v1/tx/0x${'ab'.repeat(32)}/status`)).status).toBe(404);
    const head = await rest('/api/v1/chain/head');
    expect(head.body.block_height).toMatch(/^[1-9][0-9]*$/);

    for (const stage of ['QC_FORMED', 'INCLUDED']) {
      for (;;) {
        const [status, graph] = await Promise.all([
          rest(`/api/v1/tx/${payment.txHash}/status`),
          gql<{
            payment: {
              stage: string;
              qcHash: string;
              certificates: unknown[];
              inclusion: { blockNumber: string } | null;
            };
          }>(agg.graphqlUrl, PAYMENT, { txHash: payment.txHash }),
        ]);
        const p = graph.data!.payment;
        if (status.body.stage !== p.stage) {
          await new Promise((r) => setTimeout(r, 50));
          continue;
        }
        expect(status.body).toMatchObject({
          tx_hash: payment.txHash,
          qc_formed: true,
          qc_hash: p.qcHash,
          cert_count: p.certificates.length,
          ...(p.inclusion ? { block_number: p.inclusion.blockNumber } : {}),
        });
        if (stage === 'QC_FORMED' || p.stage === 'INCLUDED' || p.stage === 'FINALIZED') break;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }, 40_000);

  it('gRPC FastPayAggregator: fan-out submit, merged board, QC, head and real stages in GetTxStatus', async () => {
    const client = createClient(FastPayAggregator, `127.0.0.1:${agg.grpcPort}`);
    try {
      const payment = alicePays(nextLane++);
      const fanout = await client.submitFastPay(
        submitRequestToProto({ tx: payment.built.tx, parentQcs: [] }),
      );
      expect(fanout.thresholdMet).toBe(true);
      expect(toHex(fanout.txHash)).toBe(payment.txHash);
      expect(fanout.certs).toHaveLength(2);
      const refused = await client.submitFastPay(
        submitRequestToProto({ tx: { ...payment.built.tx, tempoTx: Uint8Array.of(0x76, 1) }, parentQcs: [] }),
      );
      expect(refused.rejects[0]?.validator?.name).toBe('aggregator');
      expect(refused.thresholdMet).toBe(false);

      const qc = await client.getQuorumCertificate({ txHash: fromHex(payment.txHash), threshold: 0 });
      expect(qc.result.case).toBe('qc');
      const verified = verifyQuorumCertificate(
        suite,
        committeeOf([DAVE, EDGAR]),
        quorumCertificateFromProto(qc.result.value as never),
      );
      expect(verified.ok).toBe(true);
      const selfChosen = await client.getQuorumCertificate({ txHash: fromHex(payment.txHash), threshold: 1 });
      expect(selfChosen.result.case).toBe('reject');
      const board = await client.getBulletinBoard({
        filter: { case: 'txHash', value: fromHex(payment.txHash) },
      });
      expect(board.certs).toHaveLength(2);
      const head = await client.getChainHead({});
      expect(head.blockHeight).toBeGreaterThan(0n);
      for (;;) {
        const status = await client.getTxStatus({ txHash: fromHex(payment.txHash) });
        expect(status.qcFormed).toBe(true);
        expect(status.certs).toHaveLength(2);
        if ((status.stage as number) >= WireStage.INCLUDED && (status.stage as number) <= WireStage.FINALIZED)
          break;
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      client.close();
    }
  }, 40_000);

  it('/healthz answers 200 and /metrics counts requests, rejects by code, QC latency and payments by stage', async () => {
    const health = await fetch(`${agg.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    const metrics = await (await fetch(`${agg.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(
      /allegro_aggregator_requests_total\{api="graphql",operation="submitPayment"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /allegro_aggregator_rejects_total\{code="(EQUIVOCATION|NONCE_SEQ_TOO_LOW)"\} [1-9]/,
    );
    expect(metrics).toMatch(/allegro_aggregator_qc_latency_seconds_count [1-9]/);
    expect(metrics).toMatch(/allegro_aggregator_payments\{stage="(INCLUDED|FINALIZED)"\} [1-9]/);
  });
});

describe('several instances and restarts', () => {
  it('two aggregator instances share Redis pubsub: a subscriber on A sees a QC that formed through B', async () => {
    const a = await startAggregator(aggregatorFlags(env, 'pubsub-a', ['--mirror-interval-ms', '0']));
    started.push(a);
    const ws = wsClient(a.graphqlUrl);
    const qcs = ws.subscribe<{ qcFormed: { txHash: string; stage: string } }>(
      'subscription { qcFormed { txHash stage } }',
    );
    const heads = ws.subscribe('subscription { blockHeight { height } }');
    await heads.next();
    await new Promise((r) => setTimeout(r, 300));
    const payment = alicePays(nextLane++);
    const res = await gql(agg.graphqlUrl, SUBMIT, { input: { signedTx: payment.signedTx } });
    expect(res.errors).toBeUndefined();
    const seen = await qcs.next((d) => d.qcFormed.txHash === payment.txHash, 10_000);
    expect(seen.qcFormed.stage).not.toBe('SUBMITTED');
    const local = await gql<{ payment: unknown }>(
      a.graphqlUrl,
      'query ($t: Hex!) { payment(txHash: $t) { stage } }',
      { t: payment.txHash },
    );
    expect(local.errors).toBeUndefined();
    await qcs.close();
    await heads.close();
    await ws.dispose();
  }, 30_000);

  it('without --rpc-url heads come from the sidecars and on-chain stages from f+1 sidecars reporting alike', async () => {
    const flags = aggregatorFlags(env, 'no-rpc').filter(
      (flag, i, all) =>
        !['--rpc-url', '--ws-url'].includes(flag) && !['--rpc-url', '--ws-url'].includes(all[i - 1]!),
    );
    const observer = await startAggregator([...flags, '--head-poll-ms', '200']);
    started.push(observer);
    const payment = alicePays(nextLane++);
    const res = await gql(observer.graphqlUrl, SUBMIT, { input: { signedTx: payment.signedTx } });
    expect(res.errors).toBeUndefined();
    await eventually(async () => {
      const now = await gql<{ payment: { stage: string; inclusion: unknown } }>(
        observer.graphqlUrl,
        PAYMENT,
        {
          txHash: payment.txHash,
        },
      );
      expect(['INCLUDED', 'FINALIZED']).toContain(now.data?.payment.stage);
      expect(now.data?.payment.inclusion).not.toBeNull();
    }, 30_000);
    const head = await gql<{ chainHead: { height: string; source: string } }>(
      observer.graphqlUrl,
      '{ chainHead { height source } }',
    );
    expect(BigInt(head.data!.chainHead.height)).toBeGreaterThan(1n);
    expect(head.data!.chainHead.source).toBe('the (f+1)-th highest head the sidecars report');
  }, 45_000);

  it('an aggregator killed mid-flight restores its payments from Redis snapshots and they reach INCLUDED', async () => {
    const flags = aggregatorFlags(env, 'restart');
    const first = await startAggregator(flags);
    started.push(first);
    // One lane, seq 0 then 1: a sender has one live lane at a time, and seq 1 needs seq 0's QC (attached by the aggregator).
    const lane = nextLane++;
    const payments = [alicePays(lane), alicePays(lane, 100_000n, 1n)];
    type Submitted = Awaited<
      ReturnType<typeof gql<{ submitPayment: { payment: { stage: string; qcHash: string } } }>>
    >;
    const before: Submitted[] = [];
    for (const p of payments) {
      before.push(await gql(first.graphqlUrl, SUBMIT, { input: { signedTx: p.signedTx } }));
    }
    for (const res of before) expect(res.data?.submitPayment.payment.stage).toBe('QC_FORMED');
    await first.kill();
    expect(pidAlive(first.pid)).toBe(false);

    const second = await startAggregator(flags);
    started.push(second);
    const restored = await Promise.all(
      payments.map((p) =>
        gql<{ payment: { stage: string; qcHash: string } }>(second.graphqlUrl, PAYMENT, { txHash: p.txHash }),
      ),
    );
    restored.forEach((res, i) => {
      expect(res.data?.payment.qcHash).toBe(before[i]!.data!.submitPayment.payment.qcHash);
      expect(['QC_FORMED', 'QUEUED_ONCHAIN', 'INCLUDED', 'FINALIZED']).toContain(res.data?.payment.stage);
    });
    for (const p of payments) {
      for (;;) {
        const res = await gql<{ payment: { stage: string } }>(second.graphqlUrl, PAYMENT, {
          txHash: p.txHash,
        });
        if (['INCLUDED', 'FINALIZED'].includes(res.data!.payment.stage)) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }, 60_000);
});

async function chainHashOf(txHash: string): Promise<string | null> {
  const res = await gql<{ payment: { chainTxHash: string | null } }>(
    agg.graphqlUrl,
    'query ($t: Hex!) { payment(txHash: $t) { chainTxHash } }',
    { t: txHash },
  );
  return res.data?.payment.chainTxHash ?? null;
}
