import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import * as grpc from '@grpc/grpc-js';
import { FastPayAggregator } from '../../../gen/tempo/fastpay/v1/aggregator_pb.ts';
import { ChainWatcher } from '../../actors/chain-watcher.ts';
import { createWebSocketInspector } from '../../actors/inspector.ts';
import { PaymentSystem } from '../../actors/payment-system.ts';
import { sidecarHeads } from '../../actors/sidecar-heads.ts';
import type { ChainPort } from '../../chain/chain-port.ts';
import { nodeHeadSource, SIDECAR_HEAD_SOURCE } from '../../chain/head-source.ts';
import { createViemChain } from '../../chain/viem-chain.ts';
import { DEFAULT_RETRY_POLICY } from '../../client/retry-policy.ts';
import { toHex } from '../../protocol/bytes.ts';
import { faultTolerance, quorumThreshold } from '../../protocol/committee.ts';
import { createNodeCryptoSuite } from '../../protocol/crypto/node-suite.ts';
import { rememberingVerifies } from '../../protocol/crypto/remembered-verifies.ts';
import type { CryptoSuite } from '../../protocol/crypto/suite.ts';
import { openStore } from '../../store/open-store.ts';
import type { Store } from '../../store/store.ts';
import type { Logger } from '../../util/logger.ts';
import { connectivityOf } from '../../wire/grpc-client.ts';
import { grpcServerOptions } from '../../wire/grpc-limits.ts';
import { addService, listen, shutdownServer } from '../../wire/grpc-server.ts';
import { splitHostPort } from '../http/health-metrics.ts';
import { Metrics } from '../http/metrics.ts';
import { ServiceError } from '../service-error.ts';
import { BulletinBoard } from '../shared/bulletin-board.ts';
import { resolveCommittee } from '../shared/committee-source.ts';
import { closeSidecarLinks, openSidecarLinks } from '../shared/sidecar-links.ts';
import { Aggregator } from './aggregator.ts';
import type { AggregatorConfig } from './aggregator-config.ts';
import { startAggregatorHttp } from './aggregator-http.ts';
import { type AggregatorMetrics, aggregatorMetrics, observeStageTimes } from './aggregator-metrics.ts';
import { aggregatorService } from './aggregator-service.ts';
import { restApi } from './rest-api.ts';

/** A part of the aggregator's HTTP server contributed from above (GraphQL, the web page). */
export interface HttpMount {
  /** Answers the request and returns true, or returns false to let the next mount try. */
  handle?(req: IncomingMessage, res: ServerResponse): boolean | Promise<boolean>;
  /** Called once with the server (listening already) e.g. to accept WebSocket upgrades. */
  attach?(server: Server): void;
  /** Fields this mount adds to /healthz; must answer in O(1). */
  health?(): Readonly<Record<string, unknown>>;
  close?(): Promise<void>;
}

