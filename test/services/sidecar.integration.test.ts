import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { Hex } from 'viem';
import { privateKeyToAddress } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FastPaySidecar,
  SubmitFastPayEventSchema,
  SubmitFastPayResponseSchema,
} from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import { fromHex, toHex } from '../../src/protocol/bytes.ts';
import { assembleQuorumCertificate } from '../../src/protocol/quorum.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import type { FastPayTx, QuorumCertificate, ValidatorCertificate } from '../../src/protocol/types.ts';
import { validatorCertificateFromProto } from '../../src/wire/convert-certificate.ts';
import { rejectFromProto } from '../../src/wire/convert-reject.ts';
import { submitRequestToProto } from '../../src/wire/convert-request.ts';
import { createClient, type ServiceClient } from '../../src/wire/grpc-client.ts';
import { ALICE_KEY, ALPHA_USD, BOB, BOB_KEY, CAROL, DAVE, EDGAR } from '../support/demo-keys.ts';
import { buildPayment } from '../support/payment-builder.ts';
import { pidAlive } from '../support/pid-alive.ts';
import { SidecarPair } from '../support/sidecar-pair.ts';
import { committeeOf, suite } from '../support/validator-harness.ts';

const committee = committeeOf([DAVE, EDGAR]);
let pair: SidecarPair;
const clients = new Map<string, ServiceClient<typeof FastPaySidecar>>();
const client = (name: string) => clients.get(name)!;

async function submit(name: string, tx: FastPayTx, parentQcs: QuorumCertificate[] = []) {
  const res = await client(name).submitFastPay(submitRequestToProto({ tx, parentQcs }), {
    timeoutMs: 10_000,
  });
  if (res.result.case === 'cert') return { cert: validatorCertificateFromProto(res.result.value) };
  if (res.result.case === 'reject') return { reject: rejectFromProto(res.result.value) };
  throw new Error('empty result');
}

async function certOf(
  name: string,
  tx: FastPayTx,
  parentQcs: QuorumCertificate[] = [],
): Promise<ValidatorCertificate> {
  const r = await submit(name, tx, parentQcs);
  if (!('cert' in r) || !r.cert) throw new Error(`expected a certificate: ${JSON.stringify(r)}`);
  return r.cert;
}

async function rejectOf(name: string, tx: FastPayTx, parentQcs: QuorumCertificate[] = []) {
  const r = await submit(name, tx, parentQcs);
  if (!('reject' in r) || !r.reject) throw new Error('expected a reject');
  return r.reject;
}

async function qcOf(tx: FastPayTx, parentQcs: QuorumCertificate[] = []): Promise<QuorumCertificate> {
  const certs = await Promise.all([certOf('Dave', tx, parentQcs), certOf('Edgar', tx, parentQcs)]);
  const qc = assembleQuorumCertificate(suite, committee, certs);
  if (!qc) throw new Error('no QC');
  return qc;
}

function connect() {
  for (const name of ['Dave', 'Edgar']) {
    clients.get(name)?.close();
    clients.set(name, createClient(FastPaySidecar, pair.url(name)));
  }
}

/** One funded payer per nonce key used below: a sender has one live lane at a time, so tests do not share one. */
const payer = (nonceKey: bigint) => `0x${nonceKey.toString(16).padStart(4, '0').repeat(16)}` as Hex;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'allegro-balances-'));
  const balances = join(dir, 'balances.json');
  const entry = (n: bigint) => ({
    account: privateKeyToAddress(payer(n)),
    asset: toHex(ALPHA_USD),
    amount: '100000000',
  });
  await writeFile(balances, JSON.stringify(Array.from({ length: 10 }, (_, i) => entry(900n + BigInt(i)))));
  pair = await SidecarPair.start(['--balances', balances]);
  connect();
}, 120_000);

afterAll(async () => {
  for (const c of clients.values()) c.close();
  const pids = [...pair.processes.values()].map((p) => p.pid);
  await pair.stop();
  for (const pid of pids) expect(pidAlive(pid)).toBe(false);
});

