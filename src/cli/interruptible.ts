import { createWebSocketInspector, type WebSocketInspector } from '../actors/inspector.ts';
import { UsageError } from './command.ts';

/** Thrown into a run when the user presses Ctrl-C (or the process gets SIGTERM). */
class Interrupted extends Error {}

/** What an interruptible run gets: the inspector (with `--inspect`) and the signal that aborts on Ctrl-C. */
export interface RunContext {
  readonly inspector: WebSocketInspector | undefined;
  readonly signal: AbortSignal;
}

/**
 * Runs `body` until it returns or the user interrupts it: SIGINT/SIGTERM abort `signal`, and a run that fails
 * after that reports "stopped" with exit code 130 (whatever failed, the user asked to stop). `inspectUrl`
 * (ws:// or wss://) feeds every actor to a Stately inspector, stopped at the end.
 */
export async function runInterruptible(
  inspectUrl: string | undefined,
  body: (context: RunContext) => Promise<number>,
): Promise<number> {
  if (inspectUrl !== undefined && !/^wss?:\/\//.test(inspectUrl)) {
    throw new UsageError(`--inspect must be a ws:// or wss:// URL, got "${inspectUrl}"`);
  }
  const interrupted = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => interrupted.abort(new Interrupted(signal));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const inspector = inspectUrl ? createWebSocketInspector({ url: inspectUrl }) : undefined;
  try {
    return await body({ inspector, signal: interrupted.signal });
  } catch (error) {
    if (!interrupted.signal.aborted) throw error;
    console.log(`\n${(interrupted.signal.reason as Interrupted).message}: stopped`);
    return 130;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await inspector?.stop();
  }
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
