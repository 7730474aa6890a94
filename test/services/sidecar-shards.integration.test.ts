import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastPaySidecar, type SubmitFastPayResponse } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import { toHex } from '../../src/protocol/bytes.ts';
import { verifyCertificate } from '../../src/protocol/certificate.ts';
import type { Committee } from '../../src/protocol/committee.ts';
import { createNodeCryptoSuite } from '../../src/protocol/crypto/node-suite.ts';
import { assembleQuorumCertificate } from '../../src/protocol/quorum.ts';
import { RejectCode } from '../../src/protocol/reject.ts';
import type { FastPayTx, QuorumCertificate, ValidatorCertificate } from '../../src/protocol/types.ts';
import { type SidecarProcess, startSidecarProcess } from '../../src/services/sidecar/sidecar-process.ts';
import { validatorCertificateFromProto } from '../../src/wire/convert-certificate.ts';
import { submitRequestToProto } from '../../src/wire/convert-request.ts';
import { createClient } from '../../src/wire/grpc-client.ts';
import { ALICE, BOB, BOB_KEY, CAROL, CAROL_KEY, DAVE } from '../support/demo-keys.ts';
import { buildPayment } from '../support/payment-builder.ts';
import { pidAlive } from '../support/pid-alive.ts';
import { type RedisServer, startRedisServer } from '../support/redis-server.ts';

const suite = createNodeCryptoSuite();
const DOLLAR = 1_000_000n;
/** Each shard's store: the Redis store keeps a shard in two keys, `<prefix>data` and `<prefix>keys`; the hash tag puts both in one cluster slot. */
const prefixOf = (shard: number) => `{dave-shard-${shard}}:`;

let redis: RedisServer;
const shards: SidecarProcess[] = [];
let clients: ReturnType<typeof createClient<typeof FastPaySidecar>>[] = [];
let committee: Committee;

/** The router: a payment goes to the shard of its sender, here by the parity of the sender's first byte. */
const shardOf = (sender: Uint8Array) => sender[0]! % 2;

function route(
  tx: FastPayTx,
  parents: { qcs: QuorumCertificate[]; txs: FastPayTx[] } = { qcs: [], txs: [] },
) {
  const sender = tx.overlay?.payment?.sender ?? tx.intent?.sender;
  return clients[shardOf(sender!)]!.submitFastPay(
    submitRequestToProto({ tx, parentQcs: parents.qcs, parentTxs: parents.txs }),
  );
}

function certOf(response: SubmitFastPayResponse): ValidatorCertificate {
  if (response.result.case !== 'cert') throw new Error(`expected a certificate: ${JSON.stringify(response)}`);
  return validatorCertificateFromProto(response.result.value);
}

beforeAll(async () => {
  redis = await startRedisServer({ appendonly: true, appendfsync: 'always' });
  for (const shard of [0, 1]) {
    shards.push(
      await startSidecarProcess([
        ...['--name', 'Dave', '--listen', '127.0.0.1:0'],
        ...['--seed', toHex(DAVE.seed).slice(2), '--validator-id', toHex(DAVE.id).slice(2)],
        ...['--demo-balances', '--allow-small-committee'],
        ...['--store', `${redis.url}?prefix=${prefixOf(shard)}`],
      ]),
    );
  }
  clients = shards.map((s) => createClient(FastPaySidecar, s.url));
  const info = await clients[0]!.getValidatorInfo({});
  committee = {
    chainId: 1337n,
    epoch: 1n,
    members: [{ name: 'Dave', id: DAVE.id, publicKey: info.validator!.pubkey }],
  };
}, 120_000);

afterAll(async () => {
  for (const c of clients) c.close();
  const pids = shards.map((s) => s.pid);
  await Promise.all(shards.map((s) => s.stop()));
  await redis?.stop();
  for (const pid of pids) expect(pidAlive(pid)).toBe(false);
});

describe('one validator as two sidecar shards by sender over one Redis', () => {
  it("certifies each sender's payment on its own shard with the one validator key, and a credit across shards from the parent's QC", async () => {
    expect(shardOf(CAROL)).toBe(0);
    expect(shardOf(BOB)).toBe(1);
    const shardInfo = await clients[1]!.getValidatorInfo({});
    expect(shardInfo.validator?.pubkey).toEqual(committee.members[0]!.publicKey);

    const validBefore = BigInt(Math.floor(Date.now() / 1000) + 600);
    const parent = await buildPayment({ key: CAROL_KEY, to: BOB, amount: 4n * DOLLAR, validBefore });
    const parentCert = certOf(await route(parent));
    expect(verifyCertificate(suite, committee, parentCert)).toBeUndefined();
    const qc = assembleQuorumCertificate(suite, committee, [parentCert]);
    if (!qc) throw new Error('no QC');

    const child = (amount: bigint, withParent: boolean) =>
      buildPayment({
        key: BOB_KEY,
        to: ALICE,
        amount,
        validBefore,
        ...(withParent ? { parentQcHash: qc.qcHash } : {}),
      });
    const alone = await route(await child(8n * DOLLAR, false));
    expect(alone.result.case === 'reject' && alone.result.value.code).toBe(RejectCode.INSUFFICIENT_FUNDS);
    const credited = certOf(await route(await child(8n * DOLLAR, true), { qcs: [qc], txs: [parent] }));
    expect(verifyCertificate(suite, committee, credited)).toBeUndefined();

    const store = new Redis(redis.port, '127.0.0.1', { lazyConnect: true });
    try {
      await store.connect();
      const locks = async (shard: number) =>
        (await store.hkeys(`${prefixOf(shard)}data`)).filter((k) => k.startsWith('lock/'));
      expect(await locks(0)).toEqual([`lock/${toHex(parentCert.txHash)}`]);
      expect(await locks(1)).toEqual([`lock/${toHex(credited.txHash)}`]);
    } finally {
      store.disconnect();
    }
  });
});
