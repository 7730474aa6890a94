import type { IncomingMessage, ServerResponse } from 'node:http';
import { DEFAULT_RETAIN_FINISHED } from '../actors/payment-system.ts';
import { createEventBus } from '../graphql/event-bus.ts';
import { graphqlMount } from '../graphql/graphql-mount.ts';
import { DEFAULT_SUBSCRIPTION_CAPS } from '../graphql/subscription-caps.ts';
import { DEFAULT_RULES } from '../protocol/validation/decision-rules.ts';
import type { AggregatorConfig } from '../services/aggregator/aggregator-config.ts';
import { startAggregator } from '../services/aggregator/aggregator-node.ts';
import { DEFAULT_CORS_ORIGINS } from '../services/http/cors.ts';
import { sendJson } from '../services/http/json-body.ts';
import { staticFiles } from '../services/http/static-files.ts';
import { projectPath } from '../services/project-root.ts';
import { createLogger } from '../util/logger.ts';
import { DEFAULT_MAX_CALLS_PER_PEER } from '../wire/grpc-limits.ts';
import {
  bigintOption,
  type Command,
  intOption,
  type OptionValues,
  stringOption,
  UsageError,
  urlOption,
} from './command.ts';
import { untilSignal } from './until-signal.ts';

/** The web page's build output (`npm run build:web`), served at `/`. */
const WEB_DIST = projectPath('web/dist');

