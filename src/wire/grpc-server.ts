import { once } from 'node:events';
import type { DescMethod, DescService, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { DEFAULT_MAX_CALLS_PER_PEER, PeerCallLimiter } from './grpc-limits.ts';
import { decodeMessage, encodeMessage, serviceDefinition } from './service-definition.ts';
import { WireError } from './wire-error.ts';

/** What a handler knows about its call. */
export interface CallContext {
  readonly metadata: grpc.Metadata;
  /** The client's address, e.g. `ipv4:127.0.0.1:53412`. */
  readonly peer: string;
  /** Aborted when the client cancels or its deadline passes: long-running handlers must stop then. */
  readonly signal: AbortSignal;
}

type MethodImpl<M extends DescMethod> = M['methodKind'] extends 'unary'
  ? (request: MessageShape<M['input']>, call: CallContext) => Promise<MessageInitShape<M['output']>>
  : M['methodKind'] extends 'server_streaming'
    ? (request: MessageShape<M['input']>, call: CallContext) => AsyncIterable<MessageInitShape<M['output']>>
    : never;

/** Handlers for every method of a generated service, keyed by the method's local name. */
export type ServiceImpl<S extends DescService> = {
  readonly [K in keyof S['method']]: MethodImpl<S['method'][K]>;
};

export interface AddServiceOptions {
  /** Called with any error a handler throws that is not a `WireError` (the client sees INTERNAL). */
  readonly onUnexpectedError?: (error: unknown, path: string) => void;
  /**
   * The answer to request bytes that do not decode, for services that reject bad input in band (the sidecar's
   * INVALID_FORMAT reject); `undefined` keeps the default INVALID_ARGUMENT status. A streaming method sends it
   * as its only message.
   */
  readonly undecodableResponse?: (
    method: DescMethod,
    reason: string,
  ) => MessageInitShape<DescMethod['output']> | undefined;
  /**
   * Calls one peer host may have in progress on this server (all its services together; the first service added
   * sets it); more are answered RESOURCE_EXHAUSTED. Default DEFAULT_MAX_CALLS_PER_PEER.
   */
  readonly maxCallsPerPeer?: number;
}

/** Server TLS material (PEM). */
export interface ServerTls {
  readonly cert: Buffer;
  readonly key: Buffer;
}

type AnyImpl = (request: unknown, call: CallContext) => Promise<MessageInitShape<DescMethod['output']>>;
type AnyStreamImpl = (
  request: unknown,
  call: CallContext,
) => AsyncIterable<MessageInitShape<DescMethod['output']>>;

/** Marks request bytes that did not decode, so the handler can answer INVALID_ARGUMENT. */
class UndecodableRequest {
  constructor(readonly reason: string) {}
}

/** One limiter per server, shared by its services. */
const limiters = new WeakMap<grpc.Server, PeerCallLimiter>();

/**
 * Registers `impl` for a protobuf-es service on a grpc-js server. A `WireError` thrown by a handler
 * becomes its status; any other error becomes INTERNAL; undecodable request bytes get
 * INVALID_ARGUMENT without reaching the handler. Responses are encoded here, so a response that cannot
 * be encoded is INTERNAL as well. A peer beyond its concurrent calls gets RESOURCE_EXHAUSTED.
 */
export function addService<S extends DescService>(
  server: grpc.Server,
  service: S,
  impl: ServiceImpl<S>,
  options: AddServiceOptions = {},
): void {
  const definition = serviceDefinition(service);
  const limiter =
    limiters.get(server) ?? new PeerCallLimiter(options.maxCallsPerPeer ?? DEFAULT_MAX_CALLS_PER_PEER);
  limiters.set(server, limiter);
  const handlers: grpc.UntypedServiceImplementation = {};
  const serverDefinition: Record<string, grpc.MethodDefinition<unknown, Buffer>> = {};
  for (const method of service.methods) {
    const base = definition[method.localName]!;
    serverDefinition[method.localName] = {
      ...base,
      requestDeserialize: (bytes) => decodeRequest(method, bytes),
      responseSerialize: (bytes) => bytes,
    };
    const handler = (impl as Record<string, unknown>)[method.localName];
    const statusOf = errorStatus(base.path, options.onUnexpectedError);
    const stream = handler as AnyStreamImpl;
    const unary = handler as AnyImpl;
    handlers[method.localName] =
      method.methodKind === 'server_streaming'
        ? streamingHandler(
            method,
            (request, call) => {
              const answer = inBandAnswer(method, request, options);
              return answer
                ? (async function* () {
                    yield answer;
                  })()
                : stream(decodedRequest(method, request), call);
            },
            statusOf,
            limiter,
          )
        : unaryHandler(
            method,
            (request, call) => {
              const answer = inBandAnswer(method, request, options);
              return answer ? Promise.resolve(answer) : unary(decodedRequest(method, request), call);
            },
            statusOf,
            limiter,
          );
  }
  server.addService(serverDefinition, handlers);
}

/** Binds `server` to `address` (e.g. `127.0.0.1:0`), plaintext unless `tls` is given; resolves the port. */
export function listen(server: grpc.Server, address: string, tls?: ServerTls): Promise<number> {
  const credentials = tls
    ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }])
    : grpc.ServerCredentials.createInsecure();
  return new Promise((resolve, reject) =>
    server.bindAsync(address, credentials, (error, port) => (error ? reject(error) : resolve(port))),
  );
}

