import { grpcAddress } from '../../wire/grpc-transport.ts';
import { ServiceError } from '../service-error.ts';

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;

/**
 * The gRPC `host:port` of a peer given as `host:port` or `http://host:port[/]` (the reference's `--peers` use
 * http:// URLs, §6.10): `grpcAddress` without TLS options, checked. Throws ServiceError CONFIG for anything else,
 * https:// included: a TLS peer needs a trust root, which a bare URL does not give.
 */
export function peerAddress(url: string): string {
  const invalid = (options?: ErrorOptions) =>
    new ServiceError('CONFIG', `peer "${url}": expected host:port or http://host:port`, options);
  let address: string;
  try {
    address = grpcAddress(url.trim(), {}).replace(/\/$/, '');
  } catch (error) {
    throw invalid({ cause: error });
  }
  const match = HOST_PORT.exec(address);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65_535) throw invalid();
  return address;
}
