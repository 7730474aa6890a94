import { status } from '@grpc/grpc-js';
import { FastPaySidecar } from '../../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import type { ValidatorCertificate as ValidatorCertificateMessage } from '../../../gen/tempo/fastpay/v1/types_pb.ts';
import { toHex } from '../../protocol/bytes.ts';
import { verifyCertificate } from '../../protocol/certificate.ts';
import type { Committee } from '../../protocol/committee.ts';
import type { CryptoSuite } from '../../protocol/crypto/suite.ts';
import { Backoff, type BackoffOptions, pause } from '../../util/backoff.ts';
import type { Logger } from '../../util/logger.ts';
import { validatorCertificateFromProto } from '../../wire/convert-certificate.ts';
import { createClient, type ServiceClient } from '../../wire/grpc-client.ts';
import { WireError } from '../../wire/wire-error.ts';
import type { BulletinBoard } from '../shared/bulletin-board.ts';
import { peerAddress } from '../shared/peer-address.ts';

/** A peer sidecar to pull from: `url` is `host:port` or `http://host:port`. */
export interface GossipPeer {
  readonly name?: string;
  readonly url: string;
}

export interface GossipOptions {
  readonly peers: readonly GossipPeer[];
  /** Only certificates that verify against this committee are ingested. */
  readonly committee: Committee;
  readonly suite: CryptoSuite;
  readonly board: BulletinBoard;
  /** Wait between pulls once a peer has nothing more (reference `--gossip-interval-ms`, default 1000). */
  readonly intervalMs: number;
  /** Certificates asked per pull (reference `--gossip-pull-limit`, default 512). */
  readonly pullLimit: number;
  readonly logger: Logger;
  /** Retry delays after a failed pull; default 250 ms doubling to 30 s. */
  readonly backoff?: BackoffOptions;
  /** Deadline of one pull; default 10 s. */
  readonly callTimeoutMs?: number;
}

/** Certificates gossip added to the board, and those it refused because they do not verify. */
export interface GossipCounts {
  readonly ingested: number;
  readonly rejected: number;
}

export interface Gossip {
  counts(): GossipCounts;
  /** Ends every pull loop and closes the peers' clients. */
  stop(): Promise<void>;
}

interface PeerPuller {
  readonly name: string;
  readonly client: ServiceClient<typeof FastPaySidecar>;
  readonly log: Logger;
}

/**
 * Pull gossip (reference §6.9, fixed per §14): one persistent client per peer pages through the peer's bulletin
 * board with its `next_cursor`, so no certificate is skipped however many share a millisecond; a full page is
 * followed at once, otherwise the next pull waits `intervalMs`. Every certificate not already held must verify
 * against the committee (signature, membership, chain and epoch) before it reaches the board; forgeries are
 * counted and logged. A failing peer is retried with exponential backoff; a refused cursor (the peer restarted)
 * restarts from the peer's first page.
 */
export function startGossip(options: GossipOptions): Gossip {
  const addresses = options.peers.map((peer) => peerAddress(peer.url));
  const controller = new AbortController();
  const counts = { ingested: 0, rejected: 0 };
  const loops = options.peers.map((peer, i) => {
    const address = addresses[i]!;
    const name = peer.name ?? address;
    const puller: PeerPuller = {
      name,
      client: createClient(FastPaySidecar, address),
      log: options.logger.child({ peer: name, address }),
    };
    return pullLoop(options, puller, counts, controller.signal).finally(() => puller.client.close());
  });
  return {
    counts: () => ({ ...counts }),
    async stop() {
      controller.abort();
      await Promise.all(loops);
    },
  };
}

async function pullLoop(
  options: GossipOptions,
  peer: PeerPuller,
  counts: { ingested: number; rejected: number },
  signal: AbortSignal,
): Promise<void> {
  const backoff = new Backoff(options.backoff);
  const timeoutMs = options.callTimeoutMs ?? 10_000;
  let cursor = '';
  let failing = false;
  while (!signal.aborted) {
    let page: { certs: ValidatorCertificateMessage[]; nextCursor: string };
    try {
      page = await peer.client.getBulletinBoard({ cursor, limit: options.pullLimit }, { signal, timeoutMs });
    } catch (error) {
      if (signal.aborted) return;
      if (cursor !== '' && error instanceof WireError && error.code === status.INVALID_ARGUMENT) {
        peer.log.info(
          { reason: error.message },
          'gossip cursor refused: pulling the peer board from the start',
        );
        cursor = '';
        continue;
      }
      failing = true;
      const retryInMs = backoff.next();
      peer.log.warn({ reason: String(error), retryInMs }, 'gossip pull failed');
      await pause(retryInMs, signal);
      continue;
    }
    if (failing) peer.log.info('gossip peer reachable again');
    failing = false;
    backoff.reset();
    const { ingested, rejected } = ingest(options, peer, page.certs);
    counts.ingested += ingested;
    counts.rejected += rejected;
    if (page.nextCursor !== '') cursor = page.nextCursor;
    const full = page.certs.length >= options.pullLimit && page.nextCursor !== '';
    if (!full) await pause(options.intervalMs, signal);
  }
}

/** Verifies and adds a page's new certificates; logs the refused ones once per page. */
function ingest(options: GossipOptions, peer: PeerPuller, messages: readonly ValidatorCertificateMessage[]) {
  let ingested = 0;
  let rejected = 0;
  let example: { txHash: string; problem: string } | undefined;
  for (const message of messages) {
    const cert = validatorCertificateFromProto(message);
    if (options.board.has(cert)) continue;
    const problem = verifyCertificate(options.suite, options.committee, cert);
    if (problem !== undefined) {
      rejected++;
      example ??= { txHash: toHex(cert.txHash), problem };
      continue;
    }
    if (options.board.add(cert)) ingested++;
  }
  if (rejected > 0) {
    peer.log.warn(
      { rejected, ...example },
      'gossip refused certificates that do not verify against the committee',
    );
  }
  if (ingested > 0) peer.log.debug({ ingested }, 'gossip ingested certificates');
  return { ingested, rejected };
}
