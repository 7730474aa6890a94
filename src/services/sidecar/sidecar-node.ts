import { readFile } from 'node:fs/promises';
import * as grpc from '@grpc/grpc-js';
import { FastPaySidecar } from '../../../gen/tempo/fastpay/v1/sidecar_pb.ts';
import { bytesEqual, toHex } from '../../protocol/bytes.ts';
import { createNodeCryptoSuite } from '../../protocol/crypto/node-suite.ts';
import { rememberingVerifies } from '../../protocol/crypto/remembered-verifies.ts';
import { Ledger } from '../../protocol/ledger/ledger.ts';
import { WireStage } from '../../protocol/stage.ts';
import { openStore } from '../../store/open-store.ts';
import type { Store } from '../../store/store.ts';
import type { Logger } from '../../util/logger.ts';
import { grpcServerOptions } from '../../wire/grpc-limits.ts';
import {
  addService,
  delegatingImpl,
  listen,
  type ServiceImpl,
  shutdownServer,
} from '../../wire/grpc-server.ts';
import { startHealthMetricsServer } from '../http/health-metrics.ts';
import { Metrics } from '../http/metrics.ts';
import { BulletinBoard } from '../shared/bulletin-board.ts';
import { resolveCommittee } from '../shared/committee-source.ts';
import { type ChainSource, standaloneChainSource } from './chain-source.ts';
import { decisionRules } from './decision-rules-config.ts';
import { demoBalances, referenceDemoBalances } from './demo-balances.ts';
import { startExpirySweeper } from './expiry-sweeper.ts';
import { startGossip } from './gossip.ts';
import { LifecycleHub } from './lifecycle-hub.ts';
import { SafetyJournal } from './safety-journal.ts';
import type { SidecarConfig } from './sidecar-config.ts';
import { sidecarMetrics } from './sidecar-metrics.ts';
import { sidecarService, startingSidecarService, undecodableReject } from './sidecar-service.ts';
import { submissionPath } from './submission-path.ts';
import { ValidatorCore } from './validator-core.ts';

export interface RunningSidecar {
  readonly port: number;
  readonly core: ValidatorCore;
  readonly board: BulletinBoard;
  stop(): Promise<void>;
}

const wallClock = () => BigInt(Date.now());

/**
 * Starts a validator sidecar. It listens first, answering only GetValidatorInfo (peers resolving the committee
 * need it, and may be waiting on us likewise); then it resolves and pins the committee, restores its safety
 * ledger from the store, and only then serves submissions and gossips.
 */
export async function startSidecar(config: SidecarConfig, logger: Logger): Promise<RunningSidecar> {
  // Peer certificates verified by gossip are met again in the parent QCs of later payments: the board's size.
  const suite = rememberingVerifies(createNodeCryptoSuite(), config.maxTotalCerts);
  const signer = suite.ed25519.signer(config.seed);
  const self = { name: config.name, id: config.validatorId, publicKey: signer.publicKey };
  const store = await openStore(config.store);
  let service: ServiceImpl<typeof FastPaySidecar> = startingSidecarService(self, config.peers);
  const server = new grpc.Server(grpcServerOptions());
  addService(
    server,
    FastPaySidecar,
    delegatingImpl(FastPaySidecar, () => service),
    {
      onUnexpectedError: (err, path) => logger.error({ err, path }, 'handler failed'),
      undecodableResponse: (method, reason) => undecodableReject(method.localName, reason),
      maxCallsPerPeer: config.maxCallsPerPeer,
    },
  );
  const shutdown = () => shutdownServer(server);
  try {
    const tls = config.tls
      ? { cert: await readFile(config.tls.certFile), key: await readFile(config.tls.keyFile) }
      : undefined;
    const port = await listen(server, config.listen, tls);
    const node = await startNode(config, logger, store, suite, signer, self);
    service = node.service;
    const http =
      config.httpListen === undefined
        ? undefined
        : await startHealthMetricsServer(config.httpListen, {
            metrics: node.metrics,
            health: () => {
              const chain = node.freshness?.();
              return {
                // Unhealthy while its node is unreachable: it cannot read the chain a decision needs.
                ok: chain?.unreachable === undefined,
                name: config.name,
                head: node.head().height.toString(),
                ...(chain
                  ? {
                      headAgeMs: chain.headAgeMs,
                      ...(chain.unreachable ? { waitingFor: [`the chain node: ${chain.unreachable}`] } : {}),
                    }
                  : {}),
                committee: node.committeeSize,
                boardCertificates: node.board.size,
              };
            },
          });
    logger.info(
      {
        name: config.name,
        port,
        validatorId: toHex(self.id),
        publicKey: toHex(self.publicKey),
        restoredLocks: node.restored.locks,
        restoredCredits: node.restored.credits,
        committee: node.committeeSize,
        ...(http ? { httpPort: http.port } : {}),
      },
      'sidecar listening',
    );
    return {
      port,
      core: node.core,
      board: node.board,
      async stop() {
        await http?.close();
        await node.stopGossip();
        await shutdown();
        node.stopValidator();
        await node.stopChain();
        await store.close();
      },
    };
  } catch (err) {
    await shutdown();
    await store.close();
    throw err;
  }
}

