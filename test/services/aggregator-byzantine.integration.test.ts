import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import { buildPayment } from '../../src/client/build-payment.ts';
import { createEventBus } from '../../src/graphql/event-bus.ts';
import { SCHEMA_FILE } from '../../src/graphql/graphql-mount.ts';
import { resolvers } from '../../src/graphql/resolvers.ts';
import { fromHex, repeatByte, toHex } from '../../src/protocol/bytes.ts';
import { signCertificate } from '../../src/protocol/certificate.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import { type LifecycleUpdate, WireStage } from '../../src/protocol/stage.ts';
import { prepareSubmission } from '../../src/protocol/validation/prepare-submission.ts';
import { aggregatorMetrics } from '../../src/services/aggregator/aggregator-metrics.ts';
import { type RunningAggregator, startAggregator } from '../../src/services/aggregator/aggregator-node.ts';
import { Metrics } from '../../src/services/http/metrics.ts';
import { BulletinBoard } from '../../src/services/shared/bulletin-board.ts';
import { LifecycleHub } from '../../src/services/sidecar/lifecycle-hub.ts';
import { sidecarService } from '../../src/services/sidecar/sidecar-service.ts';
import { createLogger } from '../../src/util/logger.ts';
import { addService, listen } from '../../src/wire/grpc-server.ts';
import { ALICE_KEY, ALPHA_USD, BOB, DAVE, EDGAR } from '../support/demo-keys.ts';
import { eventually } from '../support/eventually.ts';
import { committeeOf, suite, type ValidatorIdentity } from '../support/validator-harness.ts';

const FRANK = { name: 'Frank', id: repeatByte(0xf1, 32), seed: repeatByte(0x43, 32) };
const LIAR = { name: 'Mallory', id: repeatByte(0xfe, 32), seed: repeatByte(0x44, 32) };
const VALIDATORS = [DAVE, EDGAR, FRANK, LIAR];
const committee = committeeOf(VALIDATORS);
const logger = createLogger('aggregator-byzantine-test', 'silent');
const T0 = BigInt(Date.now());
/** Payments on these lanes get certificates from Dave and Edgar only (2 of the 3 needed): they stay CERTIFIED. */
const HALF_LANES = new Set([1, 11]);

/**
 * A sidecar speaking the real gRPC service on 127.0.0.1: it certifies every well-formed payment (Frank and the
 * liar refuse those on HALF_LANES), reports `head()` and streams whatever the test publishes in its hub.
 */
async function startFakeSidecar(v: ValidatorIdentity, head: () => { height: bigint; timestampMs: bigint }) {
  const signer = suite.ed25519.signer(v.seed);
  const hub = new LifecycleHub(64);
  const server = new grpc.Server();
  addService(
    server,
    FastPaySidecar,
    sidecarService({
      identity: { name: v.name, id: v.id, publicKey: signer.publicKey },
      peers: [],
      board: new BulletinBoard(),
      lifecycle: hub,
      followsChain: true,
      head: () => ({ ...head(), hash: repeatByte(Number(head().height % 200n), 32) }),
      async submit(request) {
        const p = prepareSubmission(suite, committee, request.tx);
        if (!p.ok) return { reject: p.reject };
        const { effects, txHash, effectsHash } = p.value;
        if (HALF_LANES.has(effects.nonce.nonceKey[31]!) && (v === FRANK || v === LIAR)) {
          return { reject: { code: RejectCode.TEMPORARY_UNAVAILABLE, message: 'busy' } };
        }
        return { cert: signCertificate(suite, signer, v, committee, effects, txHash, effectsHash, T0) };
      },
    }),
  );
  const port = await listen(server, '127.0.0.1:0');
  return { url: `127.0.0.1:${port}`, hub, stop: () => server.forceShutdown() };
}

/** Alice pays Bob on `lane`, valid for `seconds`. */
function payment(lane: bigint, seconds: number) {
  const laneKey = new Uint8Array(32);
  laneKey[31] = Number(lane);
  const built = buildPayment({
    suite,
    account: ALICE_KEY,
    to: BOB,
    amount: 1_000n + lane,
    asset: ALPHA_USD,
    chainId: 1337n,
    lane: { nonceKey: laneKey },
    seq: 0n,
    validBefore: T0 / 1000n + BigInt(seconds),
  });
  return { txHash: toHex(built.txHash), signedTx: toHex(built.tx.tempoTx!) };
}

