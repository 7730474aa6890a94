import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { type ExecutionArgs, GraphQLError } from 'graphql';
import type { ServerOptions } from 'graphql-ws';
import { useServer as serveGraphqlWs } from 'graphql-ws/use/ws';
import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { CryptoSuite } from '../protocol/crypto/suite.ts';
import type { Aggregator } from '../services/aggregator/aggregator.ts';
import type { AggregatorMetrics } from '../services/aggregator/aggregator-metrics.ts';
import type { HttpMount } from '../services/aggregator/aggregator-node.ts';
import { sendJson } from '../services/http/json-body.ts';
import type { EventBus } from './event-bus.ts';
import { type OperationLimits, operationLimitsRule } from './operation-limits.ts';
import { resolvers } from './resolvers.ts';

/** schema.graphql at the repository root: the public contract, loaded as is. */
export const SCHEMA_FILE = fileURLToPath(new URL('../../schema.graphql', import.meta.url));

export const GRAPHQL_PATH = '/graphql';

/** Largest GraphQL request (HTTP body or WebSocket message): a 128 KiB signed tx in hex plus the query. */
export const MAX_REQUEST_BYTES = 512 * 1024;

export const DEFAULT_LIMITS: OperationLimits = { maxDepth: 10, maxCost: 20_000 };

export interface GraphqlMountOptions {
  readonly aggregator: Aggregator;
  readonly bus: EventBus;
  readonly suite: CryptoSuite;
  readonly metrics: AggregatorMetrics;
  readonly limits?: OperationLimits;
}

/**
 * GraphQL on the aggregator's HTTP server (ARCHITECTURE.md "GraphQL"): graphql-yoga at /graphql over HTTP with
 * GraphiQL on, and graphql-ws on the same path over WebSocket, both serving schema.graphql with the depth and
 * cost limits. Aggregator events are published to `bus`, from which subscriptions read (in memory or Redis).
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
  const yoga = createYoga({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    graphiql: { subscriptionsProtocol: 'WS' },
    landingPage: false,
    logging: false,
    plugins: [limitsPlugin],
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
      await yoga.handle(req, res);
      return true;
    },
    attach(server: Server) {
      sockets = new WebSocketServer({ server, path: GRAPHQL_PATH, maxPayload: MAX_REQUEST_BYTES });
      serveGraphqlWs(
        {
          execute: (args) => (args.rootValue as Enveloped).execute(args),
          subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
          onSubscribe: async (ctx, _id, params) => {
            const enveloped = yoga.getEnveloped({ ...ctx, req: ctx.extra.request, params });
            let document: ExecutionArgs['document'];
            try {
              document = enveloped.parse(params.query);
            } catch (error) {
              return [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
            }
            const errors = enveloped.validate(enveloped.schema, document);
            if (errors.length > 0) return errors;
            return {
              schema: enveloped.schema,
              document,
              operationName: params.operationName ?? null,
              variableValues: params.variables ?? null,
              contextValue: await enveloped.contextFactory(),
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
type Enveloped = { execute: Operation; subscribe: Operation };
