import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { FastPayAggregator } from '../../../gen/tempo/fastpay/v1/aggregator_pb.ts';
import { createWebSocketInspector } from '../../actors/inspector.ts';
import { PaymentSystem } from '../../actors/payment-system.ts';
import { createBlockReader } from '../../chain/block-transactions.ts';
import { createViemChain } from '../../chain/viem-chain.ts';
import { DEFAULT_RETRY_POLICY } from '../../client/retry-policy.ts';
import { toHex } from '../../protocol/bytes.ts';
import { quorumThreshold } from '../../protocol/committee.ts';
import { createNodeCryptoSuite } from '../../protocol/crypto/node-suite.ts';
import type { CryptoSuite } from '../../protocol/crypto/suite.ts';
import { openStore } from '../../store/open-store.ts';
import { grpcServerOptions } from '../../wire/grpc-limits.ts';
import { addService, listen, shutdownServer } from '../../wire/grpc-server.ts';
import { closeServer, serveHealthMetrics, splitHostPort } from '../http/health-metrics.ts';
import { sendJson } from '../http/json-body.ts';
import { Metrics } from '../http/metrics.ts';
import type { Logger } from '../logger.ts';
import { ServiceError } from '../service-error.ts';
import { BulletinBoard } from '../sidecar/bulletin-board.ts';
import { resolveCommittee } from '../sidecar/committee-source.ts';
import { Aggregator } from './aggregator.ts';
import type { AggregatorConfig } from './aggregator-config.ts';
import { type AggregatorMetrics, aggregatorMetrics } from './aggregator-metrics.ts';
import { aggregatorService } from './aggregator-service.ts';
import { ChainTracker } from './chain-tracker.ts';
import { PaymentRecords } from './payment-records.ts';
import { restApi } from './rest-api.ts';
import { closeSidecarLinks, openSidecarLinks } from './sidecar-links.ts';

/** A part of the aggregator's HTTP server contributed from above (GraphQL, the web page). */
export interface HttpMount {
  /** Answers the request and returns true, or returns false to let the next mount try. */
  handle?(req: IncomingMessage, res: ServerResponse): boolean | Promise<boolean>;
  /** Called once with the server before it listens (e.g. to accept WebSocket upgrades). */
  attach?(server: Server): void;
  close?(): Promise<void>;
}

/** What a mount may build on. */
export interface MountParts {
  readonly aggregator: Aggregator;
  readonly metrics: AggregatorMetrics;
  readonly suite: CryptoSuite;
}

export interface RunningAggregator {
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly aggregator: Aggregator;
  stop(): Promise<void>;
}

/** Verified certificates kept for the merged board (the reference's --max-total-certs default). */
const MAX_BOARD_CERTS = 50_000;
const MAX_BOARD_RESPONSE = 2_000;
const MIRROR_PAGE_SIZE = 1_000;

/**
 * Starts an aggregator (reference §9, with the §14 backend fixes): resolves the committee (file, or learned from
 * the sidecars and pinned), restores the payment actors and records from the store, mirrors the sidecars' boards,
 * follows the chain, and serves gRPC FastPayAggregator on `listen` and one HTTP server on `httpListen` with REST,
 * /metrics, /healthz and whatever `mounts` add (GraphQL and the web page come from the layer above).
 */