let honest = { height: 10n, timestampMs: T0 };
const sidecars: Awaited<ReturnType<typeof startFakeSidecar>>[] = [];
let running: RunningAggregator;
let dir: string;

beforeAll(async () => {
  for (const [i, v] of VALIDATORS.entries()) {
    sidecars.push(
      await startFakeSidecar(v, () =>
        v === LIAR
          ? { height: 2n ** 64n - 1n, timestampMs: 2n ** 63n }
          : { height: honest.height + BigInt(i), timestampMs: honest.timestampMs },
      ),
    );
  }
  dir = await mkdtemp(join(tmpdir(), 'allegro-agg-byzantine-'));
  const committeeFile = join(dir, 'committee.json');
  const members = VALIDATORS.map((v, i) => ({
    name: v.name,
    validatorId: toHex(v.id),
    publicKey: toHex(suite.ed25519.signer(v.seed).publicKey),
    url: sidecars[i]!.url,
  }));
  await writeFile(committeeFile, JSON.stringify({ chainId: '1337', epoch: '1', members }));
  running = await startAggregator(
    {
      sidecars: [],
      committeeFile,
      listen: '127.0.0.1:0',
      httpListen: '127.0.0.1:0',
      chainId: 1337n,
      epoch: 1n,
      store: 'memory',
      finalityDepth: 2,
      mirrorIntervalMs: 0,
      upstreamTimeoutMs: 500,
      submitDeadlineMs: 800,
      headPollMs: 50,
    },
    logger,
  );
}, 30_000);

