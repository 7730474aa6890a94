import { pino } from 'pino';
import type { Logger } from '../../src/util/logger.ts';

/** A logger at `level` whose JSON lines are kept in `lines`, for asserting on what a service logged. */
export function capturedLogger(level = 'info'): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}
