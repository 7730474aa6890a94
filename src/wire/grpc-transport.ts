import * as grpc from '@grpc/grpc-js';
import { FastPaySidecar } from '../../gen/tempo/fastpay/v1/sidecar_pb.js';
import { coalescedSubmits } from './coalesced-submits.ts';
import { validatorCertificateFromProto } from './convert-certificate.ts';
import { rejectFromProto } from './convert-reject.ts';
import { type ClientOptions, createClient, type ServiceClient } from './grpc-client.ts';
import type { SidecarTransport } from './sidecar-transport.ts';
import { TransportError } from './transport-error.ts';
import { WireError } from './wire-error.ts';

const TRANSIENT = new Set<grpc.status>([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]);

/**
 * A sidecar reached over gRPC at `url` (`http://host:port`, `host:port`, or `https://host:port` with
 * `options.tls`), through ONE channel that every call reuses (the reference opened one per call: §10.4, §14).
 * UNAVAILABLE and DEADLINE_EXCEEDED become transient `TransportError`s, every other status a permanent one.
 */
export function grpcTransport(url: string, options: ClientOptions = {}): SidecarTransport {
  return clientTransport(createClient(FastPaySidecar, grpcAddress(url, options), options));
}

/**
 * The transport over an existing sidecar client, sharing its one channel; `close` closes that client. Payments
 * submitted together (in one event-loop turn, e.g. by several collections at once) travel as one batch call.
 */
export function clientTransport(client: ServiceClient<typeof FastPaySidecar>): SidecarTransport {
  const send = coalescedSubmits(client);
  return {
    async submit(request, options) {
      const response = await send(request, options).catch((error: unknown) => {
        throw transportError(error);
      });
      const { result } = response;
      if (result.case === 'cert') return { cert: validatorCertificateFromProto(result.value) };
      if (result.case === 'reject') return { reject: rejectFromProto(result.value) };
      throw new TransportError('the sidecar answered with neither a certificate nor a reject', {
        transient: false,
      });
    },
    close: () => client.close(),
  };
}

/** `host:port` of a sidecar URL; `https://` only together with TLS options (else WireError INVALID_ARGUMENT). */
export function grpcAddress(url: string, options: ClientOptions): string {
  if (url.startsWith('https://')) {
    if (!options.tls) {
      throw new WireError(
        grpc.status.INVALID_ARGUMENT,
        `${url}: https needs TLS options (a root certificate)`,
      );
    }
    return url.slice('https://'.length);
  }
  return url.startsWith('http://') ? url.slice('http://'.length) : url;
}

/** A failed gRPC call as a TransportError: UNAVAILABLE and DEADLINE_EXCEEDED are transient. */
export function transportError(error: unknown): TransportError {
  if (error instanceof TransportError) return error;
  if (!(error instanceof WireError)) {
    return new TransportError(error instanceof Error ? error.message : String(error), { transient: false });
  }
  const status = grpc.status[error.code];
  return new TransportError(`${status}: ${error.message}`, { transient: TRANSIENT.has(error.code), status });
}