/** Everything behind the gRPC face: committee, restored ledger, validator core, board and gossip. */
async function startNode(
  config: SidecarConfig,
  logger: Logger,
  store: Store,
  suite: ReturnType<typeof rememberingVerifies>,
  signer: ReturnType<ReturnType<typeof createNodeCryptoSuite>['ed25519']['signer']>,
  self: { name: string; id: Uint8Array; publicKey: Uint8Array },
) {
  const committee = await resolveCommittee({
    self,
    peers: [...config.peers],
    chainId: config.chainId,
    epoch: config.epoch,
    store,
    logger,
    ...(config.committeeFile ? { committeeFile: config.committeeFile } : {}),
    ...(config.allowSmallCommittee ? { allowSmallCommittee: true } : {}),
  });
  const ledger = new Ledger({
    maxRequestCache: config.maxRequestCache,
    maxSettledCerts: config.maxTotalCerts,
    maxKnownQcs: config.maxKnownQcs,
    ...(config.maxCoolingSenders ? { maxCoolingSenders: config.maxCoolingSenders } : {}),
  });
  const journal = new SafetyJournal(store);
  const restored = await journal.restore(ledger);
  if (restored.conflicts > 0) {
    logger.error(
      { conflicts: restored.conflicts },
      'restored locks that conflict with another lock of their contention key: both kept held until they settle or expire',
    );
  }
  const lifecycle = new LifecycleHub(config.maxTotalCerts);
  const board = new BulletinBoard({
    maxTotalCerts: config.maxTotalCerts,
    maxResponse: config.maxBulletinBoardResponse,
  });
  for (const record of ledger.locks()) board.add(record.cert);
  const escrow =
    config.rpcUrl && config.escrow
      ? await (await import('./escrow-connection.ts')).connectEscrowSettlement(config.rpcUrl, config.escrow, {
          suite,
          ledger,
          lifecycle,
          signaturesOf: (txHash) => settlementSignaturesOf(board, txHash),
          logger,
        })
      : undefined;
  const inspector = config.inspect
    ? (await import('../../actors/inspector.ts')).createWebSocketInspector({ url: config.inspect })
    : undefined;
  // The chain client (viem, ox) loads only for a chain-following sidecar: a standalone one starts without it.
  const onChain = config.rpcUrl
    ? await (await import('./connect-chain.ts'))
        .connectChain(
          { ...config, rpcUrl: config.rpcUrl },
          {
            ledger,
            journal,
            lifecycle,
            keccak256: suite.keccak256,
            validatorKey: self.publicKey,
            logger,
            ...(inspector ? { inspect: inspector.inspect } : {}),
            ...(escrow
              ? {
                  escrow: {
                    reader: escrow.chain,
                    onAdvance: (advance) => escrow.settlement.onAdvance(advance),
                  },
                }
              : {}),
          },
        )
        .catch(async (err) => {
          await inspector?.stop();
          await escrow?.close();
          throw err;
        })
    : undefined;
  const chain: ChainSource =
    onChain?.follower ??
    standaloneChainSource({
      height: config.blockHeight,
      balances: [
        ...(config.demoBalances ? demoBalances(config.demoAsset) : []),
        ...(config.referenceDemoBalances ? referenceDemoBalances() : []),
        ...(config.balances ?? []),
      ],
      now: wallClock,
    });
  const core = new ValidatorCore(
    suite,
    committee,
    self,
    signer,
    ledger,
    journal,
    chain,
    wallClock,
    decisionRules(config, onChain !== undefined),
    escrow?.signer,
  );
  const metrics = new Metrics();
  const recordOutcome = sidecarMetrics(metrics, {
    board,
    head: () => chain.head(),
    ledger,
    lifecycle,
    verifiedSignatures: suite.remembered,
    ...(onChain
      ? {
          settlement: {
            get size() {
              return onChain.settlement.size;
            },
            capacity: config.settlement.maxPending,
          },
        }
      : {}),
  });
  core.timings = recordOutcome.timings;
  const stopSweeper = onChain
    ? () => {}
    : startExpirySweeper(
        ledger,
        journal,
        () => chain.head(),
        logger,
        (records) => {
          for (const r of records) {
            const at = { unixMillis: wallClock(), blockHeight: chain.head().height };
            lifecycle.publish({ txHash: r.delta.txHash, stage: WireStage.EXPIRED, ...at });
          }
        },
      );

  const submit = submissionPath({
    core,
    admit: () => onChain?.settlement.admit(),
    settle: (record) => {
      onChain?.settlement.enqueue(record);
      escrow?.settlement.enqueue(record);
    },
    board,
    lifecycle,
    height: () => chain.head().height,
    recordOutcome,
    logger,
  });

  const gossip = startGossip({
    peers: committee.members
      .filter((m) => m.url && !bytesEqual(m.id, self.id))
      .map((m) => ({ name: m.name, url: m.url! })),
    committee,
    suite,
    board,
    intervalMs: config.gossipIntervalMs,
    pullLimit: config.gossipPullLimit,
    logger,
  });
  return {
    service: sidecarService({
      identity: self,
      peers: config.peers,
      submit,
      board,
      lifecycle,
      head: () => chain.head(),
      followsChain: onChain !== undefined,
    }),
    core,
    board,
    restored,
    committeeSize: committee.members.length,
    metrics,
    head: () => chain.head(),
    freshness: chain.freshness?.bind(chain),
    stopGossip: () => gossip.stop(),
    stopValidator: stopSweeper,
    stopChain: async () => {
      await onChain?.stop();
      await escrow?.close();
      await inspector?.stop();
    },
  };
}

/** Settlement signatures of the certificates on the board for `txHash` (own and gossiped). */
function settlementSignaturesOf(board: BulletinBoard, txHash: Uint8Array): Uint8Array[] {
  const page = board.query({ txHash, limit: 0 });
  return page.ok ? page.certs.flatMap((c) => (c.settlementSignature ? [c.settlementSignature] : [])) : [];
}