afterAll(async () => {
  await running?.stop();
  for (const s of sidecars) s.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs a GraphQL operation against schema.graphql and its resolvers over the running aggregator (in process). */
async function gql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const yoga = createYoga({
    schema: createSchema({
      typeDefs: readFileSync(SCHEMA_FILE, 'utf8'),
      resolvers: resolvers({
        aggregator: running.aggregator,
        bus: createEventBus(),
        suite,
        metrics: aggregatorMetrics(new Metrics(), () => new Map()),
      }),
    }),
    logging: false,
  });
  const response = await yoga.fetch('http://127.0.0.1/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  const result = (await response.json()) as { data?: T; errors?: { message: string }[] };
  if (result.errors) throw new Error(result.errors.map((e) => e.message).join('; '));
  return result.data!;
}

const SUBMIT = `mutation ($tx: Hex!) { submitPayment(input: { signedTx: $tx }) { qcFormed payment { stage } } }`;
const PAYMENT = `query ($t: Hex!) {
  payment(txHash: $t) { stage guarantee inclusion { blockNumber blockHash } stageTimes { stage }
    quorumCertificate { guarantee } }
}`;
type Payment = {
  stage: string;
  guarantee: string;
  inclusion: { blockNumber: string; blockHash: string } | null;
  stageTimes: { stage: string }[];
  quorumCertificate: { guarantee: string } | null;
};
const paymentOf = async (txHash: string) =>
  (await gql<{ payment: Payment | null }>(PAYMENT, { t: txHash })).payment!;

/** Publishes a stage in the hub of sidecar `i` (its SubmitFastPayStream carries it to the aggregator). */
function report(i: number, txHash: string, stage: WireStage, blockHeight: bigint, blockHash?: Uint8Array) {
  const update: LifecycleUpdate = {
    txHash: fromHex(txHash),
    stage,
    unixMillis: T0,
    blockHeight,
    ...(blockHash ? { blockHash } : {}),
  };
  sidecars[i]!.hub.publish(update);
}

/** The sidecar reports the aggregator holds for a payment and has not acted on (yet). */
const reportsOf = (txHash: string) =>
  Object.keys(running.aggregator.openPayment(txHash)?.view.context.stageReports ?? {});

describe('aggregator without its own chain node, one Byzantine sidecar among four (f = 1)', () => {
  it("a lone sidecar's huge head moves neither blockHeight nor the expiry of open payments", async () => {
    const open = payment(1n, 600);
    const opened = await gql<{ submitPayment: { qcFormed: boolean } }>(SUBMIT, { tx: open.signedTx });
    expect(opened.submitPayment.qcFormed).toBe(false);
    const soon = payment(11n, 60);
    await gql(SUBMIT, { tx: soon.signedTx });

    honest = { height: 20n, timestampMs: T0 + 120_000n };
    // The honest heads are 20, 21, 22 and the liar's 2^64 − 1: the (f+1)-th highest is 22, at T0 + 120 s.
    const head = await eventually(async () => {
      const { chainHead } = await gql<{ chainHead: { height: string; timestampMs: string; source: string } }>(
        '{ chainHead { height timestampMs source } }',
      );
      expect(chainHead.height).toBe('22');
      expect(chainHead.source).toBe('the (f+1)-th highest head the sidecars report');
      return chainHead;
    });
    expect(head.timestampMs).toBe((T0 + 120_000n).toString());
    // `soon` expired at the honest heads' time, in the same sweep that judged `open` (submitted first).
    await eventually(async () => expect((await paymentOf(soon.txHash)).stage).toBe('EXPIRED'));
    expect((await paymentOf(open.txHash)).stage).toBe('CERTIFIED');
  });

  it("a lone sidecar's QUEUED_ONCHAIN, INCLUDED and FAILED do not move a payment; f+1 agreeing reports do", async () => {
    const p = payment(2n, 600);
    const formed = await gql<{ submitPayment: { qcFormed: boolean } }>(SUBMIT, { tx: p.signedTx });
    expect(formed.submitPayment.qcFormed).toBe(true);
    const lie = repeatByte(0x66, 32);
    report(3, p.txHash, WireStage.QUEUED_ONCHAIN, 30n);
    report(3, p.txHash, WireStage.INCLUDED, 30n, lie);
    report(3, p.txHash, WireStage.FAILED, 30n);
    await eventually(() =>
      expect(reportsOf(p.txHash).sort()).toEqual([
        `FAILED:30:0x`,
        `INCLUDED:30:${toHex(lie)}`,
        'QUEUED_ONCHAIN:30:0x',
      ]),
    );
    expect((await paymentOf(p.txHash)).stage).toBe('QC_FORMED');

    report(0, p.txHash, WireStage.QUEUED_ONCHAIN, 31n);
    await eventually(() => expect(reportsOf(p.txHash)).toContain('QUEUED_ONCHAIN:31:0x'));
    expect((await paymentOf(p.txHash)).stage).toBe('QC_FORMED');
    report(2, p.txHash, WireStage.QUEUED_ONCHAIN, 31n);
    await eventually(async () => expect((await paymentOf(p.txHash)).stage).toBe('QUEUED_ONCHAIN'));

    const block = repeatByte(0x33, 32);
    report(0, p.txHash, WireStage.INCLUDED, 33n, block);
    report(1, p.txHash, WireStage.INCLUDED, 33n, block);
    const included = await eventually(async () => {
      const now = await paymentOf(p.txHash);
      expect(now.stage).toBe('INCLUDED');
      return now;
    });
    expect(included.inclusion).toEqual({ blockNumber: '33', blockHash: toHex(block) });
    expect(included.stageTimes.map((s) => s.stage)).not.toContain('FAILED');
  });

  it('says what the QC is worth: guarantee LOCKED on the payment and its QC, in GraphQL and REST', async () => {
    const p = payment(3n, 600);
    await gql(SUBMIT, { tx: p.signedTx });
    const shown = await paymentOf(p.txHash);
    expect(shown.guarantee).toBe('LOCKED');
    expect(shown.quorumCertificate?.guarantee).toBe('LOCKED');
    const rest = await fetch(`http://127.0.0.1:${running.httpPort}/api/v1/tx/${p.txHash}/status`);
    expect(await rest.json()).toMatchObject({ tx_hash: p.txHash, qc_formed: true, guarantee: 'LOCKED' });
  });
});
