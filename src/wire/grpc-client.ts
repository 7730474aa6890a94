import type { DescMethod, DescService, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { serviceDefinition } from './service-definition.ts';
import { WireError } from './wire-error.ts';

/** Per-call options. */
export interface CallOptions {
  /** Deadline, relative to the start of the call; the server sees it too. */
  readonly timeoutMs?: number;
  /** Cancels the call when aborted (the call then fails with CANCELLED). */
  readonly signal?: AbortSignal;
}

export interface ClientOptions {
  /** Use TLS and trust this root certificate (PEM). Plaintext when absent. */
  readonly tls?: { readonly rootCert: Buffer };
}

type ClientMethod<M extends DescMethod> = M['methodKind'] extends 'unary'
  ? (request: MessageInitShape<M['input']>, options?: CallOptions) => Promise<MessageShape<M['output']>>
  : M['methodKind'] extends 'server_streaming'
    ? (
        request: MessageInitShape<M['input']>,
        options?: CallOptions,
      ) => AsyncIterable<MessageShape<M['output']>>
    : never;

/**
 * A typed client of a generated service. Unary methods resolve with the response; server-streaming
 * methods are async iterables (leaving the loop cancels the call). Failures reject with `WireError`.
 */
export type ServiceClient<S extends DescService> = {
  readonly [K in keyof S['method']]: ClientMethod<S['method'][K]>;
} & {
  /** Closes the channel; calls in flight are cancelled. */
  close(): void;
};

type Definition = grpc.MethodDefinition<unknown, unknown>;

/**
 * Creates a client of `service` at `address` (`host:port`) over ONE channel that all calls reuse
 * (the reference opened a connection per call: §14).
 */
export function createClient<S extends DescService>(
  service: S,
  address: string,
  options: ClientOptions = {},
): ServiceClient<S> {
  const credentials = options.tls
    ? grpc.credentials.createSsl(options.tls.rootCert)
    : grpc.credentials.createInsecure();
  const channel = new grpc.Client(address, credentials);
  const client: Record<string, unknown> = { close: () => channel.close() };
  channels.set(client, channel);
  for (const [name, method] of Object.entries(serviceDefinition(service))) {
    client[name] = method.responseStream
      ? (request: unknown, callOptions?: CallOptions) => streamingCall(channel, method, request, callOptions)
      : (request: unknown, callOptions?: CallOptions) => unaryCall(channel, method, request, callOptions);
  }
  return client as ServiceClient<S>;
}

const channels = new WeakMap<object, grpc.Client>();

/** How a client's channel stands: `unreachable` after a failed connection attempt, until one succeeds. */
export type Connectivity = 'idle' | 'connecting' | 'ready' | 'unreachable' | 'closed';

/** The state of the channel of a client made by `createClient` (O(1), never connects), else undefined. */
export function connectivityOf(client: object): Connectivity | undefined {
  const state = channels.get(client)?.getChannel().getConnectivityState(false);
  switch (state) {
    case undefined:
      return undefined;
    case grpc.connectivityState.READY:
      return 'ready';
    case grpc.connectivityState.CONNECTING:
      return 'connecting';
    case grpc.connectivityState.TRANSIENT_FAILURE:
      return 'unreachable';
    case grpc.connectivityState.SHUTDOWN:
      return 'closed';
    default:
      return 'idle';
  }
}

function unaryCall(channel: grpc.Client, method: Definition, request: unknown, options: CallOptions = {}) {
  return new Promise<unknown>((resolve, reject) => {
    const call = channel.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      grpcCallOptions(options),
      (error, response) => (error ? reject(wireError(error)) : resolve(response)),
    );
    cancelOnAbort(call, options.signal);
  });
}

async function* streamingCall(
  channel: grpc.Client,
  method: Definition,
  request: unknown,
  options: CallOptions = {},
) {
  const call = channel.makeServerStreamRequest(
    method.path,
    method.requestSerialize,
    method.responseDeserialize,
    request,
    grpcCallOptions(options),
  );
  cancelOnAbort(call, options.signal);
  try {
    for await (const message of call) yield message as unknown;
  } catch (error) {
    throw wireError(error);
  } finally {
    call.cancel();
  }
}

function grpcCallOptions(options: CallOptions): grpc.CallOptions {
  return options.timeoutMs === undefined ? {} : { deadline: Date.now() + options.timeoutMs };
}

function cancelOnAbort(
  call: grpc.ClientUnaryCall | grpc.ClientReadableStream<unknown>,
  signal?: AbortSignal,
): void {
  if (!signal) return;
  const cancel = () => call.cancel();
  if (signal.aborted) {
    cancel();
    return;
  }
  signal.addEventListener('abort', cancel, { once: true });
  call.once('status', () => signal.removeEventListener('abort', cancel));
}

function wireError(error: unknown): WireError {
  const { code, details } = error as Partial<grpc.ServiceError>;
  if (typeof code === 'number') return new WireError(code, details ?? '');
  return new WireError(grpc.status.UNKNOWN, error instanceof Error ? error.message : String(error));
}
