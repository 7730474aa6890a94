import { type AllegroProcessOptions, startAllegroProcess } from '../allegro-process.ts';
import type { ChildService } from '../child-service.ts';

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
  options: AllegroProcessOptions = {},
): Promise<AggregatorProcess> {
  const service = await startAllegroProcess(
    'aggregator',
    flags,
    /"grpcPort":(\d+),"httpPort":(\d+),"graphql":"([^"]+)".*"msg":"aggregator listening"/,
    options,
  );
  const httpPort = Number(service.ready[2]);
  return Object.assign(service, {
    grpcPort: Number(service.ready[1]),
    httpPort,
    graphqlUrl: service.ready[3]!,
    httpUrl: `http://127.0.0.1:${httpPort}`,
  });
}
