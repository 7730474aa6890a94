import { pino } from 'pino';
import { prettyLogLine } from './pretty-log-line.ts';

export type Logger = pino.Logger;

/** Writes each JSON line pretty (prettyLogLine) to stdout: the destination on a terminal. */
const prettyStdout = {
  write(line: string): void {
    process.stdout.write(`${prettyLogLine(line.trimEnd())}\n`);
  },
};

/**
 * Structured logger (ARCHITECTURE.md conventions): one event per line with a `component` field, JSON lines
 * when stdout is not a terminal (files, pipes, parent processes) and pretty lines on a terminal. Level from
 * ALLEGRO_LOG_LEVEL (default info); `silent` for tests.
 */
export function createLogger(component: string, level = process.env.ALLEGRO_LOG_LEVEL ?? 'info'): Logger {
  const options = { level, base: { component }, timestamp: pino.stdTimeFunctions.isoTime };
  return process.stdout.isTTY ? pino(options, prettyStdout) : pino(options);
}
