import { fileURLToPath } from 'node:url';
import { type ChildService, startChildService } from './child-service.ts';

const ALLEGRO_BIN = fileURLToPath(new URL('../../bin/allegro.mjs', import.meta.url));

export interface AllegroProcessOptions {
  readonly onLine?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/**
 * Runs `allegro <command> <flags>` as its own process and resolves once a log line matches `ready` (60 s by
 * default); the match holds whatever the service reported, e.g. its ports.
 */
export function startAllegroProcess(
  command: string,
  flags: readonly string[],
  ready: RegExp,
  options: AllegroProcessOptions = {},
): Promise<ChildService> {
  return startChildService({
    command: process.execPath,
    args: [ALLEGRO_BIN, command, ...flags],
    ready,
    timeoutMs: options.timeoutMs ?? 60_000,
    ...(options.env ? { env: options.env } : {}),
    ...(options.onLine ? { onLine: options.onLine } : {}),
  });
}
