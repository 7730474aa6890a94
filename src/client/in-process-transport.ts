import type { SubmitRequest } from '../protocol/types.ts';
import type { SidecarTransport, SubmitAnswer, SubmitOptions } from '../wire/sidecar-transport.ts';
import { TransportError } from '../wire/transport-error.ts';

/** Answers a submission in process; may throw a `TransportError` to play an unreachable sidecar. */
export type SubmitHandler = (request: SubmitRequest) => SubmitAnswer | Promise<SubmitAnswer>;

/**
 * A transport that calls `handler` in process, with the gRPC transport's failure semantics: no answer within
 * `timeoutMs` is a transient DEADLINE_EXCEEDED, an aborted signal is CANCELLED, and anything else the handler
 * throws that is not a `TransportError` is a permanent INTERNAL failure.
 */
export function inProcessTransport(handler: SubmitHandler): SidecarTransport {
  return {
    submit: (request, options) => within(options, async () => handler(request)),
    close() {},
  };
}

function within(options: SubmitOptions, work: () => Promise<SubmitAnswer>): Promise<SubmitAnswer> {
  const { timeoutMs, signal } = options;
  return new Promise((resolve, reject) => {
    const fail = (message: string, transient: boolean, status: string) =>
      finish(() => reject(new TransportError(message, { transient, status })));
    const timer = setTimeout(
      () => fail(`no answer within ${timeoutMs} ms`, true, 'DEADLINE_EXCEEDED'),
      timeoutMs,
    );
    const onAbort = () => fail('call cancelled', false, 'CANCELLED');
    function finish(settle: () => void) {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      settle();
    }
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    work().then(
      (answer) => finish(() => resolve(answer)),
      (error: unknown) =>
        error instanceof TransportError
          ? finish(() => reject(error))
          : fail(error instanceof Error ? error.message : String(error), false, 'INTERNAL'),
    );
  });
}