/** What a mount may build on. */
export interface MountParts {
  readonly aggregator: Aggregator;
  readonly metrics: AggregatorMetrics;
  /** The Prometheus registry, for a mount's own series. */
  readonly registry: Metrics;
  readonly logger: Logger;
  readonly suite: CryptoSuite;
  /** The aggregator's own Tempo node (`rpcUrl`), for chain reads the API answers. */
  readonly chain?: ChainPort;
  /** Started for a development chain (`devnetAccounts`). */
  readonly devnet: boolean;
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
/** Valid certificate signatures remembered (bounded: about 1 MB). */
const REMEMBERED_SIGNATURES = 4_096;
/** Key prefix of the payment records earlier versions kept beside the snapshots. */
const LEGACY_RECORD_PREFIX = 'aggregator/payment/';
/** Store key of the chain watcher's last scanned block height. */
const SCANNED_KEY = 'aggregator/chain/scanned';

/**
 * Starts an aggregator (reference §9, with the §14 backend fixes). Its HTTP server on `httpListen` comes up first,
 * so /healthz says what startup waits for; then it resolves the committee (file, or learned from the sidecars and
 * pinned), restores the payment actors and records from the store, mirrors the sidecars' boards, follows the
 * chain, serves gRPC FastPayAggregator on `listen`, and serves on HTTP REST, /metrics, /healthz and whatever
 * `mounts` add (GraphQL and the web page come from the layer above).
 */
export async function startAggregator(
  config: AggregatorConfig,
  logger: Logger,
  mounts: (parts: MountParts) => HttpMount[] = () => [],
): Promise<RunningAggregator> {
  // A certificate is verified as a sidecar's board or stream brings it and again inside the QC that cites it.
  const suite = rememberingVerifies(createNodeCryptoSuite(), REMEMBERED_SIGNATURES);
  const metrics = new Metrics();
  const http = await startAggregatorHttp({
    listen: config.httpListen,
    metrics,
    logger,
    ...(config.corsOrigins ? { corsOrigins: config.corsOrigins } : {}),
  });
  const cleanup: (() => Promise<void> | void)[] = [() => http.close()];
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      for (const step of [...cleanup].reverse()) await step();
    })());
  try {
    http.starting('opening the store');
    const store = await openStore(config.store);
    cleanup.push(() => store.close());
    await refuseSeparateRecords(store, config.store);
    http.starting(
      config.committeeFile
        ? 'committee: reading the committee file'
        : 'committee: learning it from the sidecars (none answered yet)',
    );
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
    http.starting('restoring the payment actors');
    const registry = await PaymentSystem.open({
      store,
      ...(inspector ? { inspect: inspector.inspect } : {}),
      ...(config.retainFinished ? { retainFinished: config.retainFinished } : {}),
    });
    cleanup.push(() => registry.close());

    let aggregator: Aggregator | undefined;
    const aggMetrics = aggregatorMetrics(metrics, () => aggregator?.stageCounts() ?? new Map());
    aggregator = new Aggregator({
      suite,
      committee,
      links,
      registry,
      board: new BulletinBoard({ maxTotalCerts: MAX_BOARD_CERTS, maxResponse: MAX_BOARD_RESPONSE }),
      policy: {
        ...DEFAULT_RETRY_POLICY,
        deadlineMs: config.submitDeadlineMs,
        attemptTimeoutMs: config.upstreamTimeoutMs,
      },
      mirror: { intervalMs: config.mirrorIntervalMs, pageSize: MIRROR_PAGE_SIZE },
      metrics: aggMetrics,
      logger,
      headSource: config.rpcUrl
        ? nodeHeadSource({ rpcUrl: config.rpcUrl, ...(config.wsUrl ? { wsUrl: config.wsUrl } : {}) })
        : SIDECAR_HEAD_SOURCE,
    });
    http.starting('mirroring the sidecars');
    await aggregator.start();
    const running = aggregator;
    cleanup.push(() => running.close());
    const unobserve = running.subscribe(observeStageTimes(aggMetrics));
    cleanup.push(unobserve);

    http.starting('connecting to the chain');
    const chain = config.rpcUrl ? await connectChain(config, config.rpcUrl) : undefined;
    if (chain) cleanup.push(() => chain.close());
    const watcher = new ChainWatcher({
      payments: aggregator,
      heads:
        chain ??
        sidecarHeads(
          links.map((l) => l.client),
          faultTolerance(committee),
          config.headPollMs,
        ),
      ...(chain ? { chain } : {}),
      scanned: { store, key: SCANNED_KEY },
      finalityDepth: config.finalityDepth,
      ...(config.maxExpiryMs ? { maxExpiryMs: config.maxExpiryMs } : {}),
      // Without a chain, heads fail while fewer than f+1 sidecars answer: expected, so only a debug line.
      onError: (error, what) =>
        chain || what !== 'chain heads'
          ? logger.warn({ reason: error.message }, what)
          : logger.debug({ reason: error.message }, what),
    });
    await watcher.start();
    cleanup.push(() => watcher.stop());

    const server = new grpc.Server(grpcServerOptions());
    addService(server, FastPayAggregator, aggregatorService(aggregator, aggMetrics), {
      onUnexpectedError: (err, path) => logger.error({ err, path }, 'handler failed'),
      ...(config.maxCallsPerPeer ? { maxCallsPerPeer: config.maxCallsPerPeer } : {}),
    });
    cleanup.push(() => shutdownServer(server));
    const grpcPort = await listen(server, config.listen);

    const extra = mounts({
      aggregator,
      metrics: aggMetrics,
      registry: metrics,
      logger,
      suite,
      ...(chain ? { chain } : {}),
      devnet: config.devnetAccounts === true,
    });
    cleanup.push(async () => {
      for (const mount of extra) await mount.close?.();
    });
    for (const mount of extra) mount.attach?.(http.server);
    const threshold = quorumThreshold(committee);
    const health = () => {
      const unreachable = links
        .filter((l) => connectivityOf(l.client) === 'unreachable')
        .map((l) => l.member.name);
      const head = running.head();
      const chainNews = watcher.freshness();
      const waitingFor = [
        ...(head ? [] : ['a chain head']),
        ...(chainNews.unreachable ? [`the chain node: ${chainNews.unreachable}`] : []),
        ...(committee.members.length - unreachable.length < threshold
          ? [`sidecars: ${unreachable.join(', ')} unreachable, a quorum needs ${threshold}`]
          : []),
      ];
      return {
        ok: waitingFor.length === 0,
        waitingFor,
        head: head?.height.toString() ?? null,
        headAgeMs: chainNews.headAgeMs,
        validators: committee.members.length,
        threshold,
        unreachableSidecars: unreachable,
        ...Object.assign({}, ...extra.map((m) => m.health?.() ?? {})),
      };
    };
    http.ready(
      [
        restApi(aggregator, suite, aggMetrics, { referenceStages: config.referenceStages ?? false }),
        ...extra.flatMap((m) => (m.handle ? [m.handle.bind(m)] : [])),
      ],
      health,
    );
    const httpPort = http.port;
    const { host } = splitHostPort(config.httpListen);
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

/**
 * Stores of earlier versions kept each payment's record (effects, QC, request) beside its snapshot; this version
 * keeps it in the snapshot. Such a store is refused at start, saying what to do, rather than served without them.
 */
async function refuseSeparateRecords(store: Store, spec: string): Promise<void> {
  for await (const _ of store.scan(LEGACY_RECORD_PREFIX, { limit: 1 })) {
    throw new ServiceError(
      'CONFIG',
      `the store ${spec} was written by an earlier aggregator (payment records beside the snapshots); start with a ` +
        "new --store: open payments come back from the sidecars' boards, and the sidecars and the chain hold the rest",
    );
  }
}

/** The aggregator's own Tempo node, checked to serve `--chain-id`. */
async function connectChain(config: AggregatorConfig, rpcUrl: string): Promise<ChainPort> {
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
  return port;
}