export async function startAggregator(
  config: AggregatorConfig,
  logger: Logger,
  mounts: (parts: MountParts) => HttpMount[] = () => [],
): Promise<RunningAggregator> {
  const suite = createNodeCryptoSuite();
  const store = await openStore(config.store);
  const cleanup: (() => Promise<void> | void)[] = [() => store.close()];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const step of [...cleanup].reverse()) await step();
    })());
  try {
    const committee = await resolveCommittee({
      chainId: config.chainId,
      epoch: config.epoch,
      peers: config.sidecars,
      store,
      logger,
      ...(config.committeeFile ? { committeeFile: config.committeeFile } : {}),
    });
    const links = openSidecarLinks(committee, config.sidecars);
    cleanup.push(() => closeSidecarLinks(links));
    const inspector = config.inspect ? createWebSocketInspector({ url: config.inspect }) : undefined;
    if (inspector) cleanup.push(() => inspector.stop());
    const registry = await PaymentSystem.open({
      store,
      ...(inspector ? { inspect: inspector.inspect } : {}),
    });
    cleanup.push(() => registry.close());

    const metrics = new Metrics();
    let aggregator: Aggregator | undefined;
    const aggMetrics = aggregatorMetrics(metrics, () => aggregator?.stageCounts() ?? new Map());
    aggregator = new Aggregator({
      suite,
      committee,
      links,
      registry,
      records: new PaymentRecords(store),
      board: new BulletinBoard({ maxTotalCerts: MAX_BOARD_CERTS, maxResponse: MAX_BOARD_RESPONSE }),
      policy: {
        ...DEFAULT_RETRY_POLICY,
        deadlineMs: config.submitDeadlineMs,
        attemptTimeoutMs: config.upstreamTimeoutMs,
      },
      mirror: { intervalMs: config.mirrorIntervalMs, pageSize: MIRROR_PAGE_SIZE },
      metrics: aggMetrics,
      logger,
      verifiesChain: config.rpcUrl !== undefined,
    });
    await aggregator.start();
    const running = aggregator;
    cleanup.push(() => running.close());

    const chain = config.rpcUrl ? await connectChain(config, config.rpcUrl) : undefined;
    if (chain) cleanup.push(() => chain.port.close());
    const tracker = new ChainTracker({
      aggregator,
      ...(chain ? { chain } : {}),
      links,
      store,
      finalityDepth: config.finalityDepth,
      headPollMs: config.headPollMs,
      logger,
    });
    await tracker.start();
    cleanup.push(() => tracker.stop());

    const server = new grpc.Server(grpcServerOptions());
    addService(server, FastPayAggregator, aggregatorService(aggregator, aggMetrics), {
      onUnexpectedError: (err, path) => logger.error({ err, path }, 'handler failed'),
    });
    cleanup.push(() => shutdownServer(server));
    const grpcPort = await listen(server, config.listen);

    const extra = mounts({ aggregator, metrics: aggMetrics, suite });
    cleanup.push(async () => {
      for (const mount of extra) await mount.close?.();
    });
    const rest = restApi(aggregator, suite, aggMetrics);
    const health = () => ({
      ok: running.head() !== undefined,
      head: running.head()?.height.toString() ?? null,
      validators: committee.members.length,
      threshold: quorumThreshold(committee),
      openPayments: running.openPayments().length,
    });
    const http = createServer((req, res) => {
      void (async () => {
        if (serveHealthMetrics({ metrics, health }, req, res) || (await rest(req, res))) return;
        for (const mount of extra) if (await mount.handle?.(req, res)) return;
        sendJson(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}` } });
      })().catch((error: unknown) => {
        logger.error({ err: error, url: req.url }, 'http handler failed');
        if (!res.headersSent) sendJson(res, 500, { error: { code: 'INTERNAL', message: 'internal error' } });
      });
    });
    for (const mount of extra) mount.attach?.(http);
    const { host, port } = splitHostPort(config.httpListen);
    http.listen(port, host);
    await once(http, 'listening');
    cleanup.push(() => closeServer(http));
    const httpPort = (http.address() as AddressInfo).port;
    logger.info(
      {
        grpcPort,
        httpPort,
        graphql: `http://${host}:${httpPort}/graphql`,
        validators: committee.members.map((m) => ({ name: m.name, id: toHex(m.id) })),
        verifiesChain: chain !== undefined,
      },
      'aggregator listening',
    );
    return { grpcPort, httpPort, aggregator, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The aggregator's own Tempo node, checked to serve `--chain-id`. */
async function connectChain(config: AggregatorConfig, rpcUrl: string) {
  const port = createViemChain({ rpcUrl, ...(config.wsUrl ? { wsUrl: config.wsUrl } : {}) });
  const chainId = await port.chainId().catch(async (error: unknown) => {
    await port.close();
    throw error;
  });
  if (chainId !== config.chainId) {
    await port.close();
    throw new ServiceError(
      'CONFIG',
      `--rpc-url serves chain id ${chainId}, not --chain-id ${config.chainId}`,
    );
  }
  return { port, reader: createBlockReader({ rpcUrl }) };
}