/** Builds an aggregator config from the command line (reference §9.6 flag names and defaults). */
export function aggregatorConfigFromFlags(values: OptionValues): AggregatorConfig {
  const sidecars = (stringOption(values, 'sidecars') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const committeeFile = stringOption(values, 'committee');
  if (sidecars.length === 0 && !committeeFile) {
    throw new UsageError('--sidecars is required (or a --committee file whose members name their url)');
  }
  const rpcUrl = urlOption(values, 'rpc-url', ['http:', 'https:']);
  const wsUrl = urlOption(values, 'ws-url', ['ws:', 'wss:']);
  if (wsUrl && !rpcUrl) throw new UsageError('--ws-url needs --rpc-url');
  const inspect = stringOption(values, 'inspect');
  if (inspect && !/^wss?:\/\//.test(inspect)) throw new UsageError('--inspect must be a ws:// URL');
  return {
    sidecars,
    listen: stringOption(values, 'listen', true),
    httpListen: stringOption(values, 'http-listen', true),
    chainId: bigintOption(values, 'chain-id')!,
    epoch: bigintOption(values, 'epoch')!,
    store: stringOption(values, 'store', true),
    finalityDepth: intOption(values, 'finality-depth')!,
    mirrorIntervalMs: intOption(values, 'mirror-interval-ms')!,
    upstreamTimeoutMs: intOption(values, 'upstream-timeout-ms')!,
    submitDeadlineMs: intOption(values, 'submit-deadline-ms')!,
    headPollMs: intOption(values, 'head-poll-ms')!,
    corsOrigins: stringOption(values, 'cors-origin', true)
      .split(',')
      .map((o) => o.trim()),
    maxCallsPerPeer: positiveIntOption(values, 'max-calls-per-peer'),
    retainFinished: positiveIntOption(values, 'retain-finished'),
    maxExpiryMs: positiveIntOption(values, 'max-expiry-ms'),
    referenceStages: values['reference-stages'] === true,
    devnetAccounts: devnetAccounts(values),
    ...(committeeFile ? { committeeFile } : {}),
    ...(rpcUrl ? { rpcUrl } : {}),
    ...(wsUrl ? { wsUrl } : {}),
    ...(inspect ? { inspect } : {}),
  };
}

export const aggregatorCommand: Command = {
  name: 'aggregator',
  summary: 'Run the aggregator: GraphQL (live subscriptions), REST and gRPC over the validator sidecars',
  usage: 'aggregator --sidecars HOST:PORT,… [options]',
  description: [
    'Example:',
    '  allegro aggregator --sidecars 127.0.0.1:50051,127.0.0.1:50052 --listen 127.0.0.1:60051 \\',
    '    --http-listen 127.0.0.1:8080 --rpc-url http://127.0.0.1:8545',
    'GraphQL (GraphiQL on) and its WebSocket subscriptions at http://HOST:PORT/graphql, REST at /api/v1/…,',
    '/metrics, /healthz, and the live web page at /. Only certificates that verify against the committee count.',
    'Without --committee the committee is learned from the sidecars (GetValidatorInfo) once and pinned in --store.',
  ].join('\n'),
  options: {
    sidecars: {
      type: 'string',
      value: 'HOST:PORT,…',
      help: 'comma-separated sidecar gRPC addresses (host:port or http://host:port)',
    },
    listen: {
      type: 'string',
      value: 'HOST:PORT',
      help: 'gRPC listen address (FastPayAggregator)',
      default: '127.0.0.1:60051',
    },
    'http-listen': {
      type: 'string',
      value: 'HOST:PORT',
      help: 'HTTP listen address: GraphQL, REST, metrics, web page',
      default: '127.0.0.1:8080',
    },
    'chain-id': { type: 'string', value: 'N', help: 'chain id', default: '1337' },
    epoch: { type: 'string', value: 'N', help: 'committee epoch', default: '1' },
    committee: {
      type: 'string',
      value: 'FILE',
      help: 'committee JSON file (members: name, validatorId, publicKey, url)',
    },
    store: {
      type: 'string',
      value: 'STORE',
      help: 'payment snapshots: memory | lmdb:DIR | redis://host:port',
      default: 'lmdb:./.allegro/aggregator',
    },
    'rpc-url': {
      type: 'string',
      value: 'URL',
      help: 'Tempo JSON-RPC URL: heads and on-chain stages read by the aggregator itself',
    },
    'ws-url': {
      type: 'string',
      value: 'URL',
      help: 'Tempo WebSocket JSON-RPC URL for new heads (default: poll --rpc-url)',
    },
    pubsub: {
      type: 'string',
      value: 'URL',
      help: 'redis://host:port: share subscription events with other aggregator instances',
    },
    inspect: {
      type: 'string',
      value: 'URL',
      help: 'Stately inspector WebSocket URL (ws://…) for the payment actors',
    },
    'finality-depth': {
      type: 'string',
      value: 'N',
      help: 'blocks on top of the including block before FINALIZED',
      default: '2',
    },
    'mirror-interval-ms': {
      type: 'string',
      value: 'MS',
      help: 'pause between bulletin board mirroring rounds; 0 reads boards only on demand',
      default: '250',
    },
    'upstream-timeout-ms': {
      type: 'string',
      value: 'MS',
      help: 'deadline of one call to one sidecar',
      default: '1500',
    },
    'submit-deadline-ms': {
      type: 'string',
      value: 'MS',
      help: 'deadline of one certificate collection',
      default: '5000',
    },
    'head-poll-ms': {
      type: 'string',
      value: 'MS',
      help: 'sidecar head polling without --rpc-url',
      default: '500',
    },
    'cors-origin': {
      type: 'string',
      value: 'ORIGIN,…',
      help: 'origins browsers may call from: comma-separated, `*`, or scheme://host:* for any port',
      default: DEFAULT_CORS_ORIGINS.join(','),
    },
    'reference-stages': {
      type: 'boolean',
      help: "REST answers the reference's stage names (0-5) by default; ?compat=allegro asks for ours",
    },
    'max-subscriptions': {
      type: 'string',
      value: 'N',
      help: 'live GraphQL subscriptions of the whole server',
      default: String(DEFAULT_SUBSCRIPTION_CAPS.maxSubscriptions),
    },
    'max-subscriptions-per-connection': {
      type: 'string',
      value: 'N',
      help: 'live GraphQL subscriptions of one connection',
      default: String(DEFAULT_SUBSCRIPTION_CAPS.maxSubscriptionsPerConnection),
    },
    'max-calls-per-peer': {
      type: 'string',
      value: 'N',
      help: 'gRPC calls one peer host may have in progress; more get RESOURCE_EXHAUSTED',
      default: String(DEFAULT_MAX_CALLS_PER_PEER),
    },
    'max-expiry-ms': {
      type: 'string',
      value: 'MS',
      help: "the sidecars' --max-expiry-ms: a payment seen only on their boards, without a QC, expires this long after it was first seen",
      default: String(DEFAULT_RULES.maxExpiryMs),
    },
    'retain-finished': {
      type: 'string',
      value: 'N',
      help: 'finished payments the store keeps; beyond it the first finished are deleted (bounds disk and memory)',
      default: String(DEFAULT_RETAIN_FINISHED),
    },
    'devnet-accounts': {
      type: 'boolean',
      help: 'a development chain (chain id 1337 or 31337): the page may offer the demo accounts and their dev keys',
    },
    'web-dir': {
      type: 'string',
      value: 'DIR',
      help: 'built web page served at / (default: web/dist of this checkout)',
    },
  },
  async run(values) {
    const config = aggregatorConfigFromFlags(values);
    const redisUrl = stringOption(values, 'pubsub');
    if (redisUrl && !redisUrl.startsWith('redis://')) throw new UsageError('--pubsub must be a redis:// URL');
    const webDir = stringOption(values, 'web-dir') ?? WEB_DIST;
    const files = staticFiles(webDir);
    const web = async (req: IncomingMessage, res: ServerResponse) => {
      if (await files(req, res)) return true;
      if (req.url !== '/') return false;
      sendJson(res, 404, {
        error: {
          code: 'WEB_NOT_BUILT',
          message: `no page in ${webDir}: npx vite build --config web/vite.config.ts`,
        },
      });
      return true;
    };
    const logger = createLogger('aggregator');
    const running = await startAggregator(config, logger, (parts) => [
      graphqlMount({
        ...parts,
        bus: createEventBus(redisUrl ? { redisUrl } : {}),
        subscriptions: {
          maxSubscriptions: positiveIntOption(values, 'max-subscriptions'),
          maxSubscriptionsPerConnection: positiveIntOption(values, 'max-subscriptions-per-connection'),
        },
      }),
      { handle: web },
    ]);
    const signal = await untilSignal();
    logger.info({ signal }, 'stopping');
    await running.stop();
    return 0;
  },
};

/** Chain ids of local development chains: the only ones `--devnet-accounts` is accepted for. */
const DEV_CHAIN_IDS: ReadonlySet<bigint> = new Set([1337n, 31337n]);

/** `--devnet-accounts`, refused on any chain but a development one. */
function devnetAccounts(values: OptionValues): boolean {
  if (values['devnet-accounts'] !== true) return false;
  const chainId = bigintOption(values, 'chain-id')!;
  if (!DEV_CHAIN_IDS.has(chainId)) {
    throw new UsageError(
      `--devnet-accounts is for development chains (1337, 31337), not chain id ${chainId}`,
    );
  }
  return true;
}

/** An integer flag that must be at least 1. */
function positiveIntOption(values: OptionValues, name: string): number {
  const value = intOption(values, name)!;
  if (value < 1) throw new UsageError(`--${name} must be at least 1`);
  return value;
}
