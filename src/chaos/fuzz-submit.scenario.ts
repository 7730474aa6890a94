import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { Client, credentials, status as grpcStatus, Metadata, type ServiceError } from '@grpc/grpc-js';
import fc from 'fast-check';
import {
  SubmitFastPayRequestSchema,
  SubmitFastPayResponseSchema,
} from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import { processRssMiB } from '../bench/process-rss.ts';
import { makeFixtures } from '../bench/protocol-bench.ts';
import { toHex } from '../protocol/bytes.ts';
import { submitRequestToProto } from '../wire/convert-request.ts';
import type { ChaosScenario } from './chaos-scenario.ts';
import { startStandaloneSidecar } from './standalone-sidecar.ts';

const METHOD = '/tempo.fastpay.v1.FastPaySidecar/SubmitFastPay';
const DEADLINE_MS = 10_000;
const IN_FLIGHT = 32;

/** Byte-level mutations of any buffer: flip, truncate, insert, overwrite, or replace it altogether. */
const byteMutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 16 }) }),
  fc.record({
    kind: fc.constant('overwrite' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 512 }) }),
);
type ByteMutation = typeof byteMutation extends fc.Arbitrary<infer T> ? T : never;

function mutateBytes(input: Uint8Array, m: ByteMutation): Uint8Array {
  if (m.kind === 'random') return m.bytes;
  const at = input.length === 0 ? 0 : m.at % input.length;
  if (m.kind === 'flip') {
    const out = input.slice();
    if (out.length > 0) out[at]! ^= 1 << m.bit;
    return out;
  }
  if (m.kind === 'truncate') return input.slice(0, at);
  if (m.kind === 'insert') return new Uint8Array([...input.slice(0, at), ...m.bytes, ...input.slice(at)]);
  const out = input.slice();
  out.set(m.bytes.slice(0, Math.max(0, out.length - at)), at);
  return out;
}

/**
 * Mutations that know the message: the signed tx's RLP bytes (inside the protobuf), the wrapper's u64 fields
 * (to edge values), the nonce key's length, a parent QC hash of the wrong length, the message repeated (protobuf
 * merges it), or the raw protobuf bytes.
 */
const requestMutation = fc.oneof(
  fc.record({ target: fc.constant('rlp' as const), m: byteMutation }),
  fc.record({
    target: fc.constant('u64' as const),
    field: fc.constantFrom('chainId', 'seq', 'expiry'),
    value: fc.constantFrom(0n, 1n, 2n ** 63n, 2n ** 64n - 1n),
  }),
  fc.record({ target: fc.constant('nonceKey' as const), bytes: fc.uint8Array({ maxLength: 64 }) }),
  fc.record({ target: fc.constant('parentQcHash' as const), bytes: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ target: fc.constant('repeat' as const), times: fc.integer({ min: 2, max: 4 }) }),
  fc.record({ target: fc.constant('protobuf' as const), m: byteMutation }),
);
type RequestMutation = typeof requestMutation extends fc.Arbitrary<infer T> ? T : never;

function mutateRequest(bytes: Uint8Array, m: RequestMutation): Uint8Array {
  if (m.target === 'protobuf') return mutateBytes(bytes, m.m);
  if (m.target === 'repeat') return new Uint8Array(Array.from({ length: m.times }, () => [...bytes]).flat());
  const req = fromBinary(SubmitFastPayRequestSchema, bytes);
  const tx = req.tx!;
  if (m.target === 'rlp' && tx.tempoTx) tx.tempoTx.data = mutateBytes(tx.tempoTx.data, m.m);
  if (m.target === 'nonceKey' && tx.nonce) tx.nonce.nonceKeyBe = m.bytes;
  if (m.target === 'parentQcHash') tx.parentQcHash = m.bytes;
  if (m.target === 'u64') {
    if (m.field === 'chainId' && tx.chainId) tx.chainId.value = m.value;
    if (m.field === 'seq' && tx.nonce) tx.nonce.nonceSeq = m.value;
    if (m.field === 'expiry')
      tx.expiry = { $typeName: 'tempo.fastpay.v1.Expiry', kind: { case: 'unixMillis', value: m.value } };
  }
  return toBinary(SubmitFastPayRequestSchema, req);
}

type Answer = 'reject' | 'cert' | 'grpc-error' | 'hang' | 'undecodable';

