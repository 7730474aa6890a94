import * as grpc from '@grpc/grpc-js';
import type {
  FastPaySidecar,
  SubmitFastPayRequest,
  SubmitFastPayResponse,
} from '../../gen/tempo/fastpay/v1/sidecar_pb.js';
import type { SubmitRequest } from '../protocol/types.ts';
import { submitRequestToProto } from './convert-request.ts';
import type { ServiceClient } from './grpc-client.ts';
import { MAX_BATCH_BYTES, MAX_SUBMISSIONS_PER_BATCH, submissionBytesBound } from './grpc-limits.ts';
import type { SubmitOptions } from './sidecar-transport.ts';
import { TransportError } from './transport-error.ts';
import { WireError } from './wire-error.ts';

/** One submission waiting for its answer. */
interface Waiting {
  readonly request: SubmitFastPayRequest;
  readonly bytes: number;
  readonly options: SubmitOptions;
  readonly resolve: (response: SubmitFastPayResponse) => void;
  readonly reject: (error: unknown) => void;
}

/** Sends one request and resolves with the sidecar's response, rejecting with the call's error. */
export type SubmitCall = (request: SubmitRequest, options: SubmitOptions) => Promise<SubmitFastPayResponse>;

/**
 * Submissions issued in the same event-loop turn go to the sidecar as SubmitFastPayBatch calls of at most
 * MAX_SUBMISSIONS_PER_BATCH payments and MAX_BATCH_BYTES; a lone submission, or any to a sidecar that answers the
 * batch UNIMPLEMENTED (the reference), goes as SubmitFastPay. Each submission keeps its own answer, error and
 * cancellation: a batch's deadline is the earliest of its submissions' timeouts, and an aborted submission
 * rejects at once with CANCELLED while the rest of its batch goes on.
 */
export function coalescedSubmits(client: ServiceClient<typeof FastPaySidecar>): SubmitCall {
  let queue: Waiting[] = [];
  let batchSupported = true;

  const unary = (w: Waiting) => {
    client
      .submitFastPay(w.request, { timeoutMs: w.options.timeoutMs, ...signalOf(w.options) })
      .then(w.resolve, w.reject);
  };

  const batch = (group: readonly Waiting[]) => {
    const timeoutMs = Math.min(...group.map((w) => w.options.timeoutMs));
    client.submitFastPayBatch({ requests: group.map((w) => w.request) }, { timeoutMs }).then(
      ({ responses }) => {
        if (responses.length !== group.length) {
          const error = new WireError(
            grpc.status.INTERNAL,
            `the sidecar answered ${responses.length} of a batch of ${group.length}`,
          );
          for (const w of group) w.reject(error);
          return;
        }
        for (const [i, w] of group.entries()) w.resolve(responses[i]!);
      },
      (error: unknown) => {
        if (error instanceof WireError && error.code === grpc.status.UNIMPLEMENTED) {
          batchSupported = false;
          for (const w of group) unary(w);
          return;
        }
        for (const w of group) w.reject(error);
      },
    );
  };

  const flush = () => {
    const waiting = queue.filter((w) => !w.options.signal?.aborted);
    queue = [];
    if (waiting.length === 1 || !batchSupported) {
      for (const w of waiting) unary(w);
      return;
    }
    for (const group of groups(waiting)) {
      if (group.length === 1) unary(group[0]!);
      else batch(group);
    }
  };

  return (request, options) =>
    new Promise<SubmitFastPayResponse>((resolve, reject) => {
      const { signal } = options;
      if (signal?.aborted) return reject(cancelled());
      const onAbort = () => reject(cancelled());
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      if (queue.length === 0) setImmediate(flush);
      queue.push({
        request: submitRequestToProto(request),
        bytes: submissionBytesBound(request),
        options,
        resolve: (response) => {
          done();
          resolve(response);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      });
    });
}

/** Consecutive groups within the batch bounds, in submission order. */
function groups(waiting: readonly Waiting[]): Waiting[][] {
  const out: Waiting[][] = [];
  let current: Waiting[] = [];
  let bytes = 0;
  for (const w of waiting) {
    if (
      current.length > 0 &&
      (current.length >= MAX_SUBMISSIONS_PER_BATCH || bytes + w.bytes > MAX_BATCH_BYTES)
    ) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(w);
    bytes += w.bytes;
  }
  if (current.length > 0) out.push(current);
  return out;
}

function signalOf(options: SubmitOptions): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}

function cancelled(): TransportError {
  return new TransportError('CANCELLED: call cancelled', { transient: false, status: 'CANCELLED' });
}
