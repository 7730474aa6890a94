import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FastPayAggregator } from '../../gen/tempo/fastpay/v1/aggregator_pb.ts';
import { toHex } from '../../src/protocol/bytes.ts';
import { verifyQuorumCertificate } from '../../src/protocol/quorum.ts';
import {
  type AggregatorProcess,
  startAggregatorProcess,
} from '../../src/services/aggregator/aggregator-process.ts';
import { quorumCertificateFromProto } from '../../src/wire/convert-certificate.ts';
import { createClient } from '../../src/wire/grpc-client.ts';
import { boardCert, txHashOf } from '../support/board-certs.ts';
import { type BoardPeer, startBoardPeer } from '../support/board-peer.ts';
import { DAVE, EDGAR } from '../support/demo-keys.ts';
import { eventually } from '../support/eventually.ts';
import { gql } from '../support/graphql-client.ts';
import { pidAlive } from '../support/pid-alive.ts';
import { committeeOf, suite } from '../support/validator-harness.ts';

const PAYMENT = `query ($t: Hex!) {
  payment(txHash: $t) { stage certificates { validator { name } } quorumCertificate { qcHash } }
}`;

let dave: BoardPeer;
let edgar: BoardPeer;
let agg: AggregatorProcess;
let dir: string;

beforeAll(async () => {
  dave = await startBoardPeer(DAVE);
  edgar = await startBoardPeer(EDGAR);
  const forged = {
    ...boardCert(DAVE, 1),
    signer: { name: EDGAR.name, id: EDGAR.id, pubkey: new Uint8Array() },
  };
  const genuine = boardCert(DAVE, 3);
  const tampered = { ...genuine, effects: { ...genuine.effects!, amount: 1_000_000n } };
  for (const cert of [boardCert(DAVE, 1), forged, boardCert(DAVE, 2), tampered]) dave.board.add(cert);
  edgar.board.add(boardCert(EDGAR, 2));
  dir = await mkdtemp(join(tmpdir(), 'allegro-agg-committee-'));
  const committeeFile = join(dir, 'committee.json');
  const member = (v: typeof DAVE, url: string) => ({
    name: v.name,
    validatorId: toHex(v.id),
    publicKey: toHex(suite.ed25519.signer(v.seed).publicKey),
    url,
  });
  const members = [member(DAVE, dave.address), member(EDGAR, edgar.address)];
  await writeFile(committeeFile, JSON.stringify({ chainId: '1337', epoch: '1', members }));
  agg = await startAggregatorProcess(
    [
      '--committee',
      committeeFile,
      '--listen',
      '127.0.0.1:0',
      '--http-listen',
      '127.0.0.1:0',
      '--store',
      'memory',
      '--mirror-interval-ms',
      '100',
      '--head-poll-ms',
      '200',
    ],
    { env: { ...process.env, ALLEGRO_LOG_LEVEL: 'info' } },
  );
}, 60_000);

afterAll(async () => {
  await agg?.stop();
  await dave?.stop();
  await edgar?.stop();
  if (agg) expect(pidAlive(agg.pid)).toBe(false);
  await rm(dir, { recursive: true, force: true });
});

describe('aggregator (committee from a file naming the sidecar URLs) counts only certificates that verify', () => {
  it('mirrors the boards: a forged signature and a tampered effects summary are refused, a true quorum forms a QC', async () => {
    type Payment = {
      stage: string;
      certificates: { validator: { name: string } }[];
      quorumCertificate: { qcHash: string } | null;
    };
    const paymentOf = async (n: number) =>
      (await gql<{ payment: Payment | null }>(agg.graphqlUrl, PAYMENT, { t: toHex(txHashOf(n)) })).data!
        .payment;

    const qcPayment = await eventually(async () => {
      const p = await paymentOf(2);
      expect(p?.stage).toBe('QC_FORMED');
      return p!;
    }, 10_000);
    expect(qcPayment.certificates.map((c) => c.validator.name).sort()).toEqual(['Dave', 'Edgar']);

    const half = await paymentOf(1);
    expect(half).toMatchObject({ stage: 'CERTIFIED', quorumCertificate: null });
    expect(half!.certificates.map((c) => c.validator.name)).toEqual(['Dave']);
    expect(await paymentOf(3)).toBeNull();

    const metrics = await (await fetch(`${agg.httpUrl}/metrics`)).text();
    const forged = [...metrics.matchAll(/allegro_aggregator_forged_certificates_total\{[^}]*\} (\d+)/g)];
    expect(forged.reduce((sum, m) => sum + Number(m[1]), 0)).toBe(2);
  });

  it('gRPC: GetTxStatus and GetQuorumCertificate agree (no QC from one signature plus a forgery; a verifying QC for two)', async () => {
    const client = createClient(FastPayAggregator, `127.0.0.1:${agg.grpcPort}`);
    try {
      const one = await client.getTxStatus({ txHash: txHashOf(1) });
      expect(one.qcFormed).toBe(false);
      expect(one.certs).toHaveLength(1);
      const refused = await client.getQuorumCertificate({ txHash: txHashOf(1), threshold: 0 });
      expect(refused.result.case).toBe('reject');
      const qc = await client.getQuorumCertificate({ txHash: txHashOf(2), threshold: 0 });
      if (qc.result.case !== 'qc') throw new Error('expected a QC');
      const verified = verifyQuorumCertificate(
        suite,
        committeeOf([DAVE, EDGAR]),
        quorumCertificateFromProto(qc.result.value),
      );
      expect(verified.ok).toBe(true);
      const board = await client.getBulletinBoard({});
      expect(board.certs).toHaveLength(3);
    } finally {
      client.close();
    }
  });
});