/** The answer's kind, and for a certificate the tx hash it certifies. */
function call(client: Client, body: Uint8Array, certified: Set<string>): Promise<Answer> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      METHOD,
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => b,
      body,
      new Metadata(),
      { deadline: Date.now() + DEADLINE_MS },
      (error: ServiceError | null, reply?: Buffer) => {
        if (error) return resolve(error.code === grpcStatus.DEADLINE_EXCEEDED ? 'hang' : 'grpc-error');
        try {
          const answer = fromBinary(SubmitFastPayResponseSchema, reply!);
          if (answer.result.case === 'cert') certified.add(toHex(answer.result.value.txHash));
          resolve(
            answer.result.case === 'reject'
              ? 'reject'
              : answer.result.case === 'cert'
                ? 'cert'
                : 'undecodable',
          );
        } catch {
          resolve('undecodable');
        }
      },
    );
  });
}

/**
 * Fuzz: malformed SubmitFastPay requests (protobuf- and RLP-aware mutations of valid payments, fast-check, fixed
 * seed) against one standalone sidecar process. Survived when the process never exits, no call hangs past its
 * deadline, every answer is a reject (a mutation that still is a valid payment may be certified once; an
 * undecodable protobuf is refused by gRPC itself) and RSS is flat.
 */
export const fuzzSubmitScenario: ChaosScenario = {
  name: 'fuzz',
  async run(scale, log) {
    const total = scale === 'full' ? 1_000_000 : 20_000;
    const fixtures = makeFixtures(16, () => undefined);
    const bases = fixtures.map((f) => {
      return { bytes: toBinary(SubmitFastPayRequestSchema, submitRequestToProto(f.request)) };
    });
    const dir = await mkdtemp(join(tmpdir(), 'allegro-chaos-fuzz-'));
    const sidecar = await startStandaloneSidecar(
      dir,
      `lmdb:${join(dir, 'store')}`,
      fixtures.map((f) => f.sender),
    );
    const client = new Client(sidecar.url, credentials.createInsecure());
    const counts: Record<Answer, number> = { reject: 0, cert: 0, 'grpc-error': 0, hang: 0, undecodable: 0 };
    const rss: { x: number; y: number }[] = [];
    const certified = new Set<string>();
    const originals = new Set<string>();
    let crashed = false;
    void sidecar.exited.then(() => {
      crashed = true;
    });
    try {
      for (const base of bases) await call(client, base.bytes, originals);
      const batch = 2000;
      let sent = 0;
      let seed = 14;
      while (sent < total && !crashed) {
        const mutations = fc.sample(fc.tuple(fc.nat(bases.length - 1), requestMutation), {
          numRuns: batch,
          seed: seed++,
        });
        let next = 0;
        await Promise.all(
          Array.from({ length: IN_FLIGHT }, async () => {
            while (next < mutations.length && !crashed) {
              const [i, m] = mutations[next++]!;
              const base = bases[i]!;
              counts[await call(client, mutateRequest(base.bytes, m), certified)]++;
            }
          }),
        );
        sent += mutations.length;
        const now = await processRssMiB(sidecar.pid);
        if (now !== undefined) rss.push({ x: sent, y: now });
        if (sent % (total / 10) < batch)
          log(`${sent}/${total} sent, ${JSON.stringify(counts)}, RSS ${now?.toFixed(0)} MiB`);
      }
      const half = rss.filter((p) => p.x >= total / 2);
      const growth = half.length > 1 ? half.at(-1)!.y - half[0]!.y : 0;
      const ok =
        !crashed &&
        counts.hang === 0 &&
        counts.undecodable === 0 &&
        [...certified].every((h) => originals.has(h)) &&
        growth < 32;
      return {
        scenario: 'fuzz SubmitFastPay',
        fault: `${total.toLocaleString('en-US')} malformed requests (protobuf and RLP mutations)`,
        ok,
        figures: `${crashed ? 'CRASHED' : '0 crashes'}, ${counts.hang} hangs, ${counts.reject + counts['grpc-error']} rejects (${counts['grpc-error']} by gRPC), ${counts.cert} answers re-certified one of the ${originals.size} valid originals, ${[...certified].filter((h) => !originals.has(h)).length} other certificates, RSS ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MiB over the second half`,
        details: { total, counts, rss },
      };
    } finally {
      client.close();
      await sidecar.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