describe('sidecar over gRPC (two peered processes, reference §13 scenarios)', () => {
  it('reports its identity and the peer list', async () => {
    const info = await client('Dave').getValidatorInfo({});
    expect(info.validator?.name).toBe('Dave');
    expect(info.validator?.id).toEqual(DAVE.id);
    expect(info.validator?.pubkey).toEqual(committee.members[0]!.publicKey);
    expect(info.gossipPeers).toEqual([`http://${pair.url('Edgar')}`]);
  });

  it('rejects a wrong chain id with WRONG_CHAIN', async () => {
    const tx = await buildPayment({ key: payer(900n), to: BOB, amount: 1n, nonceKey: 900n });
    expect((await rejectOf('Dave', { ...tx, chainId: 1338n })).code).toBe(RejectCode.WRONG_CHAIN);
  });

  it('answers a retried request with the identical certificate', async () => {
    const tx = await buildPayment({
      key: payer(901n),
      to: BOB,
      amount: 1n,
      nonceKey: 901n,
      requestId: 'idem-req',
    });
    const first = await certOf('Dave', tx);
    const second = await certOf('Dave', tx);
    expect(second.signature).toEqual(first.signature);
    expect(second.createdUnixMillis).toBe(first.createdUnixMillis);
  });

  it('rejects a request id reused for another tx with INVALID_FORMAT', async () => {
    await certOf(
      'Dave',
      await buildPayment({
        key: payer(902n),
        to: BOB,
        amount: 1n,
        nonceKey: 902n,
        requestId: 'idem-conflict',
      }),
    );
    const other = await buildPayment({
      key: payer(902n),
      to: CAROL,
      amount: 1n,
      nonceKey: 902n,
      seq: 1n,
      requestId: 'idem-conflict',
    });
    const r = await rejectOf('Dave', other);
    expect(r.code).toBe(RejectCode.INVALID_FORMAT);
    expect(r.message).toContain('client_request_id reused for different tx');
  });

  it('rejects equivocation, sequence gaps, replays and expired payments with their codes', async () => {
    await certOf('Dave', await buildPayment({ key: payer(903n), to: BOB, amount: 1n, nonceKey: 903n }));
    expect(
      (
        await rejectOf(
          'Dave',
          await buildPayment({ key: payer(903n), to: CAROL, amount: 1n, nonceKey: 903n }),
        )
      ).code,
    ).toBe(RejectCode.EQUIVOCATION);
    expect(
      (
        await rejectOf(
          'Dave',
          await buildPayment({ key: payer(903n), to: BOB, amount: 1n, nonceKey: 903n, seq: 2n }),
        )
      ).code,
    ).toBe(RejectCode.NONCE_SEQ_TOO_HIGH);
    const expired = await buildPayment({
      key: payer(904n),
      to: BOB,
      amount: 1n,
      nonceKey: 904n,
      validBefore: BigInt(Math.floor(Date.now() / 1000) - 10),
    });
    expect((await rejectOf('Dave', expired)).code).toBe(RejectCode.EXPIRED);
  });

  it('forms a QC for Alice → Bob and a chained QC for Bob → Carol citing it', async () => {
    const validBefore = BigInt(Math.floor(Date.now() / 1000) + 600);
    const qc1 = await qcOf(
      await buildPayment({ key: ALICE_KEY, to: BOB, amount: 10_000_000n, nonceKey: 1n, validBefore }),
    );
    const child = await buildPayment({
      key: BOB_KEY,
      to: CAROL,
      amount: 10_000_000n,
      nonceKey: 1n,
      validBefore,
      parentQcHash: qc1.qcHash,
    });
    const qc2 = await qcOf(child, [qc1]);
    expect(qc2.certs).toHaveLength(2);
    const board = await client('Edgar').getBulletinBoard({
      filter: { case: 'address', value: { data: CAROL } },
    });
    expect(board.certs.length).toBeGreaterThanOrEqual(1);
  });

  it('gossips certificates: Dave learns Edgar’s certificate of a payment sent only to Edgar', async () => {
    const tx = await buildPayment({ key: payer(905n), to: BOB, amount: 1n, nonceKey: 905n });
    const cert = await certOf('Edgar', tx);
    const deadline = Date.now() + 10_000;
    let seen = false;
    while (!seen && Date.now() < deadline) {
      const board = await client('Dave').getBulletinBoard({ filter: { case: 'txHash', value: cert.txHash } });
      seen = board.certs.some((c) => Buffer.from(c.signer!.id).equals(Buffer.from(EDGAR.id)));
      if (!seen) await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen).toBe(true);
  });

  it('answers garbage protobuf bytes and a garbage tempo_tx with INVALID_FORMAT and stays up', async () => {
    const raw = new grpc.Client(pair.url('Dave'), grpc.credentials.createInsecure());
    const answer = await new Promise<Buffer | undefined>((resolve, reject) =>
      raw.makeUnaryRequest(
        '/tempo.fastpay.v1.FastPaySidecar/SubmitFastPay',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from([0xff, 0xff, 0xff, 0x0f, 0x12]),
        (err, value) => (err ? reject(err) : resolve(value)),
      ),
    );
    raw.close();
    const decoded = fromBinary(SubmitFastPayResponseSchema, answer!);
    expect(decoded.result.case).toBe('reject');
    expect(decoded.result.value && 'code' in decoded.result.value ? decoded.result.value.code : -1).toBe(
      RejectCode.INVALID_FORMAT,
    );
    const tx = await buildPayment({ key: payer(906n), to: BOB, amount: 1n, nonceKey: 906n });
    const r = await rejectOf('Dave', { ...tx, tempoTx: fromHex('0x76c0ffee') });
    expect(r.code).toBe(RejectCode.INVALID_FORMAT);
    expect((await client('Dave').getValidatorInfo({})).validator?.name).toBe('Dave');
  });

  it('answers garbage bytes on the streaming submit with one INVALID_FORMAT reject event', async () => {
    const raw = new grpc.Client(pair.url('Dave'), grpc.credentials.createInsecure());
    const events: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = raw.makeServerStreamRequest(
        '/tempo.fastpay.v1.FastPaySidecar/SubmitFastPayStream',
        (b: Buffer) => b,
        (b: Buffer) => b,
        Buffer.from([0xff, 0xff, 0xff, 0x0f, 0x12]),
      );
      call.on('data', (b: Buffer) => events.push(b));
      call.on('error', reject);
      call.on('end', resolve);
    });
    raw.close();
    expect(events).toHaveLength(1);
    const event = fromBinary(SubmitFastPayEventSchema, events[0]!);
    expect(event.event.case).toBe('reject');
    expect(event.event.value && 'code' in event.event.value ? event.event.value.code : -1).toBe(
      RejectCode.INVALID_FORMAT,
    );
  });

  it('certifies a payment sent by a grpc-js client built at run time from proto/*.proto', async () => {
    const definition = protoLoader.loadSync('tempo/fastpay/v1/sidecar.proto', {
      includeDirs: [join(import.meta.dirname, '..', '..', 'proto')],
      longs: String,
      enums: Number,
      oneofs: true,
    });
    // biome-ignore lint/suspicious/noExplicitAny: proto-loader services are untyped.
    const Loaded = (grpc.loadPackageDefinition(definition) as any).tempo.fastpay.v1.FastPaySidecar;
    const loose = new Loaded(pair.url('Edgar'), grpc.credentials.createInsecure());
    const tx = await buildPayment({ key: payer(908n), to: BOB, amount: 3n, nonceKey: 908n });
    const payment = {
      sender: { data: Buffer.from(tx.intent!.sender!) },
      recipient: { data: Buffer.from(tx.intent!.recipient!) },
      amount: tx.intent!.amount.toString(),
      asset: { data: Buffer.from(tx.intent!.asset!) },
    };
    const request = {
      tx: {
        chainId: { value: '1337' },
        tempoTx: { data: Buffer.from(tx.tempoTx!) },
        intent: payment,
        overlay: { payment },
        nonce: { nonceKeyBe: Buffer.from(tx.nonce!.nonceKey), nonceSeq: '0' },
        expiry: tx.expiry?.kind === 'unixMillis' ? { unixMillis: tx.expiry.value.toString() } : undefined,
        tempoTxFormat: 2,
      },
    };
    // biome-ignore lint/suspicious/noExplicitAny: proto-loader responses are plain objects.
    const response: any = await new Promise((resolve, reject) =>
      loose.SubmitFastPay(request, (err: unknown, res: unknown) => (err ? reject(err) : resolve(res))),
    );
    loose.close();
    expect(response.result).toBe('cert');
    expect(response.cert.signer.name).toBe('Edgar');
    expect(response.cert.signature).toHaveLength(64);
  });

  it('releases the lock of a payment whose validBefore passed, so its sequence can carry another payment', async () => {
    const validBefore = BigInt(Math.floor(Date.now() / 1000) + 2);
    await certOf(
      'Dave',
      await buildPayment({ key: payer(909n), to: BOB, amount: 1n, nonceKey: 909n, validBefore }),
    );
    const replacement = await buildPayment({ key: payer(909n), to: CAROL, amount: 1n, nonceKey: 909n });
    expect((await rejectOf('Dave', replacement)).code).toBe(RejectCode.EQUIVOCATION);
    await new Promise((r) => setTimeout(r, 3500));
    expect((await certOf('Dave', replacement)).txHash).toHaveLength(32);
  });

  it('caps the bulletin board response server side', async () => {
    const board = await client('Dave').getBulletinBoard({ limit: 100_000 });
    expect(board.certs.length).toBeLessThanOrEqual(1000);
  });

  it('never equivocates across a kill -9: the conflicting tx after restart is EQUIVOCATION', async () => {
    const first = await buildPayment({ key: payer(907n), to: BOB, amount: 1n, nonceKey: 907n });
    const cert = await certOf('Dave', first);
    await pair.processes.get('Dave')!.kill();
    await pair.start(DAVE);
    connect();
    const conflicting = await buildPayment({ key: payer(907n), to: CAROL, amount: 2n, nonceKey: 907n });
    expect((await rejectOf('Dave', conflicting)).code).toBe(RejectCode.EQUIVOCATION);
    expect((await certOf('Dave', first)).signature).toEqual(cert.signature);
  }, 60_000);
});
