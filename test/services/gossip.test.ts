import { status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import { repeatByte } from '../../src/protocol/bytes.ts';
import type { ValidatorCertificate } from '../../src/protocol/types.ts';
import { freePort } from '../../src/services/free-port.ts';
import { ServiceError } from '../../src/services/service-error.ts';
import { BulletinBoard } from '../../src/services/shared/bulletin-board.ts';
import { type Gossip, type GossipOptions, startGossip } from '../../src/services/sidecar/gossip.ts';
import { createLogger } from '../../src/util/logger.ts';
import { createClient } from '../../src/wire/grpc-client.ts';
import { WireError } from '../../src/wire/wire-error.ts';
import { boardCert } from '../support/board-certs.ts';
import { type BoardPeer, Running } from '../support/board-peer.ts';
import { capturedLogger } from '../support/captured-logger.ts';
import { DAVE, EDGAR } from '../support/demo-keys.ts';
import { eventually } from '../support/eventually.ts';
import { committeeOf, suite } from '../support/validator-harness.ts';

const committee = committeeOf([DAVE, EDGAR]);
const MALLORY = { name: 'Mallory', id: repeatByte(0x66, 32), seed: repeatByte(0x66, 32) };
const silent = createLogger('gossip-test', 'silent');

const running = new Running();
afterEach(() => running.stopAll());
const peer = running.peer.bind(running);

function gossip(board: BulletinBoard, peers: BoardPeer[], options: Partial<GossipOptions> = {}): Gossip {
  return running.track(
    startGossip({
      peers: peers.map((p) => ({ url: `http://${p.address}` })),
      committee,
      suite,
      board,
      intervalMs: 30,
      pullLimit: 7,
      logger: silent,
      backoff: { initialMs: 20, maxMs: 200 },
      ...options,
    }),
  );
}

/** A board's whole content in insertion order. */
function contents(board: BulletinBoard): ValidatorCertificate[] {
  const page = board.query({ limit: 0 });
  if (!page.ok) throw new Error(page.message);
  return [...page.certs];
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('gossip over gRPC on 127.0.0.1 (reference §6.9, fixed per §14)', () => {
  it('copies a peer board page by page, in order, without skipping certificates of one millisecond', async () => {
    const edgar = await peer(EDGAR);
    for (let n = 0; n < 25; n++) {
      edgar.board.add(boardCert(EDGAR, n));
      edgar.board.add(boardCert(DAVE, n));
    }
    const local = new BulletinBoard();
    const g = gossip(local, [edgar]);
    await eventually(() => expect(local.size).toBe(50));
    expect(contents(local)).toEqual(contents(edgar.board));

    for (let n = 25; n < 28; n++) edgar.board.add(boardCert(EDGAR, n));
    await eventually(() => expect(local.size).toBe(53));
    expect(contents(local)).toEqual(contents(edgar.board));
    expect(g.counts()).toEqual({ ingested: 53, rejected: 0 });
  });

  it('syncs two sidecars both ways until each board holds every certificate', async () => {
    const dave = await peer(DAVE);
    const edgar = await peer(EDGAR);
    gossip(dave.board, [edgar]);
    gossip(edgar.board, [dave]);
    for (let n = 0; n < 10; n++) dave.board.add(boardCert(DAVE, n));
    for (let n = 5; n < 15; n++) edgar.board.add(boardCert(EDGAR, n));
    await eventually(() => {
      expect(dave.board.size).toBe(20);
      expect(edgar.board.size).toBe(20);
    });
  });

  it('ingests only certificates that verify against the committee, counting and logging forgeries', async () => {
    const edgar = await peer(EDGAR);
    const valid = boardCert(EDGAR, 1);
    const badSignature = boardCert(EDGAR, 2);
    badSignature.signature[0]! ^= 1;
    const outsider = boardCert(MALLORY, 3);
    const wrongChain = boardCert(EDGAR, 4, { chainId: 1n });
    const edgarPosingAsDave = { ...boardCert(EDGAR, 5), signer: { ...boardCert(DAVE, 5).signer! } };
    for (const cert of [badSignature, outsider, valid, wrongChain, edgarPosingAsDave]) edgar.board.add(cert);

    const { logger, lines } = capturedLogger();
    const local = new BulletinBoard();
    const g = gossip(local, [edgar], { logger });
    await eventually(() => expect(g.counts()).toEqual({ ingested: 1, rejected: 4 }));
    await wait(150);
    expect(g.counts()).toEqual({ ingested: 1, rejected: 4 });
    expect(contents(local)).toEqual([valid]);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        rejected: 4,
        msg: 'gossip refused certificates that do not verify against the committee',
      }),
    );
  });

  it('keeps pulling after the peer goes down and comes back on the same port', async () => {
    const edgar = await peer(EDGAR);
    const { logger, lines } = capturedLogger();
    const local = new BulletinBoard();
    gossip(local, [edgar], { logger });
    edgar.board.add(boardCert(EDGAR, 1));
    await eventually(() => expect(local.size).toBe(1));

    await edgar.stop();
    edgar.board.add(boardCert(EDGAR, 2));
    await eventually(() => expect(lines.some((l) => l.msg === 'gossip pull failed')).toBe(true));
    await peer(EDGAR, { board: edgar.board, port: edgar.port });
    await eventually(() => expect(contents(local)).toEqual(contents(edgar.board)), 20_000);
    expect(lines.some((l) => l.msg === 'gossip peer reachable again')).toBe(true);
  });

  it('pages again from the start when the peer restarted and refuses the old cursor', async () => {
    const before = await peer(EDGAR);
    before.board.add(boardCert(EDGAR, 1));
    const local = new BulletinBoard();
    const g = gossip(local, [before]);
    await eventually(() => expect(local.size).toBe(1));

    await before.stop();
    const after = await peer(EDGAR, { port: before.port });
    for (let n = 1; n <= 3; n++) after.board.add(boardCert(EDGAR, n));
    await eventually(() => expect(local.size).toBe(3), 20_000);
    expect(g.counts()).toEqual({ ingested: 3, rejected: 0 });
  });

  it('answers a refused cursor with INVALID_ARGUMENT over gRPC', async () => {
    const edgar = await peer(EDGAR);
    const client = createClient(FastPaySidecar, edgar.address);
    try {
      const error = await client.getBulletinBoard({ cursor: 'not-a-cursor' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WireError);
      expect((error as WireError).code).toBe(status.INVALID_ARGUMENT);
      expect((error as WireError).message).toMatch(/malformed bulletin board cursor/);
    } finally {
      client.close();
    }
  });

  it('stops promptly even while backing off from an unreachable peer, and pulls nothing after', async () => {
    const port = await freePort();
    const local = new BulletinBoard();
    const g = startGossip({
      peers: [{ name: 'nobody', url: `127.0.0.1:${port}` }],
      committee,
      suite,
      board: local,
      intervalMs: 30,
      pullLimit: 7,
      logger: silent,
      backoff: { initialMs: 60_000 },
    });
    await wait(100);
    const started = Date.now();
    await g.stop();
    // Far below the 60 s backoff it was sleeping in, and far above what a loaded machine adds.
    expect(Date.now() - started).toBeLessThan(10_000);

    const edgar = await peer(EDGAR);
    const stopped = gossip(local, [edgar]);
    await stopped.stop();
    edgar.board.add(boardCert(EDGAR, 1));
    await wait(150);
    expect(local.size).toBe(0);
  });

  it('refuses a peer URL that is not host:port or http://host:port before connecting anywhere', () => {
    for (const url of ['https://127.0.0.1:1', '127.0.0.1', 'http://127.0.0.1:99999', 'grpc://x:1']) {
      expect(() =>
        startGossip({
          peers: [{ url }],
          committee,
          suite,
          board: new BulletinBoard(),
          intervalMs: 30,
          pullLimit: 7,
          logger: silent,
        }),
      ).toThrow(ServiceError);
    }
  });
});
