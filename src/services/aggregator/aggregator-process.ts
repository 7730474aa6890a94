import { fileURLToPath } from 'node:url';
import { type ChildService, startChildService } from '../child-service.ts';

const ALLEGRO_BIN = fileURLToPath(new URL('../../../bin/allegro.mjs', import.meta.url));

/** An aggregator running as its own process, with the ports it reported. */
export interface AggregatorProcess extends ChildService {
  readonly grpcPort: number;
  readonly httpPort: number;
  /** `http://127.0.0.1:PORT/graphql` (the WebSocket endpoint is the same path over ws://). */
  readonly graphqlUrl: string;
  /** `http://127.0.0.1:PORT`: REST, /metrics, /healthz and the web page. */
  readonly httpUrl: string;
}

/**
 * Starts `allegro aggregator` with these flags (`--listen 127.0.0.1:0 --http-listen 127.0.0.1:0` pick free ports)
 * and resolves once it logged "aggregator listening" with its ports.
 */
export async function startAggregatorProcess(
  flags: readonly string[],
  options: { onLine?: (line: string) => void; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<AggregatorProcess> {
  const service = await startChildService({
    command: process.execPath,
    args: [ALLEGRO_BIN, 'aggregator', ...flags],
    ready: /"grpcPort":(\d+),"httpPort":(\d+),"graphql":"([^"]+)".*"msg":"aggregator listening"/,
    timeoutMs: options.timeoutMs ?? 60_000,
    ...(options.env ? { env: options.env } : {}),
    ...(options.onLine ? { onLine: options.onLine } : {}),
  });
  const httpPort = Number(service.ready[2]);
  return Object.assign(service, {
    grpcPort: Number(service.ready[1]),
    httpPort,
    graphqlUrl: service.ready[3]!,
    httpUrl: `http://127.0.0.1:${httpPort}`,
  });
}
