import { fileURLToPath } from 'node:url';
import { type ChildService, startChildService } from '../child-service.ts';

const ALLEGRO_BIN = fileURLToPath(new URL('../../../bin/allegro.mjs', import.meta.url));

/** A sidecar running as its own process, with the gRPC port it reported. */
export interface SidecarProcess extends ChildService {
  readonly port: number;
  readonly url: string;
}

/**
 * Starts `allegro sidecar` with these flags (`--listen 127.0.0.1:0` picks a free port) and resolves once it
 * logged "sidecar listening" with its port.
 */
export async function startSidecarProcess(
  flags: readonly string[],
  options: { onLine?: (line: string) => void; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<SidecarProcess> {
  const service = await startChildService({
    command: process.execPath,
    args: [ALLEGRO_BIN, 'sidecar', ...flags],
    ready: /"port":(\d+).*"msg":"sidecar listening"/,
    timeoutMs: options.timeoutMs ?? 60_000,
    ...(options.env ? { env: options.env } : {}),
    ...(options.onLine ? { onLine: options.onLine } : {}),
  });
  const port = Number(service.ready[1]);
  return Object.assign(service, { port, url: `127.0.0.1:${port}` });
}