/** Lets calls in flight finish, forcing the shutdown after `graceMs`; resolves once the server stopped. */
export function shutdownServer(server: grpc.Server, graceMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

type StatusOf = (error: unknown, cancelled: boolean) => grpc.StatusObject;

/** The status a handler's error ends its call with; errors after a cancellation are expected and quiet. */
function errorStatus(path: string, onUnexpectedError: AddServiceOptions['onUnexpectedError']): StatusOf {
  return (error, cancelled) => {
    const metadata = new grpc.Metadata();
    if (error instanceof WireError) return { code: error.code, details: error.message, metadata };
    if (cancelled) return { code: grpc.status.CANCELLED, details: 'cancelled', metadata };
    onUnexpectedError?.(error, path);
    return { code: grpc.status.INTERNAL, details: 'internal error', metadata };
  };
}

/** The service's in-band answer to an undecodable request, if it defines one for this method. */
function inBandAnswer(
  method: DescMethod,
  request: unknown,
  options: AddServiceOptions,
): MessageInitShape<DescMethod['output']> | undefined {
  return request instanceof UndecodableRequest
    ? options.undecodableResponse?.(method, request.reason)
    : undefined;
}

function decodeRequest(method: DescMethod, bytes: Buffer): unknown {
  try {
    return decodeMessage(method.input, bytes);
  } catch (error) {
    return new UndecodableRequest(error instanceof Error ? error.message : String(error));
  }
}

function decodedRequest(method: DescMethod, request: unknown): unknown {
  if (request instanceof UndecodableRequest) {
    throw new WireError(
      grpc.status.INVALID_ARGUMENT,
      `undecodable ${method.input.typeName}: ${request.reason}`,
    );
  }
  return request;
}

/** The reason of every cancelled call's signal: one shared value, so a cancellation captures no stack. */
const CANCELLED = new WireError(grpc.status.CANCELLED, 'call cancelled');

/**
 * The handler's view of its call. Its AbortSignal is made only when a handler reads `signal` (a streaming
 * handler that waits on later events); a unary answer never pays for an AbortController or an abort.
 */
function callContext(
  call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>,
  peer: string,
): CallContext {
  let controller: AbortController | undefined;
  return {
    metadata: call.metadata,
    peer,
    get signal() {
      if (!controller) {
        const made = new AbortController();
        if (call.cancelled) made.abort(CANCELLED);
        else call.once('cancelled', () => made.abort(CANCELLED));
        controller = made;
      }
      return controller.signal;
    },
  };
}

/** The status of a call refused because its peer has too many in progress. */
function tooManyCalls(limiter: PeerCallLimiter): Partial<grpc.StatusObject> {
  return {
    code: grpc.status.RESOURCE_EXHAUSTED,
    details: `more than ${limiter.max} calls in progress from this peer`,
  };
}

function unaryHandler(
  method: DescMethod,
  handler: AnyImpl,
  statusOf: StatusOf,
  limiter: PeerCallLimiter,
): grpc.handleUnaryCall<unknown, Buffer> {
  return (call, callback) => {
    const peer = call.getPeer();
    const release = limiter.acquire(peer);
    if (!release) return callback(tooManyCalls(limiter));
    (async () => encodeMessage(method.output, await handler(call.request, callContext(call, peer))))()
      .finally(release)
      .then(
        (bytes) => callback(null, bytes),
        (error) => callback(statusOf(error, call.cancelled)),
      );
  };
}

function streamingHandler(
  method: DescMethod,
  handler: AnyStreamImpl,
  statusOf: StatusOf,
  limiter: PeerCallLimiter,
): grpc.handleServerStreamingCall<unknown, Buffer> {
  return (call) => {
    const peer = call.getPeer();
    const release = limiter.acquire(peer);
    if (!release) {
      call.emit('error', tooManyCalls(limiter));
      return;
    }
    const context = callContext(call, peer);
    (async () => {
      for await (const message of handler(call.request, context)) {
        release();
        if (call.cancelled) return;
        if (!call.write(encodeMessage(method.output, message)))
          await once(call, 'drain', { signal: context.signal });
      }
      call.end();
    })()
      .finally(release)
      .catch((error) => call.emit('error', statusOf(error, call.cancelled)));
  };
}

/**
 * An implementation that forwards every call to whatever `current()` returns at call time, so a server can
 * listen before its real handlers exist (e.g. answer GetValidatorInfo while the rest is still starting).
 */
export function delegatingImpl<S extends DescService>(
  service: S,
  current: () => ServiceImpl<S>,
): ServiceImpl<S> {
  const impl: Record<string, unknown> = {};
  for (const method of service.methods) {
    impl[method.localName] = (request: unknown, call: CallContext) =>
      (current() as Record<string, (r: unknown, c: CallContext) => unknown>)[method.localName]!(
        request,
        call,
      );
  }
  return impl as ServiceImpl<S>;
}
