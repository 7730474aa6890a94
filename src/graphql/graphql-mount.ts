import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type { ExecutionArgs } from 'graphql';
import type { ServerOptions } from 'graphql-ws';
import { useServer as serveGraphqlWs } from 'graphql-ws/use/ws';
import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { ChainPort } from '../chain/chain-port.ts';
import type { CryptoSuite } from '../protocol/crypto/suite.ts';
import type { Aggregator } from '../services/aggregator/aggregator.ts';
import type { AggregatorMetrics } from '../services/aggregator/aggregator-metrics.ts';
import type { HttpMount } from '../services/aggregator/aggregator-node.ts';
import { sendJson } from '../services/http/json-body.ts';
import type { Metrics } from '../services/http/metrics.ts';
import { projectPath } from '../services/project-root.ts';
import type { Logger } from '../util/logger.ts';
import { answerSizeLimitPlugin } from './answer-size-limit.ts';
import type { EventBus } from './event-bus.ts';
import { maskUnexpectedError } from './mask-unexpected-error.ts';
import { type OperationLimits, operationLimitsRule } from './operation-limits.ts';
import { parseGuardPlugin } from './parse-guard.ts';
import { newRequestId, withRequestId } from './request-id.ts';
import { resolvers } from './resolvers.ts';
import { sharedExecutionPlugin } from './shared-execution.ts';
import {
  DEFAULT_SUBSCRIPTION_CAPS,
  type SubscriptionCapLimits,
  subscriptionCaps,
} from './subscription-caps.ts';

/** schema.graphql at the repository root: the public contract, loaded as is. */
export const SCHEMA_FILE = projectPath('schema.graphql');

export const GRAPHQL_PATH = '/graphql';

/** Largest GraphQL request (HTTP body or WebSocket message): a 128 KiB signed tx in hex plus the query. */
export const MAX_REQUEST_BYTES = 512 * 1024;

/** Depth 15 and cost ~13,500 are what GraphiQL's introspection query needs; any other query needs less. */
export const DEFAULT_LIMITS: OperationLimits = { maxDepth: 15, maxCost: 20_000 };

export interface GraphqlMountOptions {
  readonly aggregator: Aggregator;
  readonly bus: EventBus;
  readonly suite: CryptoSuite;
  readonly metrics: AggregatorMetrics;
  /** The Prometheus registry: the live subscriptions gauge goes there. */
  readonly registry: Metrics;
  readonly logger: Logger;
  /** The aggregator's Tempo node: balances and lane sequences (null answers without it). */
  readonly chain?: ChainPort;
  /** A development chain: `devnet` is true and the demo accounts are named. */
  readonly devnet?: boolean;
  readonly limits?: OperationLimits;
  readonly subscriptions?: SubscriptionCapLimits;
}

/**
 * GraphQL on the aggregator's HTTP server (ARCHITECTURE.md "GraphQL"): graphql-yoga at /graphql over HTTP with
 * GraphiQL on (served from this process, no CDN), and graphql-ws on the same path over WebSocket, both serving
 * schema.graphql behind the same doors: bounded parsing, depth and cost limits before execution (introspection
 * included), bounded answers, caps on live subscriptions, one execution per subscription event and distinct
 * operation. Every request has an id (`x-request-id`); an unexpected error is logged with it and answered as an
 * INTERNAL GraphQL error. Aggregator events are published to `bus`,
 * from which subscriptions read (in memory or Redis).
 */
export function graphqlMount(options: GraphqlMountOptions): HttpMount {
  const limits = options.limits ?? DEFAULT_LIMITS;
  const schema = createSchema({
    typeDefs: readFileSync(SCHEMA_FILE, 'utf8'),
    resolvers: resolvers(options),
  });
  const limitsPlugin: Plugin = {
    onValidate: ({ addValidationRule }) => addValidationRule(operationLimitsRule(limits)),
  };
  const caps = subscriptionCaps(options.subscriptions ?? DEFAULT_SUBSCRIPTION_CAPS);
  options.registry.gauge('allegro_graphql_live_subscriptions', 'GraphQL subscriptions live now', () => [
    { value: caps.live() },
  ]);
  const maskError = maskUnexpectedError(options.logger);
  let graphiqlPage: string | undefined;
  const yoga = createYoga({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    graphiql: { subscriptionsProtocol: 'WS', title: 'Allegro GraphiQL' },
    renderGraphiQL: (graphiql) => (graphiqlPage ??= renderGraphiQL(graphiql)),
    landingPage: false,
    logging: false,
    maskedErrors: { maskError },
    plugins: [
      parseGuardPlugin(options.logger),
      limitsPlugin,
      answerSizeLimitPlugin(),
      caps.plugin,
      sharedExecutionPlugin(),
    ],
  });
  const unsubscribe = options.aggregator.subscribe((event) => options.bus.publish(event));
  let sockets: WebSocketServer | undefined;

  return {
    async handle(req: IncomingMessage, res: ServerResponse) {
      if ((req.url ?? '').split('?')[0] !== GRAPHQL_PATH) return false;
      const length = Number(req.headers['content-length'] ?? 0);
      if (length > MAX_REQUEST_BYTES) {
        res.setHeader('connection', 'close');
        sendJson(res, 413, {
          errors: [
            {
              message: `request exceeds ${MAX_REQUEST_BYTES} bytes`,
              extensions: { code: 'INPUT_TOO_LARGE' },
            },
          ],
        });
        return true;
      }
      const given = res.getHeader('x-request-id');
      const requestId = typeof given === 'string' ? given : newRequestId();
      res.setHeader('x-request-id', requestId);
      await withRequestId(requestId, () => yoga.handle(req, res));
      return true;
    },
    health: () => ({ liveSubscriptions: caps.live() }),
    attach(server: Server) {
      sockets = new WebSocketServer({ server, path: GRAPHQL_PATH, maxPayload: MAX_REQUEST_BYTES });
      serveGraphqlWs(
        {
          execute: (args) => withRequestId(idOf(args), () => (args.rootValue as Enveloped).execute(args)),
          subscribe: (args) => withRequestId(idOf(args), () => (args.rootValue as Enveloped).subscribe(args)),
          onSubscribe: async (ctx, _id, params) => {
            const enveloped = yoga.getEnveloped({ ...ctx, req: ctx.extra.request, params });
            let document: ExecutionArgs['document'];
            try {
              document = enveloped.parse(params.query);
            } catch (error) {
              return [maskError(error)];
            }
            const errors = enveloped.validate(enveloped.schema, document);
            if (errors.length > 0) return errors;
            return {
              schema: enveloped.schema,
              document,
              operationName: params.operationName ?? null,
              variableValues: params.variables ?? null,
              contextValue: { ...(await enveloped.contextFactory()), requestId: newRequestId() },
              rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
            };
          },
        },
        sockets,
      );
    },
    async close() {
      unsubscribe();
      for (const client of sockets?.clients ?? []) client.terminate();
      await new Promise<void>((resolve) => (sockets ? sockets.close(() => resolve()) : resolve()));
      await yoga.dispose();
      await options.bus.close();
    },
  };
}

type Operation = (args: ExecutionArgs) => ReturnType<NonNullable<ServerOptions['execute']>>;

/** The request id a WebSocket operation got in onSubscribe. */
const idOf = (args: ExecutionArgs) => (args.contextValue as { requestId: string }).requestId;
type Enveloped = { execute: Operation; subscribe: Operation };
