import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * Structured JSON-lines logger (ARCHITECTURE.md conventions): one event per line with a `component` field.
 * Level from ALLEGRO_LOG_LEVEL (default info); `silent` for tests.
 */
export function createLogger(component: string, level = process.env.ALLEGRO_LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { component }, timestamp: pino.stdTimeFunctions.isoTime });
}
