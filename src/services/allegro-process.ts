import { type ChildService, startChildService } from './child-service.ts';
import { projectPath } from './project-root.ts';

const ALLEGRO_BIN = projectPath('bin/allegro.mjs');

export interface AllegroProcessOptions {
  readonly onLine?: (line: string) => void;
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
  /** Flags for node itself, before the script (e.g. `--cpu-prof`, which NODE_OPTIONS does not take). */
  readonly nodeFlags?: readonly string[];
}

/**
 * Runs `allegro <command> <flags>` as its own process (the compiled CLI when it is built and current, see
 * bin/allegro.mjs) and resolves once a log line matches `ready` (60 s by default); the match holds whatever the
 * service reported, e.g. its ports. The child stops by itself when this process dies (its stdin lifeline closes).
 */
export function startAllegroProcess(
  command: string,
  flags: readonly string[],
  ready: RegExp,
  options: AllegroProcessOptions = {},
): Promise<ChildService> {
  return startChildService({
    command: process.execPath,
    args: [...(options.nodeFlags ?? []), ALLEGRO_BIN, command, ...flags],
    ready,
    timeoutMs: options.timeoutMs ?? 60_000,
    env: { ...(options.env ?? process.env), ALLEGRO_EXIT_WITH_PARENT: '1' },
    stdinLifeline: true,
    ...(options.onLine ? { onLine: options.onLine } : {}),
  });
}
