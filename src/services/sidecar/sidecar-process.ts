import { type AllegroProcessOptions, startAllegroProcess } from '../allegro-process.ts';
import type { ChildService } from '../child-service.ts';

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
  options: AllegroProcessOptions = {},
): Promise<SidecarProcess> {
  const service = await startAllegroProcess(
    'sidecar',
    flags,
    /"port":(\d+).*"msg":"sidecar listening"/,
    options,
  );
  const port = Number(service.ready[1]);
  return Object.assign(service, { port, url: `127.0.0.1:${port}` });
}
